import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../domain/index.ts";
import { subjects, type Emitted } from "../contract/index.ts";
import type { FillModel } from "./fill-model.ts";
import { exchangeKind } from "./kind.ts";
import { simulatedVenueMachine } from "./machine.ts";

const NOW = 1_700_000_000_000_000;
const INSTRUMENT = "SIM001.SIMX";
const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: "SIMX", priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);
const FREE = { makerFeeBps: 0, takerFeeBps: 0, latencyUs: 0, jitterUs: 0 };

/** The exchange as exchangeKind configures it, with a fill model, driven by hand. */
function venue(t: { teardown(fn: () => void): void }, fills?: FillModel, costs = FREE) {
  const kind = exchangeKind(catalogue, { SIMX: costs }, fills ? { SIMX: fills } : {});
  const exchange = createActor(simulatedVenueMachine, { clock: new SimulatedClock(), input: kind.input!("SIMX") as never });
  const reports: ExecutionReport[] = [];
  exchange.on("*", (e: Emitted) => {
    if (e.type === "publish" && e.message.type === "ExecutionReport") reports.push(e.message as unknown as ExecutionReport);
  });
  exchange.start();
  t.teardown(() => exchange.stop());
  let now = NOW;
  let seq = 0;
  const send = (m: { type: string; [k: string]: unknown }) => {
    now += 10;
    exchange.send({ ...m, nowUs: now } as never);
  };
  send({ type: "AdapterConnect", venue: "SIMX" });
  const quote = (bid: number, bidSize: number, ask: number, askSize: number) =>
    send({
      type: "Quote",
      instrument: INSTRUMENT,
      bid: priceOf(bid),
      bidSize: quantityOf(bidSize),
      ask: priceOf(ask),
      askSize: quantityOf(askSize),
      seq: ++seq,
      tsEvent: now,
      tsInit: now,
    });
  const trade = (price: number, size: number, aggressor: "BUY" | "SELL" | "NONE") =>
    send({
      type: "Trade",
      instrument: INSTRUMENT,
      price: priceOf(price),
      size: quantityOf(size),
      aggressor,
      tradeId: `t${++seq}`,
      seq,
      tsEvent: now,
      tsInit: now,
    });
  const order = (id: string, side: "BUY" | "SELL", quantity: number, price?: number) =>
    send({
      type: "VenueNewOrder",
      clientOrderId: id,
      version: 1,
      instrument: INSTRUMENT,
      side,
      orderType: price === undefined ? "MARKET" : "LIMIT",
      quantity: quantityOf(quantity),
      ...(price === undefined ? {} : { price: priceOf(price) }),
      timeInForce: price === undefined ? "IOC" : "GTC",
      postOnly: false,
      reduceOnly: false,
      tsEvent: now,
      tsInit: now,
    });
  const filled = () => reports.filter((r) => r.lastQty > 0).map((r) => [r.lastQty / 1e8, r.lastPx / 1e8]);
  return { quote, trade, order, filled, reports, kind };
}

const visible: FillModel = { queue: "visible", slippage: { model: "none" } };

t.test("a limit order behind 500 shares fills only after 500 trade at its price", async (t) => {
  const v = venue(t, visible);
  v.quote(100, 500, 100.02, 500);
  v.order("o1", "BUY", 100, 100);
  v.trade(100, 300, "SELL");
  t.same(v.filled(), [], "300 of the 500 ahead traded");
  v.quote(100, 200, 100.02, 500);
  v.trade(100, 200, "SELL");
  t.same(v.filled(), [], "all 500 ahead traded: the order is at the front, not filled");
  v.trade(100, 60, "SELL");
  t.same(v.filled(), [[60, 100]], "the next 60 at its price fill it, at its price");
  v.trade(100, 100, "NONE");
  t.same(
    v.filled(),
    [
      [60, 100],
      [40, 100],
    ],
    "a print at the bid without an aggressor was a sell: the rest fills",
  );
});

t.test("size that joins the price after our order queues behind it", async (t) => {
  const v = venue(t, visible);
  v.quote(100, 500, 100.02, 500);
  v.order("o1", "BUY", 100, 100);
  v.quote(100, 800, 100.02, 500);
  v.trade(100, 500, "SELL");
  t.same(v.filled(), [], "the 500 ahead traded");
  v.trade(100, 100, "SELL");
  t.same(v.filled(), [[100, 100]], "the 300 that joined later wait behind us");
});

t.test("a print inside the spread meets no resting order", async (t) => {
  const v = venue(t, visible);
  v.quote(100, 0, 100.04, 500);
  v.order("o1", "BUY", 100, 100.01);
  v.trade(100.02, 100, "NONE");
  t.same(v.filled(), [], "no aggressor and inside the spread: nothing traded against our bid");
  v.trade(100.01, 100, "SELL");
  t.same(v.filled(), [[100, 100.01]], "a sell print at our price with nothing ahead fills us");
});

t.test("the live default (ladder) is unchanged: trades are not heard and a touch of the quote fills", async (t) => {
  const v = venue(t);
  t.notOk(v.kind.consumes!("SIMX").includes(subjects.mdVenue("trade", "SIMX")), "the default exchange does not subscribe to trades");
  v.quote(100, 500, 100.02, 500);
  v.order("o1", "BUY", 100, 100);
  v.trade(100, 1000, "SELL");
  t.same(v.filled(), [], "a trade print changes nothing under the ladder model");
  v.quote(99.98, 500, 100, 500);
  t.same(v.filled(), [[100, 100]], "the ask moving onto the bid fills it (fill on touch)");
  const queued = venue(t, visible);
  t.ok(queued.kind.consumes!("SIMX").includes(subjects.mdVenue("trade", "SIMX")), "the visible queue model hears trades");
});

t.test("fixed-bps slippage moves a taker's price against it, and the fee follows the price", async (t) => {
  const v = venue(t, { queue: "ladder", slippage: { model: "fixed-bps", bps: 5 } }, { ...FREE, takerFeeBps: 1 });
  v.quote(100, 500, 100.02, 500);
  v.order("o1", "BUY", 10, undefined);
  // 100.02 × (1 + 5 bps) = 100.07001
  t.same(v.filled(), [[10, 100.07001]]);
  const fill = v.reports.find((r) => r.execType === ExecType.Fill)!;
  // 10 × 100.07001 × 1 bps = 0.1000700 (1e-8 units)
  t.equal(fill.fee, 10_007_001);
  t.equal(fill.avgPx, priceOf(100.07001));
  v.order("o2", "SELL", 10, undefined);
  // 100.00 × (1 − 5 bps) = 99.95
  t.same(v.filled()[1], [10, 99.95]);
});

t.test("square-root slippage grows with the root of the order's share of volume", async (t) => {
  const model: FillModel = { queue: "ladder", slippage: { model: "square-root", coefficientBps: 10, volume: quantityOf(1000) } };
  const v = venue(t, model);
  v.quote(100, 5000, 100.02, 5000);
  v.order("o1", "BUY", 10, undefined);
  v.order("o2", "BUY", 40, undefined);
  // √(10/1000) × 10 bps = 1 bps: 100.02 × 1.0001 = 100.030002; √(40/1000) × 10 = 2 bps: 100.040004
  t.same(v.filled(), [
    [10, 100.030002],
    [40, 100.040004],
  ]);
});

t.test("a limit order's slippage stops at its limit, and a maker fills at its own price", async (t) => {
  const v = venue(t, { queue: "ladder", slippage: { model: "fixed-bps", bps: 50 } });
  v.quote(100, 500, 100.02, 500);
  v.order("o1", "BUY", 10, 100.05);
  t.same(v.filled(), [[10, 100.05]], "100.02 + 50 bps is beyond the limit: capped at 100.05");
  v.order("o2", "SELL", 10, 100.04);
  v.quote(100.04, 500, 100.06, 500);
  t.same(v.filled()[1], [10, 100.04], "the resting sell filled as maker, at its price");
});

t.test("a bad fill model is refused, naming the field", async (t) => {
  t.throws(
    () => exchangeKind(catalogue, {}, { SIMX: { queue: "ladder", slippage: { model: "fixed-bps", bps: -1 } } }),
    /fills\.slippage\.bps/,
  );
  t.throws(
    () =>
      exchangeKind(
        catalogue,
        {},
        { SIMX: { queue: "ladder", slippage: { model: "square-root", coefficientBps: 5, volume: quantityOf(0) } } },
      ),
    /fills\.slippage\.volume/,
  );
});
