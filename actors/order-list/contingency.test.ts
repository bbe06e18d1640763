import t from "tap";
import { fromNumber, SubmitOrderList } from "../domain/index.ts";
import { subjects } from "../contract/index.ts";
import { listOfLegEvent } from "./kind.ts";
import { cancels, filled, forwards, leg, ListDriver, submitList } from "./testing.ts";

const one = fromNumber(1);

t.test("a bracket sends its entry, then both exits sized to what the entry filled; one exit filling cancels the other", async (t) => {
  const d = new ListDriver("b1");
  const out = d.send(
    submitList({
      contingency: "BRACKET",
      entry: leg({ quantity: fromNumber(3) }),
      takeProfitPrice: fromNumber(110),
      stopLossPrice: fromNumber(90),
    }),
  );
  t.match(out.at(-1), {
    type: "reply",
    ok: true,
    result: { listId: "b1", legs: [{ role: "ENTRY" }, { role: "TAKE_PROFIT" }, { role: "STOP_LOSS" }] },
  });
  t.strictSame(
    forwards(out).map((f) => f.key),
    ["list.b1.0"],
    "only the entry goes first",
  );
  t.equal(forwards(d.send(filled("list.b1.0", fromNumber(2), one))).length, 0, "no exit while the entry still works");
  const exits = forwards(d.send({ type: "OrderCanceled", clientOrderId: "list.b1.0", cumQty: fromNumber(2), cause: "USER" }));
  t.match(
    exits.map((f) => f.message),
    [
      { clientOrderId: "list.b1.1", side: "SELL", orderType: "LIMIT", price: fromNumber(110), quantity: fromNumber(2), timeInForce: "GTC" },
      { clientOrderId: "list.b1.2", side: "SELL", orderType: "STOP", stopPrice: fromNumber(90), quantity: fromNumber(2) },
    ],
    "the exits follow the entry's filled quantity, not its ordered one",
  );
  t.strictSame(cancels(d.send(filled("list.b1.2", one, one))), ["list.b1.1"], "the stop's first fill cancels the take-profit");
  d.send({ type: "OrderCanceled", clientOrderId: "list.b1.1", cumQty: 0, cause: "USER" });
  t.equal(d.context.status, "working", "the stop still has one to sell");
  d.send(filled("list.b1.2", fromNumber(2)));
  t.equal(d.context.status, "done");
  t.equal(d.context.outcome, "COMPLETED");
  t.strictSame(
    d.replayed(),
    { ...d.context, legs: d.context.legs.map((l) => ({ ...l, acked: l.acked && l.cumQty > 0 })), nowUs: 0 },
    "the journal rebuilds the state",
  );
});

t.test("a bracket whose entry ends unfilled never sends its exits", async (t) => {
  const d = new ListDriver("b2");
  d.send(submitList({ contingency: "BRACKET", entry: leg(), takeProfitPrice: fromNumber(110), stopLossPrice: fromNumber(90) }));
  const out = d.send({ type: "OrderExpired", clientOrderId: "list.b2.0", cumQty: 0 });
  t.equal(forwards(out).length, 0);
  t.match(d.context, {
    status: "done",
    outcome: "CANCELED",
    legs: [{ outcome: "EXPIRED" }, { outcome: "CANCELED", sent: false }, { outcome: "CANCELED", sent: false }],
  });
});

t.test("an OCO sends every member; the first fill cancels the others, and a second copy of it changes nothing", async (t) => {
  const d = new ListDriver("o1");
  const out = d.send(
    submitList({ contingency: "OCO", orders: [leg(), leg({ price: fromNumber(99) }), leg({ side: "SELL", price: fromNumber(120) })] }),
  );
  t.equal(forwards(out).length, 3);
  t.strictSame(cancels(d.send(filled("list.o1.1", one))), ["list.o1.0", "list.o1.2"]);
  t.strictSame(d.send(filled("list.o1.1", one)), [], "a fill heard twice is taken once");
  d.send({ type: "OrderCanceled", clientOrderId: "list.o1.0", cumQty: 0, cause: "USER" });
  d.send({ type: "OrderCanceled", clientOrderId: "list.o1.2", cumQty: 0, cause: "USER" });
  t.match(d.context, { status: "done", outcome: "COMPLETED" });
});

t.test("an OCO member refused by the risk book cancels the others and the list ends rejected", async (t) => {
  const d = new ListDriver("o2");
  d.send(submitList({ contingency: "OCO", orders: [leg(), leg({ price: fromNumber(99) })] }));
  const out = d.send({
    type: "ForwardRefused",
    key: "list.o2.0",
    subject: "am.cmd.risk-book.b1",
    messageType: "SubmitOrder",
    error: { code: "denied", message: "limit" },
  });
  t.strictSame(cancels(out), ["list.o2.1"]);
  d.send({ type: "OrderCanceled", clientOrderId: "list.o2.1", cumQty: 0, cause: "USER" });
  t.match(d.context, { status: "done", outcome: "REJECTED", legs: [{ outcome: "DENIED" }, { outcome: "CANCELED" }] });
});

t.test("an OTO sends its secondaries when the primary fills in full, or at its first fill when triggerOnPartial", async (t) => {
  const full = new ListDriver("t1");
  full.send(
    submitList({
      contingency: "OTO",
      primary: leg({ quantity: fromNumber(2) }),
      secondaries: [leg({ side: "SELL", price: fromNumber(110) })],
    }),
  );
  t.equal(forwards(full.send(filled("list.t1.0", one, one))).length, 0, "a partial fill does not release by default");
  t.match(forwards(full.send(filled("list.t1.0", fromNumber(2)))), [{ key: "list.t1.1", message: { side: "SELL", quantity: one } }]);
  const partial = new ListDriver("t2");
  partial.send(
    submitList({
      contingency: "OTO",
      primary: leg({ quantity: fromNumber(2) }),
      secondaries: [leg({ side: "SELL" })],
      triggerOnPartial: true,
    }),
  );
  t.equal(forwards(partial.send(filled("list.t2.0", one, one))).length, 1);
  t.equal(forwards(partial.send(filled("list.t2.0", fromNumber(2)))).length, 0, "released once");
});

t.test("an OTO whose primary is canceled never sends its secondaries", async (t) => {
  const d = new ListDriver("t3");
  d.send(
    submitList({ contingency: "OTO", primary: leg(), secondaries: [leg({ side: "SELL" }), leg({ side: "SELL", price: fromNumber(120) })] }),
  );
  const out = d.send({ type: "OrderCanceled", clientOrderId: "list.t3.0", cumQty: 0, cause: "USER" });
  t.equal(forwards(out).length, 0);
  t.match(d.context, { status: "done", outcome: "CANCELED" });
});

t.test("CancelOrderList cancels working legs, drops unsent ones, and a later primary fill releases nothing", async (t) => {
  const d = new ListDriver("t4");
  d.send(submitList({ contingency: "OTO", primary: leg(), secondaries: [leg({ side: "SELL" })] }));
  const out = d.send({ type: "CancelOrderList", reason: "desk" });
  t.strictSame(cancels(out), ["list.t4.0"]);
  t.equal(forwards(d.send(filled("list.t4.0", one))).length, 0, "the secondary was dropped with the cancel");
  t.match(d.context, { status: "done", outcome: "CANCELED" });
  t.match(d.send({ type: "SubmitOrderList" }).at(-1), { ok: false, error: { code: "invalid-state" } }, "a list id is used once");
});

t.test("a restored list sends again the cancels its state implies", async (t) => {
  const d = new ListDriver("o3");
  d.send(submitList({ contingency: "OCO", orders: [leg(), leg({ price: fromNumber(99) })] }));
  d.send(filled("list.o3.0", one, 0));
  const restored = new ListDriver("o3");
  restored.context = d.replayed();
  t.strictSame(cancels(restored.send({ type: "ResumeOrderList" })), ["list.o3.1"]);
});

t.test("SubmitOrderList refuses bad legs naming the field", async (t) => {
  const bad = (body: Record<string, unknown>) => {
    const r = SubmitOrderList.schema.safeParse({ book: "b1", strategy: "s1", tsEvent: 1, tsInit: 1, ...body });
    return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
  };
  t.strictSame(bad({ contingency: "OCO", orders: [leg(), leg({ price: undefined })] }), ["orders.1.price"]);
  t.strictSame(bad({ contingency: "OCO", orders: [leg()] }), ["orders"]);
  t.strictSame(bad({ contingency: "BRACKET", entry: leg(), takeProfitPrice: fromNumber(80), stopLossPrice: fromNumber(90) }), [
    "takeProfitPrice",
  ]);
  t.strictSame(bad({ contingency: "OTO", primary: leg({ orderType: "STOP" }), secondaries: [leg()] }), [
    "primary.price",
    "primary.stopPrice",
  ]);
});

t.test("a leg's order event names its list; other orders' events name none", async (t) => {
  t.equal(listOfLegEvent(subjects.evt("order", "list.oco-7.1", "OrderFilled")), "oco-7");
  t.equal(listOfLegEvent(subjects.evt("order", "mm-1.42", "OrderFilled")), undefined);
  t.equal(listOfLegEvent(subjects.evt("order", "list.x.y.1", "OrderFilled")), undefined);
});
