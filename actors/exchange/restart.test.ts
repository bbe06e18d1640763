import t from "tap";
import type { Emitted } from "../contract/index.ts";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../domain/index.ts";
import { decodeSnapshot, encodeSnapshot } from "../../infra/nats/codec.ts";
import { SNAPSHOT_EXECUTIONS, type VenueSessionSnapshot } from "./session-snapshot.ts";
import { SimulatedVenueSession } from "./venue-session.ts";
import { quoteAt } from "./testing.ts";

const INSTRUMENT = "SIM001.SIMX";
const NOW = 1_700_000_000_000_000;

const session = (seqBase: number) =>
  new SimulatedVenueSession({
    venue: "SIMX",
    instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
    background: { levels: 3, stepTicks: 1, quantity: quantityOf(5) },
    seqBase,
  });

const quote = (bid: number, ask: number) => quoteAt(INSTRUMENT, bid, ask, NOW);

const order = (clientOrderId: string, over: Record<string, unknown>) => ({
  type: "VenueNewOrder" as const,
  clientOrderId,
  version: 1,
  instrument: INSTRUMENT,
  side: "BUY" as const,
  orderType: "LIMIT" as const,
  quantity: quantityOf(10),
  timeInForce: "GTC" as const,
  postOnly: false,
  reduceOnly: false,
  tsEvent: NOW,
  tsInit: NOW,
  ...over,
});

const reports = (out: Emitted[]): ExecutionReport[] =>
  out.flatMap((e) => (e.type === "publish" && e.message.type === "ExecutionReport" ? [e.message as unknown as ExecutionReport] : []));

/** A session with a partly filled buy, a resting buy and a pending sell stop, as a venue holds them before a restart. */
function trading() {
  const s = session(1_000);
  const out: Emitted[] = [];
  s.loggedOn = true;
  s.quote(quote(100, 100.02), NOW, out);
  s.newOrder(order("partly", { price: priceOf(99) }), NOW + 1, out);
  s.newOrder(order("resting", { price: priceOf(98), quantity: quantityOf(3) }), NOW + 2, out);
  s.newOrder(order("stop", { side: "SELL", orderType: "STOP", stopPrice: priceOf(90), quantity: quantityOf(2) }), NOW + 3, out);
  // the market falls to 98.99: the background bid ladder moves through our buy at 99 and fills 5 of it
  s.quote(quote(98.99, 99), NOW + 4, out);
  return { s, out };
}

/** Through the codec the runtime stores snapshots with: plain data only. */
const stored = (s: SimulatedVenueSession): VenueSessionSnapshot => decodeSnapshot(encodeSnapshot(s.snapshot())) as VenueSessionSnapshot;

/** A new session (a later seqBase) restored from `s`'s stored snapshot, its client logged on again. */
function restartedFrom(s: SimulatedVenueSession, seqBase: number): SimulatedVenueSession {
  const restarted = session(seqBase);
  restarted.restore(stored(s));
  restarted.loggedOn = true;
  return restarted;
}

t.test("a restarted venue has the same open orders, fills and queue, and its execution ids are new", async (t) => {
  const { s, out } = trading();
  const before = reports(out);
  t.match(
    before.filter((r) => r.clientOrderId === "partly" && r.execType === ExecType.PartialFill),
    [{ cumQty: quantityOf(5) }],
    "the buy at 99 is partly filled before the restart",
  );
  const beforeState: Emitted[] = [];
  s.requestState(NOW + 5, 0, beforeState);

  const restarted = restartedFrom(s, 2_000_000);
  t.equal(restarted.openOrderCount, 3, "every open order is back");
  const afterState: Emitted[] = [];
  restarted.requestState(NOW + 6, 0, afterState);
  const openOf = (e: Emitted[]) => (e[0] as unknown as { message: { openOrders: unknown[] } }).message.openOrders;
  t.same(openOf(afterState), openOf(beforeState), "with their venue ids, quantities and fills");
  const executions = (afterState[0] as unknown as { message: { executions: ExecutionReport[] } }).message.executions;
  t.same(
    executions.map((r) => r.execId),
    before.map((r) => r.execId),
    "the executions a client reconciles with are remembered",
  );

  // the market falls through both buys, and a trade prints through the stop: every restored order trades as it
  // would have (stops trigger on trades; ours is a buy taking the new ask at 89.01)
  const after: Emitted[] = [];
  restarted.quote(quote(97, 97.01), NOW + 7, after);
  restarted.quote(quote(89, 89.01), NOW + 8, after);
  restarted.newOrder(order("taker", { price: priceOf(89.01), quantity: quantityOf(1) }), NOW + 9, after);
  const fills = reports(after).filter((r) => r.execType === ExecType.Fill || r.execType === ExecType.PartialFill);
  const last = (id: string) => fills.filter((r) => r.clientOrderId === id).at(-1);
  t.match(last("partly"), { execType: ExecType.Fill, cumQty: quantityOf(10), leavesQty: 0 }, "the partly filled buy fills its rest");
  t.equal(last("partly")?.avgPx, priceOf(99), "at its average over both sessions");
  t.match(last("resting"), { execType: ExecType.Fill, cumQty: quantityOf(3) });
  t.match(last("stop"), { execType: ExecType.Fill, cumQty: quantityOf(2) }, "the pending stop triggered and filled");
  const earlier = new Set(before.map((r) => r.execId));
  t.notOk(
    reports(after).some((r) => earlier.has(r.execId)),
    "no execution id of the earlier session is used again",
  );
  t.ok(
    reports(after).every((r) => r.venueSeq > Math.max(...before.map((b) => b.venueSeq))),
    "venue sequence numbers continue above the earlier session's",
  );

  const next: Emitted[] = [];
  restarted.newOrder(order("new", { price: priceOf(80) }), NOW + 10, next);
  const venueIds = [...before, ...reports(after)].map((r) => r.venueOrderId);
  t.notOk(venueIds.includes(reports(next)[0]!.venueOrderId), "a new order gets an id no earlier order had");
});

t.test("a restart keeps a replaced order's version and refuses a snapshot of another venue", async (t) => {
  const { s } = trading();
  const out: Emitted[] = [];
  s.replace(
    {
      clientOrderId: "resting",
      version: 2,
      instrument: INSTRUMENT,
      side: "BUY",
      quantity: quantityOf(4),
      price: priceOf(98),
      tsEvent: NOW,
      tsInit: NOW,
    } as never,
    NOW + 5,
    out,
  );
  const restarted = restartedFrom(s, 3_000_000);
  const cancel: Emitted[] = [];
  restarted.cancel(
    { clientOrderId: "resting", version: 2, instrument: INSTRUMENT, side: "BUY", tsEvent: NOW, tsInit: NOW } as never,
    NOW + 6,
    cancel,
  );
  t.match(
    reports(cancel),
    [{ execType: ExecType.Canceled, clientOrderId: "resting", cumQty: 0 }],
    "a restored order is canceled by its client id",
  );
  const other = session(4_000_000);
  t.throws(() => other.restore({ ...stored(s), venue: "OTHER" }), /snapshot of venue OTHER restored into venue SIMX/);
  t.equal(other.openOrderCount, 0, "and takes nothing from it");
});

t.test("a restarted venue still reports a fill that many later executions followed, for a client that missed it", async (t) => {
  const { s, out } = trading();
  const fill = reports(out).find((r) => r.clientOrderId === "partly" && r.execType === ExecType.PartialFill)!;
  // far more acknowledgements than a snapshot keeps of the latest executions
  for (let i = 0; i < 2 * SNAPSHOT_EXECUTIONS; i++)
    s.newOrder(order(`later-${i}`, { price: priceOf(90), quantity: quantityOf(1) }), NOW + 10 + i, out);

  const restarted = restartedFrom(s, 2_000_000);
  const state: Emitted[] = [];
  // a client whose last report was from before the fill
  restarted.requestState(NOW + 1_000, fill.venueSeq - 1, state);
  const executions = (state[0] as unknown as { message: { executions: ExecutionReport[] } }).message.executions;
  t.match(
    executions.filter((r) => r.clientOrderId === "partly"),
    [{ execId: fill.execId, execType: ExecType.PartialFill, lastQty: quantityOf(5), lastPx: fill.lastPx }],
    "the fill is among the executions since its client's last report",
  );
  t.equal(executions.length, SNAPSHOT_EXECUTIONS + 1, "beside the latest executions, not the acknowledgements before them");
  t.ok(
    executions.every((r, i) => i === 0 || r.venueSeq > executions[i - 1]!.venueSeq),
    "in venue sequence order",
  );
});

t.test(
  "an order id the venue has reported on is refused when sent again, before and after a restart: one order never executes twice",
  async (t) => {
    const { s } = trading();
    const taker = order("taker", { price: priceOf(100.02), quantity: quantityOf(1) });
    const first: Emitted[] = [];
    s.newOrder(taker, NOW + 5, first);
    t.match(reports(first).at(-1), { clientOrderId: "taker", execType: ExecType.Fill, leavesQty: 0 }, "filled and closed");

    const again: Emitted[] = [];
    s.newOrder(taker, NOW + 6, again);
    t.match(
      reports(again),
      [{ clientOrderId: "taker", execType: ExecType.Rejected, text: /DUPLICATE_CLIENT_ORDER_ID/ }],
      "refused in the session",
    );

    const restarted = restartedFrom(s, 2_000_000);
    const afterRestart: Emitted[] = [];
    restarted.newOrder(taker, NOW + 7, afterRestart);
    t.match(
      reports(afterRestart),
      [{ clientOrderId: "taker", execType: ExecType.Rejected, text: /DUPLICATE_CLIENT_ORDER_ID/ }],
      "and by the restarted venue, which kept its fill",
    );
    const fresh: Emitted[] = [];
    restarted.newOrder(order("fresh", { price: priceOf(100.02), quantity: quantityOf(1) }), NOW + 8, fresh);
    t.match(reports(fresh).at(-1), { clientOrderId: "fresh", execType: ExecType.New }, "a new id is taken as before");
  },
);
