import t from "tap";
import { parseFixed } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { fastBackoff, seededRandom } from "../testing.ts";
import { startFakePolygon } from "./testing.ts";
import { PolygonRest } from "./rest.ts";

const KEY = "pk_live_SECRET123";
const FAR = Date.UTC(2030, 0, 1);

async function setup(t: { teardown(fn: () => unknown): void }, pageSize = 2) {
  const fake = await startFakePolygon(await freePort(), { apiKey: KEY, pageSize });
  t.teardown(() => fake.close());
  const issues: FeedIssue[] = [];
  const rest = new PolygonRest({
    apiKey: KEY,
    baseUrl: fake.baseUrl,
    backoff: fastBackoff,
    maxRetries: 3,
    random: seededRandom(1),
    onIssue: (i) => issues.push(i),
  });
  return { fake, rest, issues };
}

t.test("aggregates follow next_url across pages and come back as fixed-point bars, oldest first", async (t) => {
  const { fake, rest } = await setup(t, 2);
  for (let i = 0; i < 5; i++) fake.publish("AAPL", 3);
  const bars = await rest.aggregates("AAPL", 1, "minute", 0, FAR);
  const expected = fake.events.filter((e) => e.ev === "AM");
  t.equal(bars.length, 5);
  t.same(
    bars.map((b) => b.tsOpen / 1000),
    expected.map((e) => e.s),
  );
  const first = expected[0]!;
  t.equal(bars[0]!.open, parseFixed(String(first.o)));
  t.equal(bars[0]!.instrument, "AAPL.POLYGON");
  t.equal(bars[0]!.barType, "1m");
  t.equal(bars[0]!.tsEvent, (first.s + 60_000) * 1000);
  t.ok(fake.requests.filter((r) => r.includes("cursor=")).length >= 2, "later pages were fetched through next_url");
  t.ok(
    fake.requests.every((r) => r.includes(`apiKey=${KEY}`)),
    "every page carries the key, re-added to next_url",
  );
});

t.test("an ERROR reply becomes a VENDOR_ERROR that carries Polygon's message and not the key", async (t) => {
  const { fake, rest } = await setup(t);
  fake.failNext(400, { status: "ERROR", request_id: "x", error: "Could not parse the time parameter: 'from'." });
  const err = await rest.aggregates("AAPL", 1, "minute", 0, FAR).catch((e: unknown) => e);
  t.ok(err instanceof FeedError);
  t.equal((err as FeedError).reason, FeedErrorReason.VendorError);
  t.match((err as FeedError).message, /Could not parse the time parameter/);
  t.notMatch((err as FeedError).message, KEY);
});

t.test("HTTP 429 is retried after Retry-After and the call still succeeds", async (t) => {
  const { fake, rest, issues } = await setup(t);
  fake.publish("AAPL", 2);
  fake.rateLimit(2);
  const bars = await rest.aggregates("AAPL", 1, "minute", 0, FAR);
  t.equal(bars.length, 1);
  t.equal(rest.stats().rateLimited, 2);
  t.equal(issues.filter((i) => i.reason === FeedErrorReason.RateLimited).length, 2);
  t.ok(
    issues.every((i) => !i.detail.includes(KEY)),
    "issues show the URL with the key redacted",
  );
  t.ok(issues.some((i) => i.detail.includes("apiKey=***")));
});

t.test("rate limiting past the retry budget fails with RATE_LIMITED", async (t) => {
  const { fake, rest } = await setup(t);
  fake.rateLimit(10);
  const err = await rest.aggregates("AAPL", 1, "minute", 0, FAR).catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.RateLimited);
  t.notMatch((err as FeedError).message, KEY);
});

t.test("a refused key is AUTH_FAILED, not retried, and the error shows no key", async (t) => {
  const fake = await startFakePolygon(await freePort(), { apiKey: KEY });
  t.teardown(() => fake.close());
  const wrong = "pk_wrong_OTHERSECRET";
  const rest = new PolygonRest({ apiKey: wrong, baseUrl: fake.baseUrl, backoff: fastBackoff, maxRetries: 3, random: seededRandom(1) });
  const err = await rest.trades("AAPL", 0, FAR).catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.AuthFailed);
  t.match((err as FeedError).message, /Unknown API Key/);
  t.notMatch((err as FeedError).message, wrong);
  t.equal(fake.requests.length, 1, "no retry of a refused key");
});

t.test("a next_url on another host is refused so the key is never sent there", async (t) => {
  const { fake, rest } = await setup(t);
  fake.failNext(200, { status: "OK", results: [], next_url: "https://evil.example/v2/aggs/next?cursor=1" });
  const err = await rest.aggregates("AAPL", 1, "minute", 0, FAR).catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.Malformed);
  t.match((err as FeedError).message, /evil\.example/);
});

t.test("a malformed result row is counted and reported while the others are delivered", async (t) => {
  const { fake, rest, issues } = await setup(t);
  fake.failNext(200, {
    status: "OK",
    results: [
      { o: 1, h: 1, l: 1, c: 1, v: 10, t: 60_000 },
      { o: "abc", t: 120_000 },
    ],
  });
  const bars = await rest.aggregates("AAPL", 1, "minute", 0, FAR);
  t.equal(bars.length, 1);
  t.equal(rest.stats().malformed, 1);
  t.match(issues.find((i) => i.reason === FeedErrorReason.Malformed)?.detail ?? "", /results\[\]\.h|results\[\]\.o/);
});
