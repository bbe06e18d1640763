import { priceOf, quantityOf } from "../domain/index.ts";
import t from "tap";
import { SimulatedClock } from "../contract/index.ts";
import { Liquidity, OrderType, Side, TimeInForce, TradingStatus } from "../domain/trading.ts";
import { MatchEventKind, MatchRejectReason } from "./matching/codes.ts";
import type { OrderRequest } from "./matching/engine.ts";
import { fixedJitterLatency, SeededRandom } from "./matching/latency.ts";
import { SimulatedExchange } from "./simulated-venue.ts";

const P = priceOf;
const Q = quantityOf;
const SYM = "ACME.SIM";

const venue = (clock = new SimulatedClock(1_000), latency = fixedJitterLatency({ fixedUs: 100, jitterUs: 50, seed: 7 })) => ({
  clock,
  x: new SimulatedExchange({ clock, latency, instruments: [{ instrument: SYM, tickSize: P(0.01), lotSize: Q(1), priceBandBps: 1000 }] }),
});

const buy = (price: number, qty: number, extra: Partial<OrderRequest> = {}): OrderRequest => ({
  side: Side.Buy,
  type: OrderType.Limit,
  price: P(price),
  quantity: Q(qty),
  timeInForce: TimeInForce.Gtc,
  owner: "us",
  clientOrderId: "c1",
  ...extra,
});

t.test("the same seed gives the same latencies and a different seed different ones", async (t) => {
  const draw = (seed: number) => {
    const m = fixedJitterLatency({ fixedUs: 10, jitterUs: 1000, seed });
    return Array.from({ length: 20 }, () => m(0));
  };
  t.same(draw(1), draw(1));
  t.not(draw(1).join(), draw(2).join());
  t.ok(draw(3).every((d) => d >= 10 && d <= 1010));
  const r = new SeededRandom(42);
  t.ok(Array.from({ length: 1000 }, () => r.next()).every((v) => v >= 0 && v < 1));
});

t.test("a command reaches the book only after its latency has passed", async (t) => {
  const { clock, x } = venue();
  const arrival = x.submit(SYM, buy(100, 1));
  t.ok(arrival >= 1_100 && arrival <= 1_150);
  t.same(x.process(arrival - 1), []);
  t.equal(x.inFlight, 1);
  clock.set(arrival);
  const reports = x.process();
  t.same(
    reports.map((r) => [r.instrument, r.event.kind, r.event.tsUs, r.event.clientOrderId]),
    [[SYM, MatchEventKind.Accepted, arrival, "c1"]],
  );
});

t.test("commands keep their send order even when jitter would reorder them", async (t) => {
  const { x } = venue(new SimulatedClock(0), fixedJitterLatency({ fixedUs: 0, jitterUs: 1000, seed: 3 }));
  const arrivals = Array.from({ length: 50 }, (_, i) => x.submit(SYM, buy(100, 1, { clientOrderId: `c${i}` })));
  t.same(
    arrivals,
    [...arrivals].sort((a, b) => a - b),
  );
  const accepted = x.process(10_000).map((r) => r.event.clientOrderId);
  t.same(
    accepted,
    arrivals.map((_, i) => `c${i}`),
  );
});

t.test("our order joins the background queue behind the simulator's liquidity and fills when the market trades through", async (t) => {
  const { clock, x } = venue();
  x.setBackground(SYM, { bid: P(99.99), ask: P(100.01), quantity: Q(10), levels: 3, stepTicks: 1 });
  t.same(x.quote(SYM), {
    instrument: SYM,
    bidPrice: P(99.99),
    bidQuantity: Q(10),
    askPrice: P(100.01),
    askQuantity: Q(10),
    lastTradePrice: 0,
    status: TradingStatus.Open,
  });
  clock.set(x.submit(SYM, buy(99.99, 2)));
  const ours = x.process().find((r) => r.event.owner === "us" && r.event.kind === MatchEventKind.Accepted)!.event.orderId;
  const queue = x.engine(SYM).queueAt(Side.Buy, P(99.99));
  t.equal(queue.at(-1), ours, "we are last in the queue");
  // the market falls: the new ladder's asks trade through the old bids, ours included
  x.setBackground(SYM, { bid: P(99.95), ask: P(99.97), quantity: Q(10), levels: 3, stepTicks: 1 });
  const fills = x.process().filter((r) => r.event.orderId === ours && r.event.liquidity !== undefined);
  t.equal(fills.length, 1);
  t.equal(fills[0]!.event.liquidity, Liquidity.Maker);
  t.equal(fills[0]!.event.price, P(99.99));
  t.equal(x.quote(SYM).bidPrice, P(99.95));
  t.ok(x.tradesSince(SYM, 0).length > 0);
});

t.test("refreshing the background at the same prices keeps its queue position", async (t) => {
  const { clock, x } = venue();
  const q = { bid: P(99.99), ask: P(100.01), quantity: Q(10), levels: 2, stepTicks: 1 };
  x.setBackground(SYM, q);
  const [bgFirst] = x.engine(SYM).queueAt(Side.Buy, P(99.99));
  clock.set(x.submit(SYM, buy(99.99, 2)));
  x.process();
  x.setBackground(SYM, { ...q, quantity: Q(6) });
  const queue = x.engine(SYM).queueAt(Side.Buy, P(99.99));
  t.equal(queue[0], bgFirst, "the background order is still ahead of ours");
  t.equal(x.quote(SYM).bidQuantity, Q(8));
  x.setBackground(SYM, { ...q, quantity: Q(9) });
  t.equal(x.quote(SYM).bidQuantity, Q(11));
  t.equal(x.engine(SYM).queueAt(Side.Buy, P(99.99))[0], bgFirst);
});

t.test("trades and top of book come from the venue's own book", async (t) => {
  const { clock, x } = venue();
  x.setBackground(SYM, { bid: P(99.99), ask: P(100.01), quantity: Q(5), levels: 2, stepTicks: 1 });
  const mark = x.engine(SYM).lastSeq;
  clock.set(x.submit(SYM, { ...buy(0, 7), type: OrderType.Market, price: undefined, timeInForce: TimeInForce.Ioc }));
  x.process();
  t.same(
    x.tradesSince(SYM, mark).map((tr) => [tr.price, tr.quantity, tr.aggressorSide]),
    [
      [P(100.01), Q(5), Side.Buy],
      [P(100.02), Q(2), Side.Buy],
    ],
  );
  t.equal(x.quote(SYM).askPrice, P(100.02));
  t.equal(x.quote(SYM).askQuantity, Q(3));
  t.equal(x.quote(SYM).lastTradePrice, P(100.02));
});

t.test("a halted instrument rejects new orders until it resumes", async (t) => {
  const { clock, x } = venue();
  x.halt(SYM);
  clock.set(x.submit(SYM, buy(100, 1)));
  t.equal(x.process()[0]!.event.reason, MatchRejectReason.InstrumentHalted);
  x.resume(SYM);
  clock.set(x.submit(SYM, buy(100, 1)));
  t.equal(x.process()[0]!.event.kind, MatchEventKind.Accepted);
});

t.test("the background mid is the price-band reference", async (t) => {
  const { clock, x } = venue();
  x.setBackground(SYM, { bid: P(99.99), ask: P(100.01), quantity: Q(5), levels: 1, stepTicks: 1 });
  clock.set(x.submit(SYM, buy(80, 1)));
  t.equal(x.process().find((r) => r.event.owner === "us")!.event.reason, MatchRejectReason.PriceOutsideBand);
});

t.test("GTD orders expire when process() passes their time", async (t) => {
  const { clock, x } = venue();
  clock.set(x.submit(SYM, buy(100, 1, { timeInForce: TimeInForce.Gtd, expireAtUs: 5_000 })));
  x.process();
  t.same(x.process(4_999), []);
  t.same(
    x.process(5_000).map((r) => r.event.kind),
    [MatchEventKind.Expired],
  );
});

t.test("an unknown instrument is named in the error", async (t) => {
  const { x } = venue();
  t.throws(() => x.submit("NOPE.SIM", buy(100, 1)), /NOPE\.SIM is not listed/);
});
