import t from "tap";
import { parseFixed } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import type { RawFeedRecord } from "../record.ts";
import { capturingLogger, fastBackoff, seededRandom } from "../testing.ts";
import { eventually } from "../../../test/testing.ts";
import { AlphaVantageBars, type AlphaVantageBarsOptions } from "./bars.ts";
import { startFakeAlphaVantage } from "./testing.ts";
import { zonedToEpochMs } from "./series.ts";

const KEY = "AVKEY0SECRET77";

async function setup(t: { teardown(fn: () => unknown): void }, compactSize = 100, over: Partial<AlphaVantageBarsOptions> = {}) {
  const fake = await startFakeAlphaVantage(await freePort(), { apiKey: KEY, compactSize });
  const records: RawFeedRecord[] = [];
  const issues: FeedIssue[] = [];
  const { logger, lines } = capturingLogger();
  const av = new AlphaVantageBars({
    apiKey: KEY,
    symbols: ["IBM"],
    series: { fn: "TIME_SERIES_INTRADAY", interval: "5min" },
    baseUrl: fake.baseUrl,
    onRecord: (r) => records.push(r),
    onIssue: (i) => issues.push(i),
    logger,
    pollMs: 10,
    backoff: fastBackoff,
    maxRetries: 2,
    random: seededRandom(5),
    ...over,
  });
  t.teardown(async () => {
    await av.stop();
    await fake.close();
  });
  return { fake, av, records, issues, lines };
}

t.test("US/Eastern wall time converts to UTC on both sides of daylight saving", async (t) => {
  t.equal(zonedToEpochMs("2024-01-02 09:30:00", "US/Eastern"), Date.UTC(2024, 0, 2, 14, 30));
  t.equal(zonedToEpochMs("2024-07-01 09:30:00", "US/Eastern"), Date.UTC(2024, 6, 1, 13, 30));
  t.equal(zonedToEpochMs("2024-03-11", "US/Eastern"), Date.UTC(2024, 2, 11, 4, 0));
});

t.test("an intraday series becomes fixed-point 5m bars, oldest first, stamped in UTC", async (t) => {
  const { fake, av } = await setup(t);
  fake.addBars("IBM", 4);
  const bars = await av.fetchBars("IBM");
  t.equal(bars.length, 4);
  const first = fake.bars.get("IBM")![0]!;
  t.equal(bars[0]!.tsOpen, Date.UTC(2024, 0, 2, 14, 30) * 1000);
  t.equal(bars[0]!.tsEvent, Date.UTC(2024, 0, 2, 14, 35) * 1000);
  t.equal(bars[0]!.open, parseFixed(first.open));
  t.equal(bars[0]!.volume, parseFixed(first.volume));
  t.equal(bars[0]!.barType, "5m");
  t.equal(bars[0]!.instrument, "IBM.ALPHAVANTAGE");
  t.ok(fake.requests[0]!.includes("function=TIME_SERIES_INTRADAY") && fake.requests[0]!.includes("interval=5min"));
});

t.test("a rate-limit Note is retried with backoff and the data still arrives", async (t) => {
  const { fake, av, issues } = await setup(t);
  fake.addBars("IBM", 2);
  fake.answerNext("note", "information");
  const bars = await av.fetchBars("IBM");
  t.equal(bars.length, 2);
  t.equal(av.stats().rateLimited, 2);
  t.equal(issues.filter((i) => i.reason === FeedErrorReason.RateLimited).length, 2);
  t.match(issues[0]!.detail, /apikey=\*\*\*/);
  t.notMatch(issues.map((i) => i.detail).join("\n"), KEY);
});

t.test("an Error Message reply is a VENDOR_ERROR naming the vendor's reason", async (t) => {
  const { av } = await setup(t);
  const err = await av.fetchBars("NOSUCH").catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.VendorError);
  t.match((err as FeedError).message, /Invalid API call/);
});

t.test("a refused key makes start fail with AUTH_FAILED and the key appears nowhere", async (t) => {
  const wrong = "WRONGKEY123456";
  const { fake, av, lines, issues } = await setup(t, 100, { apiKey: wrong });
  fake.addBars("IBM", 1);
  const err = await av.start().catch((e: unknown) => e);
  t.ok(err instanceof FeedError);
  t.equal((err as FeedError).reason, FeedErrorReason.AuthFailed);
  t.match((err as FeedError).message, /apikey is invalid/);
  t.notMatch([String(err), ...lines, ...issues.map((i) => i.detail)].join("\n"), wrong);
});

t.test("polling through a dropped connection, spent rate limits and a gap wider than compact delivers every bar once", async (t) => {
  const { fake, av, records, issues, lines } = await setup(t, 3);
  fake.addBars("IBM", 5);
  await av.start();
  t.equal(records.length, 3, "the first poll delivers the compact window");
  fake.addBars("IBM", 2);
  fake.answerNext("drop"); // one dropped connection, retried within the poll
  await eventually("bars after the drop", () => records.length === 5);
  fake.answerNext("note", "note", "note"); // one poll's retries all rate-limited
  fake.addBars("IBM", 6); // more than a compact reply holds
  await eventually("bars after the rate limit", () => records.length === 11);
  await new Promise((r) => setTimeout(r, 40));
  const want = fake.bars
    .get("IBM")!
    .slice(2)
    .map((b) => zonedToEpochMs(b.stamp, "US/Eastern") * 1000);
  t.same(
    records.map((r) => (r.kind === "bar" ? r.tsOpen : 0)),
    want,
    "every bar after the first window, in order, once",
  );
  t.ok(
    fake.requests.some((r) => r.includes("outputsize=full")),
    "the gap was filled from the full history",
  );
  t.ok(issues.some((i) => i.reason === FeedErrorReason.Network));
  t.ok(issues.some((i) => i.reason === FeedErrorReason.RateLimited));
  t.notMatch([...lines, ...issues.map((i) => i.detail)].join("\n"), KEY);
});

t.test("a body that is not the documented shape is counted as malformed, not thrown at the caller", async (t) => {
  const { fake, av, records } = await setup(t);
  fake.addBars("IBM", 2);
  fake.answerNext("garbage");
  await av.start();
  t.equal(records.length, 0);
  await eventually("the next poll", () => records.length === 2);
  t.equal(av.stats().malformed, 1);
});
