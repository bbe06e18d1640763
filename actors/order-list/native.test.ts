import t from "tap";
import { fromNumber } from "../domain/index.ts";
import { fullCapabilities, type VenueCapabilityTable } from "../order/index.ts";
import { initialContext } from "./state.ts";
import { cancels, filled, forwards, INSTRUMENT, leg, ListDriver, submitList } from "./testing.ts";

const one = fromNumber(1);
const holdsLists: VenueCapabilityTable = { SIMX: { ...fullCapabilities, lists: ["OCO", "OTO", "BRACKET"] } };

/** A list driver on a node whose SIMX holds order lists itself. */
function nativeDriver(listId: string, venues: VenueCapabilityTable = holdsLists): ListDriver {
  const d = new ListDriver(listId);
  d.context = initialContext(listId, venues);
  return d;
}

t.test("a venue that holds brackets gets every leg at once, each through the risk book and tagged with its list", async (t) => {
  const d = nativeDriver("nb1");
  const out = d.send(
    submitList({
      contingency: "BRACKET",
      entry: leg({ quantity: fromNumber(3) }),
      takeProfitPrice: fromNumber(110),
      stopLossPrice: fromNumber(90),
    }),
  );
  const sent = forwards(out);
  t.strictSame(
    sent.map((f) => f.subject),
    ["am.cmd.risk-book.b1", "am.cmd.risk-book.b1", "am.cmd.risk-book.b1"],
    "the risk book reserves the whole list: the exits at the entry's size, its worst case",
  );
  t.match(
    sent.map((f) => f.message),
    [
      {
        clientOrderId: "list.nb1.0",
        quantity: fromNumber(3),
        list: { listId: "nb1", contingency: "BRACKET", leg: 0, legCount: 3, role: "ENTRY" },
      },
      { clientOrderId: "list.nb1.1", side: "SELL", quantity: fromNumber(3), list: { leg: 1, role: "TAKE_PROFIT" } },
      { clientOrderId: "list.nb1.2", orderType: "STOP", quantity: fromNumber(3), list: { leg: 2, role: "STOP_LOSS" } },
    ],
  );
  t.equal(d.context.native, true);
  t.strictSame(cancels(d.send(filled("list.nb1.1", one, fromNumber(1)))), [], "the venue, not the platform, cancels the other exit");
  d.send({ type: "OrderCanceled", clientOrderId: "list.nb1.0", cumQty: fromNumber(2), cause: "USER" });
  t.equal(forwards(d.emitted.slice(-1)).length, 0, "nothing is sent after the entry ends: the venue releases the exits");
  t.strictSame(d.replayed().native, true, "the journal says the venue holds it");
});

t.test("a native list whose leg the risk book denies cancels the legs it sent: the venue can never work it whole", async (t) => {
  const d = nativeDriver("no1");
  d.send(submitList({ contingency: "OCO", orders: [leg(), leg({ price: fromNumber(99) })] }));
  const out = d.send({
    type: "ForwardRefused",
    key: "list.no1.1",
    subject: "am.cmd.risk-book.b1",
    messageType: "SubmitOrder",
    error: { code: "denied", message: "limit" },
  });
  t.strictSame(cancels(out), ["list.no1.0"]);
});

t.test("the platform holds the list where the venue does not name its type, spans venues, or needs a leg emulated", async (t) => {
  const otoOnly = nativeDriver("e1", { SIMX: { ...fullCapabilities, lists: ["OTO"] } });
  otoOnly.send(submitList({ contingency: "OCO", orders: [leg(), leg({ price: fromNumber(99) })] }));
  t.equal(otoOnly.context.native, false, "OCO is not among the venue's lists");

  const twoVenues = nativeDriver("e2");
  twoVenues.send(submitList({ contingency: "OTO", primary: leg(), secondaries: [leg({ instrument: "SIM001.SIMY", side: "SELL" })] }));
  t.equal(twoVenues.context.native, false, "a list across venues");

  const noStops = nativeDriver("e3", { SIMX: { ...fullCapabilities, orderTypes: ["MARKET", "LIMIT"], lists: ["BRACKET"] } });
  const out = noStops.send(
    submitList({
      contingency: "BRACKET",
      entry: leg({ instrument: INSTRUMENT }),
      takeProfitPrice: fromNumber(110),
      stopLossPrice: fromNumber(90),
    }),
  );
  t.equal(noStops.context.native, false, "its stop-loss would be emulated by the order, so it could not reach the venue as the list's");
  t.strictSame(
    forwards(out).map((f) => f.key),
    ["list.e3.0"],
    "emulated as before: only the entry goes first",
  );
  t.notOk("list" in (forwards(out)[0]?.message ?? {}), "an emulated leg carries no tag");
});
