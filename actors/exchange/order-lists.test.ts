import t from "tap";
import type { Emitted } from "../contract/index.ts";
import { ExecType, type ExecutionReport, type NativeListLeg, priceOf, quantityOf } from "../domain/index.ts";
import { decodeSnapshot, encodeSnapshot } from "../../infra/nats/codec.ts";
import type { VenueSessionSnapshot } from "./session-snapshot.ts";
import { SimulatedVenueSession } from "./venue-session.ts";
import { quoteAt } from "./testing.ts";

const INSTRUMENT = "SIM001.SIMX";
const OTHER = "SIM002.SIMX";
const NOW = 1_700_000_000_000_000;

const session = (backgroundQty = 100) => {
  const s = new SimulatedVenueSession({
    venue: "SIMX",
    instruments: [
      { id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) },
      { id: OTHER, tickSize: priceOf(0.01), lotSize: quantityOf(1) },
    ],
    background: { levels: 3, stepTicks: 1, quantity: quantityOf(backgroundQty) },
    seqBase: 1_000,
  });
  s.loggedOn = true;
  return s;
};

const quote = (bid: number, ask: number, instrument = INSTRUMENT) => quoteAt(instrument, bid, ask, NOW);

/** Leg `leg` of list `listId`, tagged as the platform sends a list its venue holds. */
const leg = (tag: Omit<NativeListLeg, "triggerOnPartial"> & { triggerOnPartial?: boolean }, over: Record<string, unknown> = {}) => ({
  type: "VenueNewOrder" as const,
  clientOrderId: `list.${tag.listId}.${tag.leg}`,
  version: 1,
  instrument: INSTRUMENT,
  side: "BUY" as const,
  orderType: "LIMIT" as const,
  quantity: quantityOf(1),
  price: priceOf(100),
  timeInForce: "GTC" as const,
  postOnly: false,
  reduceOnly: false,
  list: { triggerOnPartial: false, ...tag },
  tsEvent: NOW,
  tsInit: NOW,
  ...over,
});

const reports = (out: Emitted[]): ExecutionReport[] =>
  out.flatMap((e) => (e.type === "publish" && e.message.type === "ExecutionReport" ? [e.message as unknown as ExecutionReport] : []));
const of = (out: Emitted[], clientOrderId: string) => reports(out).filter((r) => r.clientOrderId === clientOrderId);
const execTypes = (out: Emitted[], clientOrderId: string) => of(out, clientOrderId).map((r) => r.execType);
const filled = (out: Emitted[], clientOrderId: string) => of(out, clientOrderId).reduce((q, r) => q + r.lastQty, 0);

/** Three buys of one OCO, resting at 100, 99.5 and 99 on one book. */
function restingOco(s: SimulatedVenueSession, out: Emitted[]) {
  s.quote(quote(98, 101), NOW, out);
  const oco = (n: number, price: number) =>
    leg({ listId: "o1", contingency: "OCO", leg: n, legCount: 3, role: "MEMBER" }, { price: priceOf(price) });
  s.newOrder(oco(0, 100), NOW + 1, out);
  s.newOrder(oco(1, 99.5), NOW + 2, out);
  t.equal(reports(out).length, 0, "a list is not worked before all of its legs arrived");
  s.newOrder(oco(2, 99), NOW + 3, out);
}

t.test("an OCO's first fill cancels the others in the same sweep: the ladder that reaches all three fills one", async (t) => {
  const s = session();
  const before: Emitted[] = [];
  restingOco(s, before);
  t.strictSame(
    reports(before).map((r) => r.execType),
    [ExecType.New, ExecType.New, ExecType.New],
    "the whole list is acknowledged at once",
  );
  const out: Emitted[] = [];
  // the market falls through all three buys at once: one background sell at 98.5 meets 100, then 99.5, then 99
  s.quote(quote(98.4, 98.5), NOW + 10, out);
  t.strictSame(execTypes(out, "list.o1.0"), [ExecType.Fill], "the best buy fills first and wins");
  t.strictSame(execTypes(out, "list.o1.1"), [ExecType.Canceled], "the next is canceled where it stood, never traded");
  t.strictSame(execTypes(out, "list.o1.2"), [ExecType.Canceled]);
  t.match(of(out, "list.o1.1")[0], { text: "ONE_CANCELS_OTHER", cumQty: 0 });
  t.equal(filled(out, "list.o1.1") + filled(out, "list.o1.2"), 0, "no window where a second member fills");
  t.equal(
    s.exchange
      .engine(INSTRUMENT)
      .openOrders()
      .filter((o) => o.owner !== s.exchange.backgroundOwner).length,
    0,
  );
});

t.test("an OCO member canceled unfilled cancels the rest; a partial fill keeps the winner working alone", async (t) => {
  const s = session();
  restingOco(s, []);
  const out: Emitted[] = [];
  s.cancel({ clientOrderId: "list.o1.1", instrument: INSTRUMENT, side: "BUY", cause: "USER", tsEvent: NOW, tsInit: NOW }, NOW + 10, out);
  t.strictSame(
    reports(out).map((r) => [r.clientOrderId, r.execType]),
    [
      ["list.o1.1", ExecType.Canceled],
      ["list.o1.0", ExecType.Canceled],
      ["list.o1.2", ExecType.Canceled],
    ],
  );
});

t.test("an OCO member's partial fill wins: the others are canceled and its rest keeps working", async (t) => {
  const s = session(1);
  s.quote(quote(98, 101), NOW, []);
  const out: Emitted[] = [];
  const member = (n: number, over: Record<string, unknown>) =>
    leg({ listId: "p1", contingency: "OCO", leg: n, legCount: 2, role: "MEMBER" }, over);
  s.newOrder(member(0, { quantity: quantityOf(3), price: priceOf(99.99) }), NOW + 1, out);
  s.newOrder(member(1, { side: "SELL", price: priceOf(120) }), NOW + 2, out);
  // one unit offered at 99.99, the next levels above the buy
  s.quote(quote(99.9, 99.99), NOW + 10, out);
  t.match(of(out, "list.p1.0").at(-1), { execType: ExecType.PartialFill, cumQty: quantityOf(1), leavesQty: quantityOf(2) });
  t.match(of(out, "list.p1.1").at(-1), { execType: ExecType.Canceled, text: "ONE_CANCELS_OTHER" });
  t.match(s.exchange.engine(INSTRUMENT).openOrders("alphamind"), [{ clientOrderId: "list.p1.0", leaves: quantityOf(2) }]);
});

t.test("an OTO holds its secondaries off-book and places them in the primary's fill, at once", async (t) => {
  const s = session();
  const out: Emitted[] = [];
  s.quote(quote(98, 101), NOW, out);
  s.newOrder(
    leg({ listId: "t1", contingency: "OTO", leg: 1, legCount: 2, role: "SECONDARY" }, { side: "SELL", price: priceOf(110) }),
    NOW + 1,
    out,
  );
  s.newOrder(leg({ listId: "t1", contingency: "OTO", leg: 0, legCount: 2, role: "PRIMARY" }, { quantity: quantityOf(2) }), NOW + 2, out);
  t.strictSame(execTypes(out, "list.t1.1"), [ExecType.New], "the secondary is acknowledged, held off-book");
  const state: Emitted[] = [];
  s.requestState(NOW + 3, 0, state);
  const snapshot = state[0]?.type === "publish" ? (state[0].message as unknown as { openOrders: { clientOrderId: string }[] }) : undefined;
  t.strictSame(snapshot?.openOrders.map((o) => o.clientOrderId).sort(), ["list.t1.0", "list.t1.1"], "reconciliation sees both legs open");
  const status: Emitted[] = [];
  s.orderStatus(NOW + 3, "list.t1.1", status);
  t.match(status[0], { type: "publish", message: { open: true } }, "order status: the held leg is open");

  const fill: Emitted[] = [];
  s.quote(quote(99, 99.5), NOW + 10, fill);
  t.strictSame(execTypes(fill, "list.t1.0"), [ExecType.Fill]);
  t.strictSame(execTypes(fill, "list.t1.1"), [], "released into its book without a second acknowledgement");
  t.match(
    s.exchange.engine(INSTRUMENT).openOrders("alphamind"),
    [{ clientOrderId: "list.t1.1", side: "SELL", price: priceOf(110) }],
    "the secondary rests in its book once the primary filled",
  );
});

t.test("an OTO whose primary is canceled drops its secondaries", async (t) => {
  const s = session();
  const out: Emitted[] = [];
  s.quote(quote(98, 101), NOW, out);
  s.newOrder(leg({ listId: "t2", contingency: "OTO", leg: 0, legCount: 2, role: "PRIMARY" }), NOW + 1, out);
  s.newOrder(leg({ listId: "t2", contingency: "OTO", leg: 1, legCount: 2, role: "SECONDARY" }, { side: "SELL" }), NOW + 2, out);
  const cancel: Emitted[] = [];
  s.cancel({ clientOrderId: "list.t2.0", instrument: INSTRUMENT, side: "BUY", cause: "USER", tsEvent: NOW, tsInit: NOW }, NOW + 3, cancel);
  t.strictSame(
    reports(cancel).map((r) => [r.clientOrderId, r.execType]),
    [
      ["list.t2.0", ExecType.Canceled],
      ["list.t2.1", ExecType.Canceled],
    ],
  );
});

t.test("a bracket places its exits sized to the entry's fill, and the take-profit's fill cancels the stop", async (t) => {
  const s = session(2);
  const out: Emitted[] = [];
  s.quote(quote(98, 101), NOW, out);
  const bracket = (n: number, role: NativeListLeg["role"], over: Record<string, unknown>) =>
    leg({ listId: "b1", contingency: "BRACKET", leg: n, legCount: 3, role }, { quantity: quantityOf(3), ...over });
  s.newOrder(bracket(0, "ENTRY", { price: priceOf(99.5) }), NOW + 1, out);
  s.newOrder(bracket(1, "TAKE_PROFIT", { side: "SELL", price: priceOf(110) }), NOW + 2, out);
  s.newOrder(bracket(2, "STOP_LOSS", { side: "SELL", orderType: "STOP", price: undefined, stopPrice: priceOf(90) }), NOW + 3, out);
  // two offered at 99.5 (the next levels above the entry's limit) fill two of its three; then the entry is canceled
  const entry: Emitted[] = [];
  s.quote(quote(99, 99.5), NOW + 10, entry);
  t.strictSame(execTypes(entry, "list.b1.0"), [ExecType.PartialFill]);
  t.strictSame(execTypes(entry, "list.b1.1"), [], "no exit while the entry works");
  const exits: Emitted[] = [];
  s.cancel({ clientOrderId: "list.b1.0", instrument: INSTRUMENT, side: "BUY", cause: "USER", tsEvent: NOW, tsInit: NOW }, NOW + 11, exits);
  t.match(of(exits, "list.b1.1"), [{ execType: ExecType.Replaced, quantity: quantityOf(2), leavesQty: quantityOf(2) }]);
  t.match(of(exits, "list.b1.2"), [{ execType: ExecType.Replaced, quantity: quantityOf(2) }]);
  t.match(s.exchange.engine(INSTRUMENT).openOrders("alphamind"), [
    { clientOrderId: "list.b1.1", leaves: quantityOf(2), ocoGroup: "list:b1" },
    { clientOrderId: "list.b1.2", leaves: quantityOf(2), pendingStop: true, ocoGroup: "list:b1" },
  ]);
  // the market rallies through the take-profit
  const rally: Emitted[] = [];
  s.quote(quote(111, 111.5), NOW + 20, rally);
  t.equal(filled(rally, "list.b1.1"), quantityOf(2));
  t.equal(of(rally, "list.b1.1").at(-1)?.execType, ExecType.Fill);
  t.match(of(rally, "list.b1.2"), [{ execType: ExecType.Canceled, text: "ONE_CANCELS_OTHER" }], "the stop goes in the same step");
  t.equal(s.openOrderCount, 0);
});

t.test("members placed in one step lose to one that filled before them: two marketable buys, a take-profit filling at once", async (t) => {
  const s = session();
  s.quote(quote(99, 99.5), NOW, []);
  const out: Emitted[] = [];
  const member = (n: number) => leg({ listId: "m1", contingency: "OCO", leg: n, legCount: 2, role: "MEMBER" }, { price: priceOf(100) });
  s.newOrder(member(0), NOW + 1, out);
  s.newOrder(member(1), NOW + 2, out);
  t.strictSame(execTypes(out, "list.m1.0"), [ExecType.New, ExecType.Fill], "the first takes the offer");
  t.match(of(out, "list.m1.1"), [{ execType: ExecType.New }, { execType: ExecType.Canceled, text: "ONE_CANCELS_OTHER", cumQty: 0 }]);

  const b = session();
  b.quote(quote(99, 99.5), NOW, []);
  const bracket: Emitted[] = [];
  const legOf = (n: number, role: NativeListLeg["role"], over: Record<string, unknown>) =>
    leg({ listId: "b2", contingency: "BRACKET", leg: n, legCount: 3, role }, over);
  b.newOrder(legOf(0, "ENTRY", {}), NOW + 1, bracket);
  b.newOrder(legOf(1, "TAKE_PROFIT", { side: "SELL", price: priceOf(98) }), NOW + 2, bracket);
  b.newOrder(legOf(2, "STOP_LOSS", { side: "SELL", orderType: "STOP", price: undefined, stopPrice: priceOf(90) }), NOW + 3, bracket);
  t.strictSame(execTypes(bracket, "list.b2.0"), [ExecType.New, ExecType.Fill], "the entry takes the offer");
  t.strictSame(execTypes(bracket, "list.b2.1"), [ExecType.New, ExecType.Fill], "its take-profit, placed at once, hits the bid");
  t.match(of(bracket, "list.b2.2").at(-1), { execType: ExecType.Canceled, text: "ONE_CANCELS_OTHER" }, "the stop placed after it loses");
  t.equal(b.openOrderCount, 0);
});

t.test("a member refused by its book cancels another still on its way there, as it arrives", async (t) => {
  const s = new SimulatedVenueSession({
    venue: "SIMX",
    instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
    background: { levels: 3, stepTicks: 1, quantity: quantityOf(100) },
    seqBase: 1_000,
    latency: { fixedUs: 0, jitterUs: 1_000, seed: 5 },
  });
  s.loggedOn = true;
  s.quote(quote(99, 99.5), NOW, []);
  const out: Emitted[] = [];
  const member = (n: number, over: Record<string, unknown>) =>
    leg({ listId: "f1", contingency: "OCO", leg: n, legCount: 2, role: "MEMBER" }, over);
  // a post-only buy at the offer would take: its book refuses it
  s.newOrder(member(0, { price: priceOf(99.5), postOnly: true }), NOW, out);
  s.newOrder(member(1, { price: priceOf(98) }), NOW, out);
  const first = s.exchange.nextArrivalUs!;
  s.arrive(first, out);
  t.equal(s.exchange.inFlight, 1, "the second member is still on its way");
  t.match(of(out, "list.f1.0"), [{ execType: ExecType.Rejected }]);
  s.arrive(first + 2_000, out);
  t.match(of(out, "list.f1.1"), [{ execType: ExecType.New }, { execType: ExecType.Canceled, cumQty: 0 }]);
  t.equal(s.openOrderCount, 0);
});

t.test("a list is refused whole where its one-cancels-other legs span two books, and a leg that does not fit it is refused", async (t) => {
  const s = session();
  const out: Emitted[] = [];
  s.newOrder(leg({ listId: "x", contingency: "OCO", leg: 0, legCount: 2, role: "MEMBER" }), NOW, out);
  s.newOrder(leg({ listId: "x", contingency: "OCO", leg: 1, legCount: 2, role: "MEMBER" }, { instrument: OTHER }), NOW + 1, out);
  t.match(reports(out), [
    { clientOrderId: "list.x.0", execType: ExecType.Rejected, text: /LIST_SPANS_INSTRUMENTS/ },
    { clientOrderId: "list.x.1", execType: ExecType.Rejected, text: /SIM001\.SIMX, SIM002\.SIMX/ },
  ]);
  const mismatch: Emitted[] = [];
  s.newOrder(leg({ listId: "y", contingency: "OCO", leg: 0, legCount: 2, role: "MEMBER" }), NOW + 2, mismatch);
  s.newOrder(leg({ listId: "y", contingency: "OTO", leg: 1, legCount: 2, role: "SECONDARY" }), NOW + 3, mismatch);
  t.match(reports(mismatch), [
    { clientOrderId: "list.y.1", execType: ExecType.Rejected, text: /LIST_MISMATCH: list y is a OCO of 2 legs/ },
  ]);
});

t.test("a restarted venue keeps its lists: held legs stay held and an OCO group still cancels", async (t) => {
  const s = session();
  const out: Emitted[] = [];
  restingOco(s, out);
  s.newOrder(leg({ listId: "t3", contingency: "OTO", leg: 0, legCount: 2, role: "PRIMARY" }, { price: priceOf(97) }), NOW + 4, out);
  s.newOrder(
    leg({ listId: "t3", contingency: "OTO", leg: 1, legCount: 2, role: "SECONDARY" }, { side: "SELL", price: priceOf(120) }),
    NOW + 5,
    out,
  );
  const stored = decodeSnapshot(encodeSnapshot(s.snapshot())) as VenueSessionSnapshot;
  const r = session();
  r.restore(stored);
  r.loggedOn = true;
  const after: Emitted[] = [];
  r.quote(quote(96.5, 96.9), NOW + 10, after);
  t.strictSame(execTypes(after, "list.o1.0"), [ExecType.Fill]);
  t.strictSame([...execTypes(after, "list.o1.1"), ...execTypes(after, "list.o1.2")], [ExecType.Canceled, ExecType.Canceled]);
  t.strictSame(execTypes(after, "list.t3.0"), [ExecType.Fill]);
  t.match(
    r.exchange.engine(INSTRUMENT).openOrders("alphamind"),
    [{ clientOrderId: "list.t3.1", price: priceOf(120) }],
    "the secondary released",
  );
});
