import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { L2Event } from "../../actors/exchange/index.ts";
import { csvL2Chunks, l2Chunks, parquetL2Chunks } from "./l2-records.ts";
import { writeParquetFixture } from "./testing.ts";

const I = "SIM001.SIMX";

async function all(chunks: AsyncIterable<L2Event[]>): Promise<L2Event[]> {
  const out: L2Event[] = [];
  for await (const c of chunks) out.push(...c);
  return out;
}

t.test("a Parquet L2 file reads as the same events as its CSV twin, batch by batch", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-l2-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const csv = join(dir, "book.csv");
  writeFileSync(
    csv,
    `ts,instrument,event,side,price,size\n10,${I},level,BID,100.25,300\n10,${I},level,ASK,100.26,120.5\n20,${I},trade,,100.25,10\n30,${I},trade,SELL,100.25,15\n`,
  );
  const parquet = join(dir, "book.parquet");
  writeParquetFixture(parquet, [
    { name: "ts", type: "INT64", values: [10, 10, 20, 30] },
    { name: "instrument", type: "STRING", values: [I, I, I, I] },
    { name: "event", type: "STRING", values: ["level", "level", "trade", "trade"] },
    { name: "side", type: "STRING", values: ["BID", "ASK", "", "SELL"] },
    { name: "price", type: "DOUBLE", values: [100.25, 100.26, 100.25, 100.25] },
    { name: "size", type: "STRING", values: ["300", "120.5", "10", "15"] },
  ]);
  const fromCsv = await all(csvL2Chunks(csv));
  t.equal(fromCsv.length, 4);
  t.same(await all(parquetL2Chunks(parquet, 3)), fromCsv, "two batches of at most 3 rows");
  t.same(await all(l2Chunks(parquet)), fromCsv, "chosen by the extension");
  t.same(
    fromCsv[2],
    { type: "trade", tsUs: 20, instrument: I, price: 10_025_000_000, size: 1_000_000_000 },
    "no aggressor where the side is empty",
  );
});

t.test("a Parquet L2 file without a column is refused naming it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-l2-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const parquet = join(dir, "bad.parquet");
  writeParquetFixture(parquet, [
    { name: "ts", type: "INT64", values: [10] },
    { name: "instrument", type: "STRING", values: [I] },
  ]);
  await t.rejects(all(parquetL2Chunks(parquet)), /bad\.parquet: the schema lacks event, side, price, size/);
});
