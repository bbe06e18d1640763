import t from "tap";
import type { Filing } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { fastBackoff, seededRandom } from "../testing.ts";
import { eventually } from "../../../test/testing.ts";
import { EdgarFilings, type EdgarFilingsOptions } from "./edgar.ts";
import { acceptanceToMs } from "./filings.ts";
import { startFakeEdgar } from "./testing.ts";

const UA = "AlphaMind Research research@alphamind.example";

async function setup(t: { teardown(fn: () => unknown): void }, over: Partial<EdgarFilingsOptions> = {}) {
  const fake = await startFakeEdgar(await freePort());
  fake.company("320193", "Apple Inc.");
  fake.company("789019", "MICROSOFT CORP");
  const filings: Filing[] = [];
  const issues: FeedIssue[] = [];
  const make = (o: Partial<EdgarFilingsOptions> = {}) =>
    new EdgarFilings({
      userAgent: UA,
      companies: new Map([
        ["320193", ["AAPL.XNAS"]],
        ["0000789019", ["MSFT.XNAS"]],
      ]),
      onFiling: (f) => filings.push(f),
      onIssue: (i) => issues.push(i),
      dataUrl: fake.baseUrl,
      wwwUrl: fake.baseUrl,
      pollMs: 20,
      backoff: fastBackoff,
      maxRetries: 2,
      random: seededRandom(7),
      ...over,
      ...o,
    });
  const feeds: EdgarFilings[] = [];
  t.teardown(async () => {
    for (const f of feeds) await f.stop();
    await fake.close();
  });
  const open = (o: Partial<EdgarFilingsOptions> = {}) => {
    const f = make(o);
    feeds.push(f);
    return f;
  };
  return { fake, filings, issues, open };
}

t.test("the submissions API's acceptance time is New York wall time despite its Z", async (t) => {
  t.equal(acceptanceToMs("2024-05-02T16:30:35.000Z"), Date.UTC(2024, 4, 2, 20, 30, 35), "EDT is UTC-4");
  t.equal(acceptanceToMs("2024-01-25T16:31:02.000Z"), Date.UTC(2024, 0, 25, 21, 31, 2), "EST is UTC-5");
});

t.test("a company's 8-Ks come from its submissions with their items and acceptance time, other forms left out", async (t) => {
  const { fake, filings, open } = await setup(t);
  fake.file({ cik: "320193", company: "Apple Inc.", form: "10-Q", items: [], acceptedEt: "2024-05-02T16:31:00" });
  const results = fake.file({
    cik: "320193",
    company: "Apple Inc.",
    form: "8-K",
    items: ["2.02", "9.01"],
    acceptedEt: "2024-05-02T16:30:35",
  });
  fake.file({ cik: "789019", company: "MICROSOFT CORP", form: "8-K", items: ["5.02"], acceptedEt: "2024-03-01T17:45:10" });
  await open().backfill();
  t.equal(filings.length, 2);
  const aapl = filings.find((f) => f.instrument === "AAPL.XNAS")!;
  t.match(aapl, {
    cik: "0000320193",
    accession: results.accession,
    form: "8-K",
    items: ["2.02", "9.01"],
    filingDate: "2024-05-02",
    tsEvent: Date.UTC(2024, 4, 2, 20, 30, 35) * 1000,
  });
  t.ok(aapl.tsInit >= aapl.tsEvent, "arrival time is stamped apart from the event time");
  t.equal(filings.find((f) => f.instrument === "MSFT.XNAS")!.items[0], "5.02");
  t.ok(
    fake.requests.every((r) => r.userAgent === UA),
    "every request declares the User-Agent",
  );
});

t.test("the Atom feed delivers a new 8-K of a listed company once, and ignores companies not in the table", async (t) => {
  const { fake, filings, open } = await setup(t);
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["8.01"], acceptedEt: "2024-05-01T09:00:00" });
  const feed = open();
  await feed.start();
  t.equal(filings.length, 1);
  fake.file({ cik: "1018724", company: "AMAZON COM INC", form: "8-K", items: ["2.02"], acceptedEt: "2024-05-02T16:01:00" });
  const late = fake.file({ cik: "789019", company: "MICROSOFT CORP", form: "8-K/A", items: ["5.02"], acceptedEt: "2024-05-02T16:05:00" });
  await eventually("the Atom filing", () => filings.length === 2);
  await eventually("a few more polls", () => fake.requests.filter((r) => r.path.includes("getcurrent")).length >= 4);
  t.equal(filings.length, 2, "polls that list it again deliver nothing new");
  t.match(filings[1], { instrument: "MSFT.XNAS", form: "8-K/A", accession: late.accession, items: ["5.02"] });
  t.equal(filings[1]!.tsEvent, Date.UTC(2024, 4, 2, 20, 5, 0) * 1000, "the Atom <updated> offset gives UTC");
  t.ok(fake.requests.some((r) => /type=8-K/.test(r.path) && /output=atom/.test(r.path)));
});

t.test("more companies than EDGAR allows requests a second are read at ten a second, never refused", async (t) => {
  const { fake, open } = await setup(t);
  const companies = new Map<string, string[]>();
  for (let i = 1; i <= 14; i++) {
    const cik = String(100_000 + i);
    companies.set(cik, [`C${i}.XNAS`]);
    fake.file({ cik, company: `Company ${i}`, form: "8-K", items: ["7.01"], acceptedEt: `2024-05-02T10:${String(i).padStart(2, "0")}:00` });
  }
  const started = Date.now();
  await open({ companies }).backfill();
  const took = Date.now() - started;
  t.equal(fake.violations, 0, "no request past EDGAR's rate");
  t.ok(took >= 1300, `14 requests took ${took} ms (≥ 1.3 s at 10/s)`);
});

t.test("a refused rate is retried as a rate limit; an undeclared agent is refused before any request", async (t) => {
  const { fake, issues, open } = await setup(t, { backoff: { initialMs: 700, maxMs: 1400, factor: 2 } });
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["2.02"], acceptedEt: "2024-05-02T16:30:35" });
  // eleven requests from elsewhere in the same second: EDGAR counts the client, not the call
  for (let i = 0; i < 11; i++) fake.requests.push({ path: "/elsewhere", userAgent: UA, atMs: Date.now() });
  await open().backfill();
  t.ok(issues.some((i) => i.reason === FeedErrorReason.RateLimited && /Request Rate Threshold Exceeded/.test(i.detail)));
  const err = (() => {
    try {
      open({ userAgent: "node-fetch" });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof FeedError);
  t.equal((err as FeedError).reason, FeedErrorReason.AuthFailed);
  t.match((err as FeedError).message, /SEC EDGAR: userAgent "node-fetch" must name the company and a contact address/);
});

t.test("a row that cannot be read is named and skipped; a page that is not the format names provider and URL", async (t) => {
  const { fake, filings, issues, open } = await setup(t);
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["2.02"], acceptedEt: "2024-05-02T16:30:35" });
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["Item two"], acceptedEt: "2024-05-03T08:00:00" });
  await open().backfill();
  t.equal(filings.length, 1);
  t.match(
    issues[0]!.detail,
    /SEC EDGAR http:\/\/127\.0\.0\.1:\d+\/submissions\/CIK0000320193\.json: filings\.recent\[0\] \(8-K\): items entry "Item two"/,
  );
  fake.answerNext("garbage");
  const err = await open()
    .pollCurrent()
    .catch((e: unknown) => e);
  t.equal((err as FeedError).reason, FeedErrorReason.Malformed);
  t.match((err as FeedError).message, /SEC EDGAR http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/browse-edgar\?action=getcurrent.*not an Atom feed/);
});

t.test("a resumed feed starts after its watermarks, and a feed that skipped past the last poll is filled from submissions", async (t) => {
  const { fake, filings, issues, open } = await setup(t);
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["8.01"], acceptedEt: "2024-05-01T09:00:00" });
  const first = open();
  await first.backfill();
  const marks = first.watermarks();
  t.same(Object.keys(marks), ["0000320193"]);
  fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["2.02"], acceptedEt: "2024-05-02T16:30:35" });
  fake.feedSize = 1;
  const second = open({ resume: marks });
  await second.start();
  t.equal(filings.length, 2, "only the filing after the watermark");
  // three filings between polls where the feed lists one: the two it cannot show come from the submissions
  for (const at of ["2024-05-03T09:00:00", "2024-05-03T09:01:00", "2024-05-03T09:02:00"])
    fake.file({ cik: "320193", company: "Apple Inc.", form: "8-K", items: ["7.01"], acceptedEt: at });
  await eventually("the filings the feed skipped", () => filings.length === 5);
  t.ok(issues.some((i) => i.reason === FeedErrorReason.Gap));
  t.same(
    filings.map((f) => f.tsEvent),
    [...filings.map((f) => f.tsEvent)].sort((a, b) => a - b),
    "in acceptance order",
  );
});
