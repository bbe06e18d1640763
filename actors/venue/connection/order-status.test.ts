import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { priceOf, quantityOf, ZERO_QUANTITY } from "../../domain/index.ts";
import type { Emitted } from "../../contract/index.ts";
import { type VenueConnectionInput, venueConnectionMachine } from "./machine.ts";

const NOW = 1_700_000_000_000_000;

function ready() {
  const actor = createActor(venueConnectionMachine, { clock: new SimulatedClock(), input: { venue: "XNAS" } });
  const out: Emitted[] = [];
  actor.on("*", (e) => {
    out.push(e as Emitted);
  });
  actor.start();
  const send = (e: VenueConnectionInput): Emitted[] => {
    const from = out.length;
    actor.send(e);
    return out.slice(from);
  };
  send({ type: "Start", nowUs: NOW });
  send({ type: "AdapterLoggedOn", nowUs: NOW + 1 });
  send({ type: "VenueStateSnapshot", openOrders: [], executions: [], nowUs: NOW + 2 });
  return { actor, send, ctx: () => actor.getSnapshot().context };
}

const types = (out: Emitted[]) => out.flatMap((e) => (e.type === "publish" ? [e.message.type] : []));
const newOrder = (id: string): VenueConnectionInput => ({
  type: "VenueNewOrder",
  clientOrderId: id,
  version: 1,
  instrument: "AAPL.XNAS",
  side: "BUY",
  orderType: "LIMIT",
  quantity: quantityOf(10),
  price: priceOf(100),
  timeInForce: "GTC",
  postOnly: false,
  reduceOnly: false,
  tsEvent: NOW,
  tsInit: NOW,
  nowUs: NOW + 10,
});
const askAbout = (id: string, awaiting?: "NEW" | "CANCEL" | "REPLACE"): VenueConnectionInput => ({
  type: "VenueOrderStatusRequest",
  clientOrderId: id,
  instrument: "AAPL.XNAS",
  side: "BUY",
  cumQty: ZERO_QUANTITY,
  acknowledged: awaiting !== "NEW",
  ...(awaiting ? { awaiting } : {}),
  tsEvent: NOW,
  tsInit: NOW,
  nowUs: NOW + 20,
});

t.test("an order in the view is asked of the venue; an answer about an order no longer in the view changes nothing", async (t) => {
  const c = ready();
  c.send(newOrder("o1"));
  t.same(types(c.send(askAbout("o1", "NEW"))), ["AdapterOrderStatusRequest"], "the venue is asked, nothing forwarded yet");
  c.send({ type: "VenueOrderStatus", clientOrderId: "o1", open: false, reports: [], nowUs: NOW + 30 });
  t.same(Object.keys(c.ctx().orders), [], "unknown at the venue: it leaves the view");
  t.same(
    c.send({ type: "VenueOrderStatus", clientOrderId: "o1", open: false, reports: [], nowUs: NOW + 40 }),
    [],
    "a second answer: nothing",
  );
});

t.test("asks the venue did not answer before the session dropped are forgotten: their orders ask again", async (t) => {
  const c = ready();
  c.send(newOrder("o2"));
  c.send(askAbout("o2", "CANCEL"));
  t.same(c.ctx().statusAwaiting, { o2: "CANCEL" });
  c.send({ type: "AdapterDisconnected", reason: "drop", nowUs: NOW + 50 });
  t.same(c.ctx().statusAwaiting, {}, "nothing kept per order for an answer that will not come");
});
