import { join } from "node:path";
import t from "tap";
import { formatFixed } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { csvRecordChunks } from "./market-data.ts";
import { runBacktest } from "./runner.ts";
import { barsRun, writeParquetFixture } from "./testing.ts";

t.test("bars from Parquet files backtest exactly as the same bars from CSV files: the same event journal", async (t) => {
  const { config, dir } = await barsRun(t, { minutes: 180 });
  if (config.data.kind !== "csv") throw new Error("barsRun makes a CSV run");
  const files: string[] = [];
  for (const [i, f] of config.data.files.entries()) {
    const bars: (ReplayRecord & { type: "Bar" })[] = [];
    for await (const chunk of csvRecordChunks(f)) for (const r of chunk) if (r.type === "Bar") bars.push(r);
    const file = join(dir, `bars-${i}.parquet`);
    const prices = (k: "open" | "high" | "low" | "close" | "vwap") => ({
      name: k,
      type: "STRING" as const,
      values: bars.map((b) => formatFixed(b[k])),
    });
    writeParquetFixture(
      file,
      [
        { name: "ts_open", type: "INT64", values: bars.map((b) => b.tsOpen) },
        { name: "ts", type: "INT64", values: bars.map((b) => b.tsEvent) },
        { name: "instrument", type: "STRING", values: bars.map((b) => b.instrument) },
        { name: "bar_type", type: "STRING", values: bars.map((b) => b.barType) },
        prices("open"),
        prices("high"),
        prices("low"),
        prices("close"),
        prices("vwap"),
        { name: "volume", type: "DOUBLE", values: bars.map((b) => b.volume / 1e8) },
        { name: "trades", type: "INT32", values: bars.map((b) => b.trades) },
      ],
      50,
    );
    files.push(file);
  }
  const fromCsv = await runBacktest(config);
  const fromParquet = await runBacktest({ ...config, data: { kind: "parquet", files, halfSpreadTicks: 1, batchRows: 16 } });
  t.ok(fromCsv.fills > 0, "the strategy traded");
  t.equal(fromParquet.records, fromCsv.records, "every bar came back");
  t.equal(fromParquet.journal.sha256, fromCsv.journal.sha256, "the same journal");
});
