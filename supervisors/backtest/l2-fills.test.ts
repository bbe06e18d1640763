import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { quantityOf } from "../../actors/domain/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import { parseRunConfig, type RunConfigInput } from "./run-config.ts";
import { Backtest } from "./runner.ts";
import { TEST_START_US } from "./testing.ts";

/**
 * `fills.queue: "l2"` through the runner: the recorded L2 book (fills.l2.files) is replayed beside the quotes to the
 * simulated exchange, whose resting limit orders queue behind the size shown at their price and fill only once the
 * prints there have consumed it.
 */

const ID = "SIM001.SIMX";
const SECOND = 1_000_000;
const T0 = TEST_START_US + 60 * SECOND;

function files(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "am-l2-fills-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const quotes = join(dir, "quotes.csv");
  writeFileSync(quotes, `ts,instrument,bid,bid_size,ask,ask_size\n${T0},${ID},100.00,300,100.02,300\n`);
  const book = join(dir, "book.csv");
  // 300 shown at the bid when our buy joins; 200 and 100 print there (the level follows), then 60 and 50 more
  const rows = [
    [T0, "level", "BID", "100.00", "300"],
    [T0, "level", "ASK", "100.02", "300"],
    [T0 + 2 * SECOND, "trade", "SELL", "100.00", "200"],
    [T0 + 2 * SECOND, "level", "BID", "100.00", "100"],
    [T0 + 3 * SECOND, "trade", "SELL", "100.00", "100"],
    [T0 + 3 * SECOND, "level", "BID", "100.00", "0"],
    [T0 + 4 * SECOND, "trade", "SELL", "100.00", "60"],
    [T0 + 5 * SECOND, "trade", "SELL", "100.00", "50"],
  ];
  writeFileSync(book, `ts,instrument,event,side,price,size\n${rows.map(([ts, ...r]) => [ts, ID, ...r].join(",")).join("\n")}\n`);
  return { quotes, book };
}

const config = (over: Partial<RunConfigInput>, quotes: string): RunConfigInput => ({
  start: TEST_START_US,
  end: T0 + 60 * SECOND,
  instruments: [{ id: ID, assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" }],
  data: { kind: "csv", files: [quotes] },
  strategies: [],
  // one resting child: a buy of 100 at 100.00, shown whole
  algos: [
    {
      id: "joiner",
      at: T0 + SECOND,
      instrument: ID,
      side: "BUY",
      quantity: "100",
      limitPrice: "100.00",
      params: { algo: "ICEBERG", displayQuantity: quantityOf(100), checkEveryMs: 1_000 },
    },
  ],
  ...over,
});

t.test("an order behind the 300 shown fills only after 300 traded at its price", async (t) => {
  const { quotes, book } = files(t);
  const bt = new Backtest(parseRunConfig(config({ fills: { queue: "l2", l2: { files: [book] } } }, quotes)));
  const fills: [number, number, number][] = [];
  const publish = bt.publish.bind(bt);
  bt.publish = (subject, message, correlationId, from) => {
    const m = message as Message & Record<string, unknown>;
    if (subject.startsWith("am.evt.order.") && m.type === "OrderFilled")
      fills.push([((m.tsEvent as number) - T0) / SECOND, (m.lastQty as number) / 1e8, (m.lastPx as number) / 1e8]);
    publish(subject, message, correlationId, from);
  };
  const r = await bt.run();
  t.equal(r.deadLetters, 0, "nothing was dead-lettered");
  t.same(
    fills,
    [
      [4, 60, 100],
      [5, 40, 100],
    ],
    "nothing while the 300 ahead traded (2 s, 3 s); then 60 of the next print and 40 of the one after, at 100.00",
  );
  t.match(r.algos?.[0], { status: "completed", filled: quantityOf(100) });
});

t.test("queue l2 without an L2 source, or L2 files under another model, is refused naming the field", async (t) => {
  const { quotes, book } = files(t);
  t.throws(() => parseRunConfig(config({ fills: { queue: "l2" } }, quotes)), /run config fills\.l2: required by queue l2/);
  t.throws(
    () => parseRunConfig(config({ fills: { queue: "visible", l2: { files: [book] } } }, quotes)),
    /run config fills\.l2: L2 files are replayed by queue l2 only/,
  );
  t.throws(
    () => parseRunConfig(config({ fills: { queue: "l2", l2: { files: [book] } }, venue: { latencyUs: 500 } }, quotes)),
    /run config venue\.latencyUs: queue l2 takes orders as they reach the exchange/,
  );
  t.throws(
    () => parseRunConfig(config({ fills: { queue: "l2", l2: { files: [book] } }, data: { kind: "simulator", seed: 1 } }, quotes)),
    /run config fills\.l2: replays recorded L2 data beside recorded market data/,
  );
});
