import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { csvRecordChunks, mergeInTimeOrder } from "./market-data.ts";
import { ParquetRecordError, parquetRecordChunks } from "./parquet-records.ts";
import { type ParquetFixtureColumn, writeParquetFixture } from "./testing.ts";

const barColumns = (instrument: string, rows: [number, number][]): ParquetFixtureColumn[] => [
  { name: "ts_open", values: rows.map(([ts]) => ts - 60), type: "INT64" },
  { name: "ts", values: rows.map(([ts]) => ts), type: "INT64" },
  { name: "instrument", values: rows.map(() => instrument), type: "STRING" },
  { name: "bar_type", values: rows.map(() => "1m"), type: "STRING" },
  ...["open", "high", "low", "close", "vwap"].map((name) => ({ name, values: rows.map(([, c]) => c), type: "DOUBLE" as const })),
  { name: "volume", values: rows.map(() => 2.5), type: "DOUBLE" },
  { name: "trades", values: rows.map(() => 3), type: "INT32" },
  // a column a replay does not need is left unread
  { name: "source", values: rows.map(() => "vendor"), type: "STRING" },
];

const collect = async (chunks: AsyncIterable<{ tsEvent: number; instrument: string }[]>) => {
  const seen: [number, string][] = [];
  const sizes: number[] = [];
  for await (const chunk of chunks) {
    sizes.push(chunk.length);
    for (const r of chunk) seen.push([r.tsEvent, r.instrument]);
  }
  return { seen, sizes };
};

t.test("a Parquet bar file is read in batches of rows within row groups, with fixed-point prices", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-parquet-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "aaa.parquet");
  const rows: [number, number][] = [100, 160, 220, 280, 340, 400, 460].map((ts, i) => [ts, 101.25 + i * 0.01]);
  writeParquetFixture(path, barColumns("AAA.X", rows), 3);
  const records = [];
  const sizes: number[] = [];
  for await (const chunk of parquetRecordChunks(path, 2)) {
    sizes.push(chunk.length);
    records.push(...chunk);
  }
  // row groups of 3, 3 and 1 rows, each read 2 rows at a time
  t.same(sizes, [2, 1, 2, 1, 1]);
  t.same(
    records.map((r) => r.tsEvent),
    rows.map(([ts]) => ts),
  );
  t.match(records[1], {
    type: "Bar",
    instrument: "AAA.X",
    barType: "1m",
    tsOpen: 100,
    close: 10_126_000_000,
    volume: 250_000_000,
    trades: 3,
    tsEvent: 160,
    tsInit: 160,
  });
});

t.test("Parquet and CSV files are merged in event-time order, ties in file order", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-parquet-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, "a.parquet");
  const q = join(dir, "q.parquet");
  const c = join(dir, "c.csv");
  writeParquetFixture(
    a,
    barColumns("AAA.X", [
      [100, 1.01],
      [160, 1.02],
      [400, 1.03],
    ]),
  );
  // quotes with TIMESTAMP (milliseconds) columns and prices as decimal text
  writeParquetFixture(q, [
    { name: "ts", values: [0, 1], type: "TIMESTAMP" },
    { name: "instrument", values: ["QQQ.X", "QQQ.X"], type: "STRING" },
    { name: "bid", values: ["3", "3.01"], type: "STRING" },
    { name: "bid_size", values: [1, 2], type: "INT32" },
    { name: "ask", values: ["3.02", "3.03"], type: "STRING" },
    { name: "ask_size", values: [1, 2], type: "INT32" },
  ]);
  writeFileSync(c, "ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n100,160,BBB.X,1m,2,2,2,2,1,2,1\n");
  const { seen } = await collect(mergeInTimeOrder([parquetRecordChunks(a), csvRecordChunks(c), parquetRecordChunks(q)], 2));
  t.same(seen, [
    [0, "QQQ.X"],
    [100, "AAA.X"],
    [160, "AAA.X"],
    [160, "BBB.X"],
    [400, "AAA.X"],
    [1000, "QQQ.X"],
  ]);
  const quotes = [];
  for await (const chunk of parquetRecordChunks(q)) quotes.push(...chunk);
  t.match(quotes[1], { type: "RawQuote", bid: 301_000_000, bidSize: 200_000_000, ask: 303_000_000, tsEvent: 1000 });
});

t.test("a wrong schema or value is refused with the file, the column and the row", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-parquet-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const read = async (path: string) => {
    for await (const _ of parquetRecordChunks(path));
  };
  const wrongType = join(dir, "wrong-type.parquet");
  writeParquetFixture(
    wrongType,
    barColumns("AAA.X", [[100, 1]]).map((c) => (c.name === "close" ? { name: "close", values: [true], type: "BOOLEAN" } : c)),
  );
  await t.rejects(read(wrongType), {
    name: "ParquetRecordError",
    column: "close",
    message: /wrong-type\.parquet, column close: is BOOLEAN; a price or size must be DECIMAL/,
  });
  const missing = join(dir, "missing.parquet");
  writeParquetFixture(
    missing,
    barColumns("AAA.X", [[100, 1]]).filter((c) => c.name !== "vwap"),
  );
  await t.rejects(read(missing), { message: /missing\.parquet: bars need the column\(s\) vwap/ });
  const badId = join(dir, "bad-id.parquet");
  writeParquetFixture(
    badId,
    barColumns("AAA.X", [
      [100, 1],
      [160, 1],
    ]).map((c) => (c.name === "instrument" ? { ...c, values: ["AAA.X", "nodot"] } : c)),
  );
  await t.rejects(read(badId), { message: /bad-id\.parquet row 1, column instrument: instrument id "nodot" must be SYMBOL\.VENUE/ });
  const nulls = join(dir, "nulls.parquet");
  writeParquetFixture(
    nulls,
    barColumns("AAA.X", [[100, 1]]).map((c) =>
      c.name === "trades" ? { name: "trades", values: [null], type: "INT32", nullable: true } : c,
    ),
  );
  await t.rejects(read(nulls), { message: /nulls\.parquet row 0, column trades: is null/ });
  const notParquet = join(dir, "not.parquet");
  writeFileSync(notParquet, "ts,instrument\n");
  await t.rejects(read(notParquet), ParquetRecordError);
  t.ok(new ParquetRecordError("f", "c", "r") instanceof Error);
});
