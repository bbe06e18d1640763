import { priceOf, quantityOf, asPrice, asQuantity } from "../../domain/index.ts";
import t from "tap";
import { Liquidity, OrderType, Side, TimeInForce, TradingStatus } from "../../domain/trading.ts";
import { CancelReason, MatchEventKind, MatchRejectReason, StpMode } from "./codes.ts";
import { type MatchingEngineConfig, MatchingEngine, type OrderRequest } from "./engine.ts";
import { executionFee } from "./fees.ts";

const P = priceOf;
const Q = quantityOf;

const engine = (extra: Partial<MatchingEngineConfig> = {}) =>
  new MatchingEngine({ instrument: "ACME.SIM", tickSize: P(0.01), lotSize: Q(1), ...extra });

const limit = (side: Side, price: number, qty: number, owner = "a", extra: Partial<OrderRequest> = {}): OrderRequest => ({
  side,
  type: OrderType.Limit,
  price: P(price),
  quantity: Q(qty),
  timeInForce: TimeInForce.Gtc,
  owner,
  ...extra,
});
const market = (side: Side, qty: number, owner = "a", extra: Partial<OrderRequest> = {}): OrderRequest => ({
  side,
  type: OrderType.Market,
  quantity: Q(qty),
  timeInForce: TimeInForce.Ioc,
  owner,
  ...extra,
});

/** The events of the last command. */
const run = (e: MatchingEngine, f: () => unknown) => {
  const before = e.lastSeq;
  f();
  return e.eventsSince(before);
};
const kinds = (evs: { kind: string }[]) => evs.map((x) => x.kind);

t.test("a limit order rests when nothing crosses and shows in the L2 view", async (t) => {
  const e = engine();
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 5), 1));
  t.same(kinds(evs), [MatchEventKind.Accepted]);
  e.submit(limit(Side.Buy, 100, 3, "b"), 2);
  e.submit(limit(Side.Sell, 101, 2), 3);
  t.same(e.l2(5), { bids: [{ price: P(100), quantity: Q(8), orders: 2 }], asks: [{ price: P(101), quantity: Q(2), orders: 1 }] });
  t.same(e.top(), { bidPrice: P(100), bidQuantity: Q(8), askPrice: P(101), askQuantity: Q(2) });
});

t.test("a crossing limit order fills at the maker's price and rests its remainder", async (t) => {
  const e = engine();
  const maker = e.submit(limit(Side.Sell, 100, 3, "m"), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 101, 5, "t"), 2));
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.PartiallyFilled, MatchEventKind.Filled]);
  const [, taker, mk] = evs;
  t.equal(taker!.price, P(100));
  t.equal(taker!.quantity, Q(3));
  t.equal(taker!.leaves, Q(2));
  t.equal(taker!.liquidity, Liquidity.Taker);
  t.equal(mk!.orderId, maker);
  t.equal(mk!.liquidity, Liquidity.Maker);
  t.equal(mk!.tradeId, taker!.tradeId);
  t.equal(e.bestBid(), P(101));
  t.equal(e.bestAsk(), 0);
});

t.test("a market order sweeps levels best first and cancels what finds no liquidity", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 101, 1), 1);
  e.submit(limit(Side.Sell, 100, 1), 1);
  const evs = run(e, () => e.submit(market(Side.Buy, 3, "t"), 2));
  t.same(kinds(evs), [
    MatchEventKind.Accepted,
    MatchEventKind.PartiallyFilled,
    MatchEventKind.Filled,
    MatchEventKind.PartiallyFilled,
    MatchEventKind.Filled,
    MatchEventKind.Canceled,
  ]);
  t.same(
    evs.filter((x) => x.liquidity === Liquidity.Taker).map((x) => x.price),
    [P(100), P(101)],
  );
  const c = evs.at(-1)!;
  t.equal(c.reason, CancelReason.Unfilled);
  t.equal(c.quantity, Q(1));
  t.equal(e.openOrderCount, 0);
});

t.test("an IOC order fills what it can and cancels the rest", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 2), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 5, "t", { timeInForce: TimeInForce.Ioc }), 2));
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.PartiallyFilled, MatchEventKind.Filled, MatchEventKind.Canceled]);
  t.equal(evs.at(-1)!.quantity, Q(3));
  t.equal(e.bestBid(), 0);
});

t.test("a FOK order that cannot fill in full is rejected before any fill", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 2), 1);
  e.submit(limit(Side.Sell, 102, 5), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 101, 3, "t", { timeInForce: TimeInForce.Fok }), 2));
  t.same(kinds(evs), [MatchEventKind.Rejected]);
  t.equal(evs[0]!.reason, MatchRejectReason.FokCannotFill);
  t.equal(e.top().askQuantity, Q(2));
  const ok = run(e, () => e.submit(limit(Side.Buy, 102, 7, "t", { timeInForce: TimeInForce.Fok }), 3));
  t.equal(ok.at(-2)!.kind, MatchEventKind.Filled);
  t.equal(
    ok.filter((x) => x.liquidity === Liquidity.Taker).reduce((s, x) => s + x.quantity, 0),
    Q(7),
  );
});

t.test("a FOK order does not count its own resting orders under self-trade prevention", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 5, "t"), 1);
  e.submit(limit(Side.Sell, 100, 5, "m"), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 5, "t", { timeInForce: TimeInForce.Fok }), 2));
  t.equal(evs[0]!.reason, MatchRejectReason.FokCannotFill);
});

t.test("a post-only order that would take liquidity is rejected, one that rests is accepted", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 1), 1);
  const bad = run(e, () => e.submit(limit(Side.Buy, 100, 1, "b", { postOnly: true }), 2));
  t.equal(bad[0]!.kind, MatchEventKind.Rejected);
  t.equal(bad[0]!.reason, MatchRejectReason.PostOnlyWouldTake);
  const good = run(e, () => e.submit(limit(Side.Buy, 99.99, 1, "b", { postOnly: true }), 3));
  t.same(kinds(good), [MatchEventKind.Accepted]);
  const notLimit = run(e, () => e.submit(market(Side.Buy, 1, "b", { postOnly: true }), 4));
  t.equal(notLimit[0]!.reason, MatchRejectReason.PostOnlyNotLimit);
});

t.test("fees: the maker earns its rebate and the taker pays, exactly and rounded towards +infinity", async (t) => {
  const e = engine({ makerFeeBps: -0.25, takerFeeBps: 3 });
  e.submit(limit(Side.Sell, 123.45, 7, "m"), 1);
  const evs = run(e, () => e.submit(market(Side.Buy, 7, "t"), 2));
  const taker = evs.find((x) => x.liquidity === Liquidity.Taker)!;
  const maker = evs.find((x) => x.liquidity === Liquidity.Maker)!;
  // notional 864.15 → taker 3 bps = 0.259245, maker -0.25 bps = -0.0216037.5 → towards +inf
  t.equal(taker.fee, 25924500n);
  t.equal(maker.fee, -2160375n);
  t.equal(executionFee(P(1), asQuantity(1), 1), 1n, "a fraction of a unit of charge rounds up");
  t.equal(executionFee(P(1), asQuantity(1), -1), 0n, "a fraction of a unit of rebate rounds to zero");
});

t.test("self-trade prevention cancel-newest cancels the incoming order and keeps the resting one", async (t) => {
  const e = engine();
  const resting = e.submit(limit(Side.Sell, 100, 1, "x"), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 1, "x"), 2));
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.Canceled]);
  t.equal(evs[1]!.reason, CancelReason.SelfTradePrevention);
  t.ok(e.order(resting));
});

t.test("self-trade prevention cancel-oldest cancels the resting order and matches on behind it", async (t) => {
  const e = engine({ stpMode: StpMode.CancelOldest });
  const mine = e.submit(limit(Side.Sell, 100, 1, "x"), 1);
  const other = e.submit(limit(Side.Sell, 100, 1, "y"), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 1, "x"), 2));
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.Canceled, MatchEventKind.Filled, MatchEventKind.Filled]);
  t.equal(evs[1]!.orderId, mine);
  t.equal(evs[3]!.orderId, other);
});

t.test("self-trade prevention cancel-both cancels the resting and the incoming order", async (t) => {
  const e = engine({ stpMode: StpMode.CancelBoth });
  const mine = e.submit(limit(Side.Sell, 100, 1, "x"), 1);
  const evs = run(e, () => e.submit(limit(Side.Buy, 100, 2, "x"), 2));
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.Canceled, MatchEventKind.Canceled]);
  t.equal(evs[1]!.orderId, mine);
  t.equal(e.openOrderCount, 0);
});

t.test("reducing quantity keeps queue priority", async (t) => {
  const e = engine();
  const first = e.submit(limit(Side.Buy, 100, 5), 1);
  const second = e.submit(limit(Side.Buy, 100, 5, "b"), 2);
  const evs = run(e, () => e.replace(first, { quantity: Q(2) }, 3));
  t.same(kinds(evs), [MatchEventKind.Replaced]);
  t.same(e.queueAt(Side.Buy, P(100)), [first, second]);
  t.equal(e.top().bidQuantity, Q(7));
});

t.test("increasing quantity or changing price loses queue priority", async (t) => {
  const e = engine();
  const first = e.submit(limit(Side.Buy, 100, 5), 1);
  const second = e.submit(limit(Side.Buy, 100, 5, "b"), 2);
  e.replace(first, { quantity: Q(6) }, 3);
  t.same(e.queueAt(Side.Buy, P(100)), [second, first]);
  e.replace(second, { price: P(100.01) }, 4);
  e.replace(second, { price: P(100) }, 5);
  t.same(e.queueAt(Side.Buy, P(100)), [first, second]);
  t.equal(e.top().bidQuantity, Q(11));
});

t.test("a replace that moves a limit order through the book trades at once", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 101, 2, "m"), 1);
  const id = e.submit(limit(Side.Buy, 100, 3), 2);
  const evs = run(e, () => e.replace(id, { price: P(101) }, 3));
  t.same(kinds(evs), [MatchEventKind.Replaced, MatchEventKind.PartiallyFilled, MatchEventKind.Filled]);
  t.equal(e.order(id)!.leaves, Q(1));
  t.equal(e.order(id)!.cum, Q(2));
});

t.test("replace refusals leave the order unchanged", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 101, 2, "m"), 1);
  const id = e.submit(limit(Side.Buy, 100, 3, "a", { postOnly: true }), 2);
  const cross = run(e, () => e.replace(id, { price: P(101) }, 3));
  t.same(kinds(cross), [MatchEventKind.CancelRejected]);
  t.equal(cross[0]!.reason, MatchRejectReason.PostOnlyWouldTake);
  t.equal(run(e, () => e.replace(999, { quantity: Q(1) }, 3))[0]!.reason, MatchRejectReason.UnknownOrder);
  t.equal(run(e, () => e.replace(id, { quantity: Q(1.5) }, 3))[0]!.reason, MatchRejectReason.QuantityOffLot);
  t.equal(run(e, () => e.replace(id, { stopPrice: P(99) }, 3))[0]!.reason, MatchRejectReason.StopPriceNotAllowed);
  t.equal(e.order(id)!.price, P(100));
  t.equal(e.order(id)!.quantity, Q(3));
});

t.test("a replace cannot cut quantity to or below what has filled", async (t) => {
  const e = engine();
  const id = e.submit(limit(Side.Buy, 100, 3), 1);
  e.submit(limit(Side.Sell, 100, 2, "m"), 2);
  const evs = run(e, () => e.replace(id, { quantity: Q(2) }, 3));
  t.equal(evs[0]!.reason, MatchRejectReason.ReplaceQuantityNotAboveFilled);
});

t.test("a stop order waits off-book and becomes a market order when a trade reaches its stop price", async (t) => {
  const e = engine();
  const stop = e.submit(
    { side: Side.Buy, type: OrderType.Stop, stopPrice: P(101), quantity: Q(1), timeInForce: TimeInForce.Gtc, owner: "s" },
    1,
  );
  t.equal(e.order(stop)!.pendingStop, true);
  t.equal(e.bestBid(), 0, "a pending stop is not in the book");
  e.submit(limit(Side.Sell, 100.5, 1, "m"), 2);
  e.submit(limit(Side.Sell, 102, 1, "m"), 2);
  const quiet = run(e, () => e.submit(market(Side.Buy, 1, "t"), 3));
  t.notOk(
    quiet.some((x) => x.kind === MatchEventKind.Triggered),
    "a trade at 100.5 does not reach 101",
  );
  e.submit(limit(Side.Sell, 101, 1, "m"), 4);
  const evs = run(e, () => e.submit(market(Side.Buy, 1, "t"), 5));
  const trig = evs.findIndex((x) => x.kind === MatchEventKind.Triggered);
  t.ok(trig > 0);
  t.equal(evs[trig]!.orderId, stop);
  const fill = evs.slice(trig).find((x) => x.orderId === stop && x.liquidity === Liquidity.Taker)!;
  t.equal(fill.price, P(102));
  t.equal(fill.kind, MatchEventKind.Filled);
});

t.test("a stop-limit order triggered by a falling trade rests as a limit order", async (t) => {
  const e = engine();
  const stop = e.submit(
    {
      side: Side.Sell,
      type: OrderType.StopLimit,
      stopPrice: P(99),
      price: P(98.5),
      quantity: Q(2),
      timeInForce: TimeInForce.Gtc,
      owner: "s",
    },
    1,
  );
  e.submit(limit(Side.Buy, 99, 1, "m"), 2);
  const evs = run(e, () => e.submit(market(Side.Sell, 1, "t"), 3));
  t.ok(evs.some((x) => x.kind === MatchEventKind.Triggered && x.orderId === stop));
  t.equal(e.order(stop)!.pendingStop, false);
  t.equal(e.order(stop)!.type, OrderType.Limit);
  t.equal(e.bestAsk(), P(98.5));
});

t.test("a GTD order expires at expire() once its time has come and not before", async (t) => {
  const e = engine();
  const id = e.submit(limit(Side.Buy, 100, 1, "a", { timeInForce: TimeInForce.Gtd, expireAtUs: 1_000 }), 1);
  t.equal(e.expire(999), 0);
  const evs = run(e, () => e.expire(1_000));
  t.same(kinds(evs), [MatchEventKind.Expired]);
  t.equal(evs[0]!.orderId, id);
  t.equal(evs[0]!.quantity, Q(1));
  t.equal(e.bestBid(), 0);
  const late = run(e, () => e.submit(limit(Side.Buy, 100, 1, "a", { timeInForce: TimeInForce.Gtd, expireAtUs: 5 }), 10));
  t.equal(late[0]!.reason, MatchRejectReason.ExpireTimeInPast);
  t.equal(
    run(e, () => e.submit(limit(Side.Buy, 100, 1, "a", { timeInForce: TimeInForce.Gtd }), 10))[0]!.reason,
    MatchRejectReason.ExpireTimeMissing,
  );
});

t.test("closing the session expires DAY orders and keeps GTC ones", async (t) => {
  const e = engine();
  const day = e.submit(limit(Side.Buy, 100, 1, "a", { timeInForce: TimeInForce.Day }), 1);
  const gtc = e.submit(limit(Side.Buy, 99, 1), 1);
  const evs = run(e, () => e.closeSession(2));
  t.same(
    evs.map((x) => [x.kind, x.orderId, x.reason]),
    [[MatchEventKind.Expired, day, CancelReason.SessionClosed]],
  );
  t.ok(e.order(gtc));
});

t.test("cancel removes an order; an unknown or foreign id is refused with its reason", async (t) => {
  const e = engine();
  const id = e.submit(limit(Side.Buy, 100, 1, "a"), 1);
  t.equal(run(e, () => e.cancel(id, 2, "b"))[0]!.reason, MatchRejectReason.NotOwner);
  const evs = run(e, () => e.cancel(id, 2, "a"));
  t.same(kinds(evs), [MatchEventKind.Canceled]);
  t.equal(evs[0]!.reason, CancelReason.Requested);
  t.equal(e.bestBid(), 0);
  const again = run(e, () => e.cancel(id, 3));
  t.same(kinds(again), [MatchEventKind.CancelRejected]);
  t.equal(again[0]!.reason, MatchRejectReason.UnknownOrder);
});

t.test("each invalid order is rejected with its own reason", async (t) => {
  const e = engine({ maxQuantity: Q(1000), priceBandBps: 1000, referencePrice: P(100) });
  const reason = (r: OrderRequest) => run(e, () => e.submit(r, 1))[0]!.reason;
  t.equal(reason(limit(Side.Buy, 100, 0)), MatchRejectReason.InvalidQuantity);
  t.equal(reason({ ...limit(Side.Buy, 100, 1), quantity: asQuantity(1.5) }), MatchRejectReason.InvalidQuantity);
  t.equal(reason(limit(Side.Buy, 100, 1.5)), MatchRejectReason.QuantityOffLot);
  t.equal(reason(limit(Side.Buy, 100, 1001)), MatchRejectReason.QuantityAboveMax);
  t.equal(reason(limit(Side.Buy, 100.005, 1)), MatchRejectReason.PriceOffTick);
  t.equal(reason({ ...limit(Side.Buy, 100, 1), price: asPrice(-1) }), MatchRejectReason.InvalidPrice);
  t.equal(reason({ ...limit(Side.Buy, 100, 1), price: undefined }), MatchRejectReason.PriceMissing);
  t.equal(reason({ ...market(Side.Buy, 1), price: P(100) }), MatchRejectReason.PriceNotAllowed);
  t.equal(reason({ ...limit(Side.Buy, 100, 1), stopPrice: P(100) }), MatchRejectReason.StopPriceNotAllowed);
  t.equal(reason({ ...market(Side.Buy, 1), type: OrderType.Stop }), MatchRejectReason.StopPriceMissing);
  t.equal(reason({ ...limit(Side.Buy, 100, 1), type: "ICEBERG" as OrderType }), MatchRejectReason.InvalidOrderType);
  t.equal(reason(limit(Side.Buy, 110.01, 1)), MatchRejectReason.PriceOutsideBand);
  t.equal(reason(limit(Side.Buy, 89.99, 1)), MatchRejectReason.PriceOutsideBand);
  t.equal(run(e, () => e.submit(limit(Side.Buy, 110, 1), 1))[0]!.kind, MatchEventKind.Accepted, "the band edge is inside");
  e.setStatus(TradingStatus.Halted);
  t.equal(reason(limit(Side.Buy, 100, 1)), MatchRejectReason.InstrumentHalted);
  e.setStatus(TradingStatus.Closed);
  t.equal(reason(limit(Side.Buy, 100, 1)), MatchRejectReason.MarketClosed);
});

t.test("a halted instrument still accepts cancels and refuses replaces", async (t) => {
  const e = engine();
  const a = e.submit(limit(Side.Buy, 100, 2), 1);
  const b = e.submit(limit(Side.Buy, 99, 2), 1);
  e.setStatus(TradingStatus.Halted);
  t.equal(run(e, () => e.replace(a, { quantity: Q(1) }, 2))[0]!.reason, MatchRejectReason.InstrumentHalted);
  t.equal(e.cancel(b, 2), true);
  e.setStatus(TradingStatus.Open);
  t.equal(e.replace(a, { quantity: Q(1) }, 3), true);
});

t.test("the price band follows the last trade when no reference price is set", async (t) => {
  const e = engine({ priceBandBps: 500 });
  t.equal(run(e, () => e.submit(limit(Side.Sell, 100, 1), 1))[0]!.kind, MatchEventKind.Accepted);
  e.submit(market(Side.Buy, 1, "t"), 2);
  t.equal(run(e, () => e.submit(limit(Side.Buy, 94.99, 1), 3))[0]!.reason, MatchRejectReason.PriceOutsideBand);
});

t.test("sequence numbers increase by one per event and executions since N are only fills", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 1, "m"), 1);
  const mark = e.lastSeq;
  e.submit(market(Side.Buy, 1, "t"), 2);
  const all = e.eventsSince(0);
  t.same(
    all.map((x) => x.seq),
    all.map((_, i) => i + 1),
  );
  t.same(
    e.executionsSince(mark).map((x) => x.liquidity),
    [Liquidity.Taker, Liquidity.Maker],
  );
});

t.test("reduce-only is carried on the order and left to the order/risk layer", async (t) => {
  const e = engine();
  const id = e.submit(limit(Side.Sell, 100, 1, "a", { reduceOnly: true }), 1);
  t.equal(e.order(id)!.reduceOnly, true);
});

t.test("open orders are listed per owner, oldest first", async (t) => {
  const e = engine();
  const a1 = e.submit(limit(Side.Buy, 100, 1, "a"), 1);
  e.submit(limit(Side.Buy, 99, 1, "b"), 1);
  const a2 = e.submit(
    { side: Side.Sell, type: OrderType.Stop, stopPrice: P(90), quantity: Q(1), timeInForce: TimeInForce.Gtc, owner: "a" },
    1,
  );
  t.same(
    e.openOrders("a").map((o) => o.orderId),
    [a1, a2],
  );
  t.equal(e.openOrders().length, 3);
});

t.test("the journal refuses to read events it no longer keeps", async (t) => {
  const e = engine({ journalCapacity: 16 });
  for (let i = 0; i < 20; i++) e.submit(limit(Side.Buy, 100, 1), 1);
  t.throws(() => e.eventsSince(0), /keeps seq 5\.\.20/);
  t.equal(e.eventsSince(4).length, 16);
});

t.test("a stop already through the last trade triggers on arrival", async (t) => {
  const e = engine();
  e.submit(limit(Side.Sell, 100, 1, "m"), 1);
  e.submit(market(Side.Buy, 1, "t"), 2);
  e.submit(limit(Side.Sell, 100.5, 1, "m"), 3);
  const evs = run(e, () =>
    e.submit({ side: Side.Buy, type: OrderType.Stop, stopPrice: P(99), quantity: Q(1), timeInForce: TimeInForce.Gtc, owner: "s" }, 4),
  );
  t.same(kinds(evs), [MatchEventKind.Accepted, MatchEventKind.Triggered, MatchEventKind.Filled, MatchEventKind.Filled]);
});

t.test("one stop's trade can trigger the next stop, lowest buy stop first", async (t) => {
  const e = engine();
  const stop = (px: number, owner: string) =>
    e.submit({ side: Side.Buy, type: OrderType.Stop, stopPrice: P(px), quantity: Q(1), timeInForce: TimeInForce.Gtc, owner }, 1);
  const s2 = stop(102, "s2");
  const s1 = stop(101, "s1");
  e.submit(limit(Side.Sell, 101, 1, "m"), 2);
  e.submit(limit(Side.Sell, 102, 1, "m"), 2);
  e.submit(limit(Side.Sell, 103, 1, "m"), 2);
  const evs = run(e, () => e.submit(limit(Side.Buy, 101, 1, "t"), 3));
  t.same(
    evs.filter((x) => x.kind === MatchEventKind.Triggered).map((x) => x.orderId),
    [s1, s2],
  );
  t.equal(e.lastTradePrice, P(103));
  t.equal(e.bestAsk(), 0);
});

t.test("replacing a stop price moves it in the trigger order", async (t) => {
  const e = engine();
  const id = e.submit(
    { side: Side.Sell, type: OrderType.Stop, stopPrice: P(95), quantity: Q(1), timeInForce: TimeInForce.Gtc, owner: "s" },
    1,
  );
  e.submit(limit(Side.Buy, 98, 2, "m"), 2);
  e.submit(market(Side.Sell, 1, "t"), 3);
  t.equal(e.order(id)!.pendingStop, true, "a trade at 98 does not reach a sell stop at 95");
  const evs = run(e, () => e.replace(id, { stopPrice: P(98) }, 4));
  t.same(kinds(evs), [MatchEventKind.Replaced, MatchEventKind.Triggered, MatchEventKind.Filled, MatchEventKind.Filled]);
});

t.test("a triggered FOK stop that cannot fill in full is canceled with its reason", async (t) => {
  const e = engine();
  const id = e.submit(
    { side: Side.Buy, type: OrderType.Stop, stopPrice: P(100), quantity: Q(5), timeInForce: TimeInForce.Fok, owner: "s" },
    1,
  );
  e.submit(limit(Side.Sell, 100, 2, "m"), 2);
  const evs = run(e, () => e.submit(market(Side.Buy, 1, "t"), 3));
  const mine = evs.filter((x) => x.orderId === id);
  t.same(
    mine.map((x) => [x.kind, x.reason]),
    [
      [MatchEventKind.Triggered, undefined],
      [MatchEventKind.Canceled, CancelReason.FokCannotFill],
    ],
  );
});

t.test("a GTD stop expires like any GTD order", async (t) => {
  const e = engine();
  const id = e.submit(
    { side: Side.Buy, type: OrderType.Stop, stopPrice: P(100), quantity: Q(1), timeInForce: TimeInForce.Gtd, expireAtUs: 10, owner: "s" },
    1,
  );
  t.same(
    run(e, () => e.expire(10)).map((x) => [x.kind, x.orderId]),
    [[MatchEventKind.Expired, id]],
  );
  t.equal(e.openOrderCount, 0);
});

t.test("a drained journal grows past its capacity rather than lose an event not yet drained", async (t) => {
  const e = engine({ journalCapacity: 16, drainedJournal: true });
  for (let i = 0; i < 40; i++) e.submit(limit(Side.Buy, 100, 1), 1);
  const first = e.drainEvents();
  t.equal(first.length, 40);
  t.same(
    first.map((x) => x.seq),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  e.submit(limit(Side.Buy, 100, 1), 1);
  t.same(
    e.drainEvents().map((x) => x.seq),
    [41],
  );
  t.equal(e.drainEvents().length, 0);
});

t.test("history is bounded by capacity when every step is drained", async (t) => {
  const e = engine({ journalCapacity: 16, drainedJournal: true });
  for (let i = 0; i < 100; i++) {
    e.submit(limit(Side.Buy, 100, 1), 1);
    t.equal(e.drainEvents().length, 1);
  }
  t.throws(() => e.eventsSince(0), /keeps seq 85\.\.100/);
});
