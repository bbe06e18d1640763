import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { formatFixed } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { csvRecordChunks } from "./market-data.ts";
import { runBacktest } from "./runner.ts";
import { barsRun } from "./testing.ts";

type BarRecord = ReplayRecord & { type: "Bar" };
const HEADER = "ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n";
const csvLine = (b: BarRecord) =>
  [b.tsOpen, b.tsEvent, b.instrument, b.barType, ...[b.open, b.high, b.low, b.close, b.volume, b.vwap].map(formatFixed), b.trades].join(
    ",",
  );

async function barsOf(file: string): Promise<BarRecord[]> {
  const out: BarRecord[] = [];
  for await (const chunk of csvRecordChunks(file)) for (const r of chunk) if (r.type === "Bar") out.push(r);
  return out;
}

/** A bar with its prices mapped (the volume as recorded). */
const priced = (b: BarRecord, f: (p: number) => number, instrument = b.instrument): BarRecord =>
  ({ ...b, instrument, open: f(b.open), high: f(b.high), low: f(b.low), close: f(b.close), vwap: f(b.vwap) }) as BarRecord;

t.test("recorded data with a 2:1 split and a dividend, adjusted, backtests exactly as the series without them", async (t) => {
  const { config, dir } = await barsRun(t, { minutes: 240 });
  if (config.data.kind !== "csv") throw new Error("barsRun makes a CSV run");
  const exUs = config.start + 120 * 60_000_000;
  const [a, b] = config.data.files as [string, string];
  // as recorded: before the ex-date, A traded at twice today's prices (a 2:1 split since) and B one dollar higher
  const splitFile = join(dir, "a-recorded.csv");
  const dividendFile = join(dir, "b-recorded.csv");
  writeFileSync(splitFile, HEADER + (await barsOf(a)).map((x) => csvLine(x.tsEvent < exUs ? priced(x, (p) => p * 2) : x)).join("\n"));
  writeFileSync(dividendFile, HEADER + (await barsOf(b)).map((x) => csvLine(x.tsEvent < exUs ? priced(x, (p) => p + 1e8) : x)).join("\n"));
  const [ia, ib] = config.instruments.map((d) => d.id) as [string, string];
  const plain = await runBacktest(config);
  const adjusted = await runBacktest({
    ...config,
    data: { ...config.data, files: [splitFile, dividendFile] },
    corporateActions: [
      { instrument: ia, exDate: exUs, action: "split", value: "2" },
      { instrument: ib, exDate: exUs, action: "dividend", value: "1" },
    ],
  });
  t.ok(plain.fills > 0, "the strategy traded");
  t.equal(adjusted.journal.sha256, plain.journal.sha256, "the same orders and fills");
  t.equal(adjusted.pnl, plain.pnl);
});

t.test("two futures contracts rolled into a continuous instrument backtest as the continuous series itself", async (t) => {
  const { config, dir } = await barsRun(t, { minutes: 240 });
  if (config.data.kind !== "csv") throw new Error("barsRun makes a CSV run");
  const [a, b] = config.data.files as [string, string];
  const continuous = config.instruments[0]!.id;
  const [front, next] = ["FUTH.X", "FUTM.X"];
  const expiryUs = config.start + 2 * 86_400_000_000 + 120 * 60_000_000;
  const bars = await barsOf(a);
  // the front contract stops at its roll (two days before its expiry); the next trades 5.00 above the series throughout
  writeFileSync(
    join(dir, "front.csv"),
    HEADER +
      bars
        .filter((x) => x.tsEvent <= expiryUs)
        .map((x) => csvLine(priced(x, (p) => p, front)))
        .join("\n"),
  );
  writeFileSync(join(dir, "next.csv"), HEADER + bars.map((x) => csvLine(priced(x, (p) => p + 5e8, next))).join("\n"));
  const plain = await runBacktest(config);
  const rolled = await runBacktest({
    ...config,
    data: { ...config.data, files: [join(dir, "front.csv"), join(dir, "next.csv"), b] },
    rolls: [
      {
        instrument: continuous,
        contracts: [
          { instrument: front, expiry: expiryUs },
          { instrument: next, expiry: expiryUs + 90 * 86_400_000_000 },
        ],
        rollDaysBefore: 2,
        adjust: "difference",
      },
    ],
  });
  t.ok(plain.fills > 0, "the strategy traded");
  t.equal(rolled.journal.sha256, plain.journal.sha256, "the same orders and fills");
});
