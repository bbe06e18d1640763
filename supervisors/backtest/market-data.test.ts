import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { csvRecordChunks, mergeInTimeOrder } from "./market-data.ts";

const bars = (instrument: string, closes: [number, string][]) =>
  `ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n${closes
    .map(([ts, c]) => `${ts - 60},${ts},${instrument},1m,${c},${c},${c},${c},1,${c},1`)
    .join("\n")}\n`;

t.test("CSV files of several instruments are merged in event-time order, ties in file order, read in small chunks", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-merge-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, "a.csv");
  const b = join(dir, "b.csv");
  const q = join(dir, "q.csv");
  writeFileSync(
    a,
    bars("AAA.X", [
      [100, "1.01"],
      [160, "1.02"],
      [400, "1.03"],
    ]),
  );
  writeFileSync(
    b,
    bars("BBB.X", [
      [160, "2.01"],
      [220, "2.02"],
    ]),
  );
  writeFileSync(q, "ts,instrument,bid,bid_size,ask,ask_size\n50,CCC.X,3,1,3.01,1\n400,CCC.X,3,1,3.02,1\n");
  const seen: [number, string][] = [];
  const batches: number[] = [];
  // 64-byte file chunks and batches of 2: lines split across chunks and the merge crossing batch edges
  for await (const batch of mergeInTimeOrder([csvRecordChunks(a, 64), csvRecordChunks(b, 64), csvRecordChunks(q, 64)], 2)) {
    batches.push(batch.length);
    for (const r of batch) seen.push([r.tsEvent, r.instrument]);
  }
  t.same(seen, [
    [50, "CCC.X"],
    [100, "AAA.X"],
    [160, "AAA.X"],
    [160, "BBB.X"],
    [220, "BBB.X"],
    [400, "AAA.X"],
    [400, "CCC.X"],
  ]);
  t.ok(
    batches.every((n) => n <= 2),
    "batches are bounded",
  );
});

t.test("a bad row names its file, line and column", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-bad-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, "bad.csv");
  writeFileSync(f, bars("AAA.X", [[100, "1.01"]]).replace("1.01,1.01,1.01,1.01", "1.01,x,1.01,1.01"));
  await t.rejects(async () => {
    for await (const _ of mergeInTimeOrder([csvRecordChunks(f)])) void _;
  }, /bad\.csv line 2, column high/);
});
