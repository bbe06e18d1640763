import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { priceOf, quantityOf } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import { parseRunConfig, type RunConfigInput } from "./run-config.ts";
import { Backtest } from "./runner.ts";
import { TEST_START_US } from "./testing.ts";

const ID = "SIM001.SIMX";
const T0 = TEST_START_US + 60_000_000;

/** A backtest driven by hand: its strategy trades bars and none come, so only the test's orders trade. */
function backtest(over: Partial<RunConfigInput>) {
  const config = parseRunConfig({
    start: TEST_START_US,
    end: TEST_START_US + 3_600_000_000,
    instruments: [{ id: ID, assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" }],
    data: { kind: "csv", files: ["unused.csv"] },
    strategies: [{ id: "idle", sample: "trend-follower", channels: ["bar"], barType: "1m" }],
    ...over,
  });
  const bt = new Backtest(config);
  const seen: (Message & Record<string, unknown>)[] = [];
  const publish = bt.publish.bind(bt);
  bt.publish = (subject, message, correlationId, from) => {
    if (subject.startsWith("am.evt.order.")) seen.push(message as Message & Record<string, unknown>);
    publish(subject, message, correlationId, from);
  };
  const at = (us: number) => {
    bt.drain();
    bt.advanceTo(us);
  };
  const quote = (us: number, bid: number, ask: number, size = 500) => {
    at(us);
    bt.feed({
      type: "RawQuote",
      instrument: ID,
      bid: priceOf(bid),
      bidSize: quantityOf(size),
      ask: priceOf(ask),
      askSize: quantityOf(size),
      tsEvent: us,
      tsInit: us,
    } as ReplayRecord);
    bt.drain();
  };
  const trade = (us: number, price: number, size: number, aggressor: "BUY" | "SELL") => {
    at(us);
    bt.feed({
      type: "RawTrade",
      instrument: ID,
      price: priceOf(price),
      size: quantityOf(size),
      aggressor,
      tradeId: `x${us}`,
      tsEvent: us,
      tsInit: us,
    } as ReplayRecord);
    bt.drain();
  };
  let n = 0;
  /** an order as a strategy sends it: to the risk book, which approves it and forwards it to its order entity */
  const order = (us: number, side: "BUY" | "SELL", quantity: number, price?: number) => {
    at(us);
    bt.publish(subjects.cmd("risk-book", config.book.id), {
      type: "SubmitOrder",
      clientOrderId: `manual.1.${++n}`,
      instrument: ID,
      side,
      orderType: price === undefined ? "MARKET" : "LIMIT",
      quantity: quantityOf(quantity),
      ...(price === undefined ? {} : { price: priceOf(price) }),
      timeInForce: price === undefined ? "IOC" : "GTC",
      postOnly: false,
      reduceOnly: false,
      strategy: "manual",
      book: config.book.id,
      tsEvent: us,
      tsInit: us,
    });
    bt.drain();
  };
  const fills = () => seen.filter((m) => m.type === "OrderFilled").map((m) => [(m.lastQty as number) / 1e8, (m.lastPx as number) / 1e8]);
  return { bt, quote, trade, order, at, fills };
}

t.test("a latency of 5 ms between the order and the venue moves the fill to the later quote", async (t) => {
  const run = (latency: RunConfigInput["latency"]) => {
    const b = backtest({ latency });
    b.quote(T0, 100, 100.02);
    b.order(T0 + 1_000, "BUY", 10);
    b.quote(T0 + 4_000, 100.03, 100.05);
    b.at(T0 + 20_000);
    return b.fills();
  };
  t.same(run([]), [[10, 100.02]], "without latency: the quote when it was sent");
  t.same(run([{ from: "order", to: "venue", us: 5_000 }]), [[10, 100.05]], "5 ms later: the quote in force at arrival");
  t.same(run([{ from: "order", to: "venue", us: 2_000 }]), [[10, 100.02]], "2 ms: it arrives before the quote moves");
  t.same(
    run([
      { from: "risk-book", to: "order", us: 2_000 },
      { from: "venue", to: "exchange", us: 2_000 },
    ]),
    [[10, 100.05]],
    "delays add up along the path: 4 ms",
  );
});

t.test("a latency on the way back delays the fill's report, not its price", async (t) => {
  const b = backtest({ latency: [{ from: "exchange", to: "venue", us: 7_000 }] });
  b.quote(T0, 100, 100.02);
  b.order(T0 + 1_000, "BUY", 10);
  b.at(T0 + 7_999);
  t.same(b.fills(), [], "the execution report is still on its way at 7.999 ms");
  b.at(T0 + 8_000);
  t.same(b.fills(), [[10, 100.02]], "it arrives at 8 ms, at the price of the quote it met");
});

t.test("in a backtest, a limit order behind the visible 500 fills only after 500 trade at its price", async (t) => {
  const b = backtest({ fills: { queue: "visible" } });
  b.quote(T0, 100, 100.02, 500);
  b.order(T0 + 1_000, "BUY", 100, 100);
  b.trade(T0 + 2_000, 100, 300, "SELL");
  b.quote(T0 + 2_001, 100, 100.02, 200);
  b.trade(T0 + 3_000, 100, 200, "SELL");
  t.same(b.fills(), [], "the 500 ahead traded first");
  b.trade(T0 + 4_000, 100, 150, "SELL");
  t.same(b.fills(), [[100, 100]], "then our 100, at our price");
  const touch = backtest({});
  touch.quote(T0, 100, 100.02, 500);
  touch.order(T0 + 1_000, "BUY", 100, 100);
  touch.trade(T0 + 2_000, 100, 1000, "SELL");
  t.same(touch.fills(), [], "the default ladder model ignores prints: it fills on touch only");
});

t.test("slippage from the run configuration reaches the fills and the account", async (t) => {
  const b = backtest({ fills: { slippage: { model: "fixed-bps", bps: 10 } } });
  b.quote(T0, 100, 100.02);
  b.order(T0 + 1_000, "BUY", 10);
  // 100.02 × 1.001 = 100.12002
  t.same(b.fills(), [[10, 100.12002]]);
  const sq = backtest({ fills: { slippage: { model: "square-root", coefficientBps: 20, volume: "1000" } } });
  sq.quote(T0, 100, 100.02);
  sq.order(T0 + 1_000, "SELL", 90);
  // √(90/1000) × 20 bps = 6 bps: 100.00 × (1 − 0.0006) = 99.94
  t.same(sq.fills(), [[90, 99.94]]);
  t.equal(sq.bt.account.position(ID), -90 * 1e8, "the account holds the fill");
});

t.test("a bad fill or latency configuration is refused, naming the field", async (t) => {
  t.throws(() => backtest({ latency: [{ from: "order", to: "venue", us: -1 }] }), /run config latency\.0\.us/);
  t.throws(() => backtest({ latency: [{ from: "order", to: "bank" as "venue", us: 1 }] }), /run config latency\.0\.to/);
  t.throws(
    () =>
      backtest({
        latency: [
          { from: "order", to: "venue", us: 1 },
          { from: "order", to: "venue", us: 2 },
        ],
      }),
    /order→venue is given twice/,
  );
  t.throws(() => backtest({ fills: { slippage: { model: "fixed-bps", bps: -2 } } }), /run config fills\.slippage\.bps/);
  t.throws(() => backtest({ fills: { queue: "hidden" as "visible" } }), /run config fills\.queue/);
  t.throws(
    () => backtest({ fills: { slippage: { model: "square-root", coefficientBps: 5, volume: "0.0" } } }),
    /run config fills\.slippage\.volume: must be more than 0/,
  );
});
