import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { parseRunConfig } from "./run-config.ts";
import { Backtest, runBacktest } from "./runner.ts";
import { barsRun } from "./testing.ts";

t.test("a strategy's orders reach the simulated exchange and the fills come back to the strategy and the risk book", async (t) => {
  const { config } = await barsRun(t);
  const bt = new Backtest(config);
  const r = await bt.run();
  t.ok(r.orders > 0, `the strategy traded (${r.orders} orders)`);
  t.ok(r.fills > 0, `the exchange filled (${r.fills} fills)`);
  t.equal(r.deadLetters, 0, "nothing was dead-lettered");
  const exchange = bt.actor("exchange/SIMX")!.context as { session: { openOrderCount: number } };
  t.equal(exchange.session.openOrderCount, 0, "market orders leave nothing resting at the exchange");
  const strategy = bt.actor("strategy/trend")!.context as { session: { ledger: { position(i: string): number } } };
  const book = bt.actor("risk-book/backtest")!.context as { book: { portfolio: { positions: Record<string, { quantity: number }> } } };
  for (const d of config.instruments) {
    const filled = bt.account.position(d.id);
    t.equal(strategy.session.ledger.position(d.id), filled, `${d.id}: the strategy's ledger holds what was filled`);
    t.equal(book.book.portfolio.positions[d.id]?.quantity ?? 0, filled, `${d.id}: the risk book holds what was filled`);
  }
  t.ok(r.performance.turnover > 0 && Number.isFinite(r.performance.sharpe), "the report has figures");
});

t.test("the same inputs give a byte-identical event journal, run after run", async (t) => {
  const { dir, config } = await barsRun(t, { minutes: 240 });
  const one = await runBacktest(config, { journalPath: join(dir, "one.jsonl") });
  const two = await runBacktest(config, { journalPath: join(dir, "two.jsonl") });
  t.ok(one.journal.events > 0);
  t.equal(one.journal.sha256, two.journal.sha256, "same hash");
  t.ok(readFileSync(join(dir, "one.jsonl")).equals(readFileSync(join(dir, "two.jsonl"))), "same journal bytes");
  t.equal(one.pnl, two.pnl);
  const other = await barsRun(t, { minutes: 240, seed: 6 });
  const three = await runBacktest(other.config);
  t.not(three.journal.sha256, one.journal.sha256, "other data, another journal");
});

t.test("the seeded simulator as the data: the feed actor's own timer drives the market on simulated time", async (t) => {
  const start = Date.parse("2024-03-04T00:00:00Z") * 1000;
  const config = parseRunConfig({
    start,
    end: start + 20 * 60_000_000,
    instruments: [{ id: "SIM001.SIMX", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" }],
    data: { kind: "simulator", seed: 3, eventsPerSecond: 5, stepMs: 1000 },
    strategies: [
      {
        id: "trend",
        sample: "trend-follower",
        channels: ["bar"],
        barType: "1s",
        parameters: { fastPeriod: 3, slowPeriod: 8, atrPeriod: 3, riskPerTrade: 50, maxPosition: 10 },
      },
    ],
    report: { sampleEveryMs: 60_000 },
  });
  const a = await runBacktest(config);
  const b = await runBacktest(config);
  t.ok(a.records > 1000, `the simulator published ${a.records} raw messages`);
  t.ok(a.fills > 0, `fills from simulated quotes (${a.fills})`);
  t.equal(a.journal.sha256, b.journal.sha256, "seeded: the same journal");
});

t.test("a bad run configuration is refused, naming the field", async (t) => {
  t.throws(
    () => parseRunConfig({ start: 10, end: 5, instruments: [], data: { kind: "csv", files: [] }, strategies: [] }),
    /run config end: must be after start|instruments/,
  );
});

t.test("data out of time order is refused, naming the record", async (t) => {
  const { dir, config } = await barsRun(t, { instruments: 1, minutes: 5 });
  const file = join(dir, "backwards.csv");
  const at = config.start + 120_000_000;
  writeFileSync(
    file,
    "ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n" +
      `${at - 60_000_000},${at},SIM001.SIMX,1m,10,10,10,10,1,10,1\n` +
      `${at - 120_000_000},${at - 60_000_000},SIM001.SIMX,1m,10,10,10,10,1,10,1\n`,
  );
  await t.rejects(
    runBacktest({ ...config, data: { kind: "csv", files: [file], halfSpreadTicks: 1 } }),
    /Bar of SIM001\.SIMX at \d+ µs comes after time \d+ µs/,
  );
});

t.test("a run sets its venue connection's order rate: orders past it are refused RATE_LIMITED, as on a node", async (t) => {
  const venue = { makerFeeBps: 0, takerFeeBps: 1, latencyUs: 0, jitterUs: 0 };
  const { dir, config } = await barsRun(t, { instruments: 4, minutes: 120, run: { venue } });
  const limited = await barsRun(t, { instruments: 4, minutes: 120, run: { venue: { ...venue, orderRatePerSecond: 1 } } });
  const free = await runBacktest(config, { journalPath: join(dir, "free.jsonl") });
  const throttled = await runBacktest(limited.config, { journalPath: join(limited.dir, "throttled.jsonl") });
  const refusals = (file: string) => readFileSync(file, "utf8").split("RATE_LIMITED").length - 1;
  t.equal(refusals(join(dir, "free.jsonl")), 0, "at the platform's 50 a second, four instruments are never refused");
  t.ok(refusals(join(limited.dir, "throttled.jsonl")) > 0, "at 1 a second, orders sent in the same instant are refused");
  t.ok(throttled.fills < free.fills, `fewer fills at 1 a second (${throttled.fills} against ${free.fills})`);
  t.throws(() => parseRunConfig({ ...limited.input, venue: { ...venue, orderRatePerSecond: 0 } }), /venue\.orderRatePerSecond/);
});
