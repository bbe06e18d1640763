import t from "tap";
import type { NewsHeadline } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { type FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { capturingLogger, fastBackoff, seededRandom } from "../testing.ts";
import { eventually } from "../../../test/testing.ts";
import { headlineTone } from "./lexicon.ts";
import { PolygonNews, type PolygonNewsOptions } from "./polygon-news.ts";
import { startFakePolygonNews } from "./testing.ts";

const KEY = "PGNEWSKEY0SECRET";
const NOW = Date.UTC(2024, 5, 25, 12);

async function setup(t: { teardown(fn: () => unknown): void }, over: Partial<PolygonNewsOptions> = {}) {
  const fake = await startFakePolygonNews(await freePort(), KEY);
  const headlines: NewsHeadline[] = [];
  const issues: FeedIssue[] = [];
  const { logger, lines } = capturingLogger();
  const news = new PolygonNews({
    apiKey: KEY,
    tickers: new Map([
      ["AAPL", "AAPL.XNAS"],
      ["MSFT", "MSFT.XNAS"],
    ]),
    onHeadline: (h) => headlines.push(h),
    onIssue: (i) => issues.push(i),
    logger,
    baseUrl: fake.baseUrl,
    pollMs: 20,
    pageSize: 2,
    backoff: fastBackoff,
    maxRetries: 1,
    random: seededRandom(3),
    clock: { nowUs: () => NOW * 1000 },
    ...over,
  });
  t.teardown(async () => {
    await news.stop();
    await fake.close();
  });
  return { fake, news, headlines, issues, lines };
}

t.test("the finance lexicon scores tone the way a trader reads it", async (t) => {
  t.same(headlineTone("Apple beats estimates, raises guidance on strong iPhone demand"), { score: 1, positive: 3, negative: 0 });
  t.equal(headlineTone("Microsoft misses revenue forecast and warns of weaker cloud growth").score < 0, true);
  t.same(headlineTone("Results were not strong"), { score: -1, positive: 0, negative: 1 }, "a negated positive word counts as negative");
  t.same(headlineTone("Company opens new windows factory"), { score: 0, positive: 0, negative: 0 }, "win does not match windows");
  t.same(
    headlineTone("Crude liability tax update"),
    { score: 0, positive: 0, negative: 0 },
    "words a general lexicon misreads are not listed",
  );
});

t.test("headlines of each ticker arrive in publication order, across pages, scored and stamped", async (t) => {
  const { fake, news, headlines } = await setup(t);
  fake.publish({
    title: "Apple beats estimates",
    description: "Record services revenue",
    published_utc: "2024-06-25T10:00:00Z",
    tickers: ["AAPL"],
  });
  fake.publish({
    title: "Apple faces antitrust probe",
    description: "Regulators investigate",
    published_utc: "2024-06-25T10:05:00Z",
    tickers: ["AAPL"],
  });
  fake.publish({ title: "Old story", description: "", published_utc: "2024-06-20T10:00:00Z", tickers: ["AAPL"] });
  fake.publish({
    title: "Microsoft and Apple win deal",
    description: "",
    published_utc: "2024-06-25T11:00:00Z",
    tickers: ["MSFT", "AAPL"],
  });
  await news.pollAll();
  t.same(
    headlines.map((h) => [h.instrument, h.title]),
    [
      ["AAPL.XNAS", "Apple beats estimates"],
      ["AAPL.XNAS", "Apple faces antitrust probe"],
      ["AAPL.XNAS", "Microsoft and Apple win deal"],
      ["MSFT.XNAS", "Microsoft and Apple win deal"],
    ],
    "the day-old story is before the look-back; a two-ticker story reaches both",
  );
  t.equal(headlines[0]!.tsEvent, Date.UTC(2024, 5, 25, 10) * 1000);
  t.equal(headlines[0]!.tsInit, NOW * 1000, "arrival time from the clock");
  t.ok(headlines[0]!.sentiment > 0 && headlines[1]!.sentiment < 0);
  t.equal(headlines[0]!.publisher, "Benzinga");
  t.ok(
    fake.requests.some((r) => r.includes("cursor=")),
    "pages were followed",
  );
});

t.test("a later poll and a resumed session deliver each headline once", async (t) => {
  const { fake, news, headlines } = await setup(t);
  fake.publish({ title: "Apple upgrade", description: "", published_utc: "2024-06-25T10:00:00Z", tickers: ["AAPL"] });
  fake.publish({ title: "Apple second same second", description: "", published_utc: "2024-06-25T10:00:00Z", tickers: ["AAPL"] });
  await news.start();
  t.equal(headlines.length, 2);
  fake.publish({ title: "Apple downgrade", description: "", published_utc: "2024-06-25T10:30:00Z", tickers: ["AAPL"] });
  await eventually("the new headline", () => headlines.length === 3);
  await eventually("another poll", () => fake.requests.length >= 8);
  t.equal(headlines.length, 3);
  const marks = news.watermarks();
  t.same(marks.AAPL, { seq: 1, tsMs: Date.UTC(2024, 5, 25, 10, 30) });
  const {
    news: resumed,
    headlines: again,
    fake: f2,
  } = await setup(t, { resume: { AAPL: { seq: 1, tsMs: Date.UTC(2024, 5, 25, 10, 0) } } });
  f2.publish({ title: "a", description: "", published_utc: "2024-06-25T10:00:00Z", tickers: ["AAPL"] });
  f2.publish({ title: "b", description: "", published_utc: "2024-06-25T10:00:00Z", tickers: ["AAPL"] });
  await resumed.pollAll();
  t.same(
    again.map((h) => h.title),
    ["b"],
    "of two headlines in the watermark's second, the one already delivered is skipped",
  );
});

t.test("a refused key, a bad article and a bad page name the provider, field and URL, never the key", async (t) => {
  const { fake, news, issues, lines, headlines } = await setup(t, { apiKey: "WRONGNEWSKEY99" });
  const err = await news.start().catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.AuthFailed);
  t.match(
    (err as FeedError).message,
    /^Polygon news GET http:\/\/127\.0\.0\.1:\d+\/v2\/reference\/news\?ticker=AAPL.*apiKey=\*\*\*: refused the API key/,
  );
  t.notMatch(String(err), "WRONGNEWSKEY99");
  const ok = await setup(t);
  ok.fake.publish({ title: "Apple beats", description: "", published_utc: "2024-06-25T10:00:00Z", tickers: ["AAPL"] });
  ok.fake.answerNext("bad-article");
  await ok.news.poll("AAPL");
  t.equal(ok.headlines.length, 1, "the good article of the page still arrives");
  t.match(ok.issues[0]!.detail, /Polygon news http:.*apiKey=\*\*\*: results\[0\]: published_utc "yesterday" is not an ISO UTC time/);
  ok.fake.answerNext("garbage", "garbage");
  const bad = await ok.news.poll("AAPL").catch((e: unknown) => e);
  t.equal((bad as FeedError).reason, FeedErrorReason.HttpError);
  t.notMatch([...lines, ...issues.map((i) => i.detail), String(bad), ...ok.issues.map((i) => i.detail)].join("\n"), KEY);
  t.equal(headlines.length, 0);
  t.equal(fake.requests.length, 1, "a refused key is not retried");
});
