import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { SeriesObservation } from "../../../actors/domain/index.ts";
import { eventually } from "../../../test/testing.ts";
import type { FeedIssue } from "../feed-error.ts";
import { FileDrop } from "./file-drop.ts";
import { csvFields } from "./rows.ts";
import { parseFileDropSchema } from "./schema.ts";

const schema = parseFileDropSchema('{"time":"date","instrument":"ticker","values":["car_count","fill_ratio"]}', "AM_FILE_FEED_SCHEMA");

function setup(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), "file-drop-"));
  const seen: SeriesObservation[] = [];
  const issues: FeedIssue[] = [];
  const feed = new FileDrop({
    dir,
    source: "parking-lots",
    schema,
    instruments: new Map([["WMT", "WMT.XNYS"]]),
    onObservation: (o) => seen.push(o),
    onIssue: (i) => issues.push(i),
    pollMs: 20,
    clock: { nowUs: () => 1_717_000_000_000_000 },
  });
  t.teardown(async () => {
    await feed.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, seen, issues, feed };
}

t.test("CSV fields follow RFC 4180 quoting", async (t) => {
  t.same(csvFields('a,"b,c","say ""hi""",'), ["a", "b,c", 'say "hi"', ""]);
  t.throws(() => csvFields('a,"open'), /not closed/);
});

t.test("the schema names the field it refuses", async (t) => {
  t.throws(() => parseFileDropSchema('{"time":"d","instrument":"i","values":[]}', "AM_FILE_FEED_SCHEMA"), /AM_FILE_FEED_SCHEMA\.values: /);
  t.throws(
    () => parseFileDropSchema('{"time":"d","instrument":"i","values":["x"],"extra":1}', "AM_FILE_FEED_SCHEMA"),
    /AM_FILE_FEED_SCHEMA/,
  );
  t.throws(() => parseFileDropSchema("time=date", "AM_FILE_FEED_SCHEMA"), /AM_FILE_FEED_SCHEMA: not JSON/);
});

t.test("a CSV file's good rows become observations stamped with their own time, bad rows named by file and line", async (t) => {
  const { dir, seen, issues, feed } = setup(t);
  writeFileSync(
    join(dir, "2024-05-01.csv"),
    [
      "date,ticker,car_count,fill_ratio",
      "2024-05-01,WMT,1520,0.61",
      "2024-05-01,TGT.XNYS,980,",
      "2024-05-0x,WMT,1,0.1",
      "2024-05-01,WMT,lots,0.2",
      "2024-05-01,NOPE,1,0.1",
      '2024-05-01,WMT,"1,5"',
    ].join("\n"),
  );
  const [outcome] = await feed.scan();
  t.same(
    seen.map((o) => [o.instrument, o.series, o.value]),
    [
      ["WMT.XNYS", "car_count", 1520],
      ["WMT.XNYS", "fill_ratio", 0.61],
      ["TGT.XNYS", "car_count", 980],
    ],
    "an empty cell is no observation, not an error",
  );
  t.equal(seen[0]!.tsEvent, Date.UTC(2024, 4, 1) * 1000);
  t.equal(seen[0]!.tsInit, 1_717_000_000_000_000);
  t.equal(seen[0]!.source, "parking-lots");
  t.same(outcome!.rejected, [
    "2024-05-01.csv:7: 3 fields, the header has 4",
    '2024-05-01.csv:4: date "2024-05-0x" is not an ISO time with a zone, a YYYY-MM-DD date or epoch ms',
    '2024-05-01.csv:5: car_count "lots" is not a finite number',
    '2024-05-01.csv:6: ticker "NOPE" is neither in the symbol map nor SYMBOL.VENUE',
  ]);
  t.equal(issues.length, 4);
  t.ok(existsSync(join(dir, "done", "2024-05-01.csv")) && !existsSync(join(dir, "2024-05-01.csv")), "moved to done/");
});

t.test("a file whose header lacks a schema column applies nothing and moves to rejected/", async (t) => {
  const { dir, seen, issues, feed } = setup(t);
  writeFileSync(join(dir, "bad.csv"), "day,ticker,car_count\n2024-05-01,WMT,5\n");
  const [outcome] = await feed.scan();
  t.equal(seen.length, 0);
  t.equal(outcome!.moved, "rejected");
  t.match(issues[0]!.detail, /file feed parking-lots: bad\.csv:1: header lacks column date/);
  t.ok(existsSync(join(dir, "rejected", "bad.csv")));
});

t.test("JSON Lines files dropped while the feed runs are picked up; other files are left alone", async (t) => {
  const { dir, seen, issues, feed } = setup(t);
  await feed.start();
  writeFileSync(join(dir, "notes.txt"), "not data");
  writeFileSync(
    join(dir, "sat.jsonl"),
    [
      JSON.stringify({ date: "2024-05-02T14:00:00Z", ticker: "WMT", car_count: 1611 }),
      "{not json",
      JSON.stringify({ date: 1714658400000, ticker: "WMT", fill_ratio: 0.7 }),
    ].join("\n"),
  );
  await eventually("the dropped file", () => seen.length === 2);
  t.equal(seen[0]!.tsEvent, Date.UTC(2024, 4, 2, 14) * 1000);
  t.equal(seen[1]!.tsEvent, 1714658400000 * 1000, "epoch ms");
  t.match(issues[0]!.detail, /sat\.jsonl:2: not JSON/);
  t.ok(existsSync(join(dir, "notes.txt")));
});
