import t from "tap";
import { asPrice, asQuantity, type Trade } from "../../actors/domain/index.ts";
import type { TestInfra } from "../local/index.ts";
import { startTestServers } from "../../test/testing.ts";
import { declareTables, openIlpWriter, volumeProfileOf } from "./index.ts";
import { tradeRow } from "./rows.ts";
import { walApplied } from "./testing.ts";

let infra: TestInfra;
let url: string;
const MIN = 60_000_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D = 20_400 * DAY; // a midnight UTC (2025-11-09)
const ACME = "ACME.XTST";

let seq = 0;
const trade = (atUs: number, size: number, instrument = ACME): Trade => ({
  instrument,
  price: asPrice(100_00000000),
  size: asQuantity(size * 1e8),
  aggressor: "BUY",
  tradeId: `T${seq}`,
  seq: seq++,
  tsEvent: atUs,
  tsInit: atUs,
});

// The horizon 14:00–14:40 on day D in four 10-minute buckets, from the two days before: bucket volumes 10, 30, 0, 60.
const known: Trade[] = [
  trade(D - DAY + 14 * HOUR + 5 * MIN, 10), // D-1 14:05: bucket 0
  trade(D - DAY + 14 * HOUR + 15 * MIN, 20), // D-1 14:15: bucket 1
  trade(D - DAY + 14 * HOUR + 35 * MIN, 10), // D-1 14:35: bucket 3
  trade(D - 2 * DAY + 14 * HOUR + 12 * MIN, 10), // D-2 14:12: bucket 1
  trade(D - 2 * DAY + 14 * HOUR + 40 * MIN - 1, 50), // D-2 14:39:59.999999: bucket 3
  trade(D - DAY + 13 * HOUR + 55 * MIN, 100), // before the window's time of day
  trade(D - DAY + 14 * HOUR + 40 * MIN, 100), // at its end (excluded)
  trade(D - 3 * DAY + 14 * HOUR + 5 * MIN, 1000), // three days back: beyond `days`
  trade(D + 13 * HOUR + 59 * MIN, 100), // the same day, just before the start: outside the window
  trade(D - DAY + 14 * HOUR + 5 * MIN, 500, "OTHER.XTST"), // another instrument
  // a horizon across midnight (D 23:50 – D+1 00:10): the day before's 23:55 and this day's 00:05
  trade(D - DAY + 23 * HOUR + 55 * MIN, 30, "NIGHT.XTST"),
  trade(D + 5 * MIN, 10, "NIGHT.XTST"),
];

t.before(async () => {
  ({ infra } = await startTestServers(t, { questdb: true, declare: false }));
  url = infra.questdbUrl ?? "";
  await declareTables(url);
  const sender = await openIlpWriter(url);
  for (const x of known) sender.row(tradeRow(x));
  await sender.flush();
  await sender.close();
  await walApplied(url, "trades", { written: true });
});

t.test("the volume curve of a horizon's times of day over recorded days, one share per bucket", async (t) => {
  const profile = await volumeProfileOf(url, {
    instrument: ACME,
    fromUs: D + 14 * HOUR,
    toUs: D + 14 * HOUR + 40 * MIN,
    buckets: 4,
    days: 2,
  });
  t.same(profile, [0.1, 0.3, 0, 0.6]);
  const oneDay = await volumeProfileOf(url, {
    instrument: ACME,
    fromUs: D + 14 * HOUR,
    toUs: D + 14 * HOUR + 40 * MIN,
    buckets: 4,
    days: 1,
  });
  t.same(oneDay, [0.25, 0.5, 0, 0.25], "only the day before: 10, 20, 0, 10");
});

t.test("a horizon across midnight takes each side's time of day", async (t) => {
  const night = await volumeProfileOf(url, {
    instrument: "NIGHT.XTST",
    fromUs: D + 23 * HOUR + 50 * MIN,
    toUs: D + DAY + 10 * MIN,
    buckets: 2,
    days: 1,
  });
  t.same(night, [0.75, 0.25], "23:55 in the first ten minutes, 00:05 in the second");
});

t.test("with no recorded volume the curve is flat, and bad queries are refused naming the field", async (t) => {
  t.same(await volumeProfileOf(url, { instrument: "NONE.XTST", fromUs: D, toUs: D + HOUR, buckets: 4, days: 5 }), [0.25, 0.25, 0.25, 0.25]);
  const q = { instrument: ACME, fromUs: D, toUs: D + HOUR, buckets: 4, days: 5 };
  await t.rejects(volumeProfileOf(url, { ...q, instrument: "no-venue" }), /instrument|SYMBOL\.VENUE/);
  await t.rejects(volumeProfileOf(url, { ...q, toUs: D - 1 }), /^HistoryQueryError|toUs/);
  await t.rejects(volumeProfileOf(url, { ...q, toUs: D + DAY + 1 }), /toUs .* at most a day later/);
  await t.rejects(volumeProfileOf(url, { ...q, buckets: 0 }), /buckets 0 must be an integer/);
  await t.rejects(volumeProfileOf(url, { ...q, days: 0 }), /days 0 must be an integer/);
});
