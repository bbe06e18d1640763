import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { loadConfig } from "../../infra/config/index.ts";
import { startFakeEdgar } from "../../infra/feeds/edgar/testing.ts";
import { startFakePolygonNews } from "../../infra/feeds/news/testing.ts";
import { capturingLogger } from "../../infra/feeds/testing.ts";
import { freePort } from "../../infra/local/ports.ts";
import { decodeMessage, type Message } from "../../infra/nats/codec.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "../../infra/questdb/index.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { startTestNode } from "./testing.ts";
import { startVendorFeeds, vendorFeedsFrom } from "./feed-adapters.ts";

const KEY = "pk_NEWS_TEST_5e4d3c";
const UA = "AlphaMind Research research@alphamind.example";

t.test("the alternative data feeds' settings are checked, naming the setting", async (t) => {
  const env = { AM_FEEDS: "edgar", AM_EDGAR_COMPANIES: "320193=AAPL.XNAS" };
  t.throws(() => vendorFeedsFrom(loadConfig(env)), /AM_EDGAR_USER_AGENT is not set/);
  t.throws(() => loadConfig({ ...env, AM_EDGAR_USER_AGENT: "curl" }), /AM_EDGAR_USER_AGENT/);
  t.throws(
    () => vendorFeedsFrom(loadConfig({ ...env, AM_EDGAR_USER_AGENT: UA, AM_EDGAR_COMPANIES: "AAPL=AAPL.XNAS" })),
    /AM_EDGAR_COMPANIES/,
  );
  t.throws(() => loadConfig({ ...env, AM_EDGAR_USER_AGENT: UA, AM_EDGAR_REQUESTS_PER_SECOND: "20" }), /AM_EDGAR_REQUESTS_PER_SECOND/);
  t.throws(() => vendorFeedsFrom(loadConfig({ AM_FEEDS: "news", AM_NEWS_SYMBOLS: "AAPL" })), /AM_POLYGON_API_KEY/);
  t.throws(
    () => vendorFeedsFrom(loadConfig({ AM_FEEDS: "files", AM_FILE_FEED_DIR: "/tmp/x", AM_FILE_FEED_SCHEMA: '{"time":"t"}' })),
    /AM_FILE_FEED_SCHEMA\.instrument/,
  );
  const [edgar] = vendorFeedsFrom(loadConfig({ ...env, AM_EDGAR_USER_AGENT: UA, AM_EDGAR_COMPANIES: "320193=AAPL.XNAS,320193=AAPL.XLON" }));
  t.same(edgar!.spec.feed === "edgar" && [...edgar!.spec.companies], [["320193", ["AAPL.XNAS", "AAPL.XLON"]]]);
});

t.test("filings, scored headlines and dropped series reach their md subjects and QuestDB with event and arrival times", async (t) => {
  const f = await startTestServers(t, { questdb: true });
  const url = f.infra.questdbUrl ?? "";
  await declareTables(url);
  const node = await startTestNode(t, f, { kinds: "supervisors/node/vendor-feed-test-kinds.ts", hangBudgetMs: 2000 });
  const recorder = new Recorder({ nc: f.nc, questdbUrl: url, record: { orders: false }, lingerMs: 20, statsIntervalMs: 0 });
  await recorder.start();
  t.teardown(() => recorder.stop());
  const edgar = await startFakeEdgar(await freePort());
  const news = await startFakePolygonNews(await freePort(), KEY);
  const dir = mkdtempSync(join(tmpdir(), "alt-files-"));
  t.teardown(async () => {
    await edgar.close();
    await news.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const filing = edgar.file({
    cik: "320193",
    company: "Apple Inc.",
    form: "8-K",
    items: ["2.02", "9.01"],
    acceptedEt: "2024-05-02T16:30:35",
  });
  news.publish({
    title: "Apple beats estimates on strong services growth",
    description: "",
    published_utc: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    tickers: ["AAPL"],
  });
  writeFileSync(join(dir, "lots.csv"), "date,ticker,car_count\n2024-05-01,AAPL,1520\n2024-05-01,AAPL,oops\n");

  const md: Message[] = [];
  f.nc.subscribe("am.md.>", {
    callback: (_e, m) => void md.push({ ...decodeMessage(m.data, m.headers, true).message, subject: m.subject } as Message),
  });
  const config = loadConfig({
    AM_FEEDS: "edgar,news,files",
    AM_EDGAR_USER_AGENT: UA,
    AM_EDGAR_COMPANIES: "320193=AAPL.XNAS",
    AM_EDGAR_DATA_URL: edgar.baseUrl,
    AM_EDGAR_WWW_URL: edgar.baseUrl,
    AM_EDGAR_POLL_MS: "1000",
    AM_POLYGON_API_KEY: KEY,
    AM_NEWS_URL: news.baseUrl,
    AM_NEWS_SYMBOLS: "AAPL=AAPL.XNAS",
    AM_NEWS_POLL_MS: "1000",
    AM_FILE_FEED_DIR: dir,
    AM_FILE_FEED_NAME: "parking-lots",
    AM_FILE_FEED_SCHEMA: '{"time":"date","instrument":"ticker","values":["car_count"]}',
    AM_FILE_FEED_SYMBOLS: "AAPL=AAPL.XNAS",
    AM_FILE_FEED_POLL_MS: "50",
  });
  const { logger, lines } = capturingLogger();
  const feeds = await startVendorFeeds({
    nc: f.nc,
    feeds: vendorFeedsFrom(config),
    log: logger,
    ensure: (r) => node.ensure(r),
    hosts: (r) => node.hosts(r),
  });
  t.teardown(() => feeds.stop());

  await eventually("one message on each alternative data channel", () => md.length >= 3, { timeoutMs: 20_000 });
  const aapl = { venue: "XNAS", symbol: "AAPL" };
  t.match(
    md.find((m) => m.type === "Filing"),
    {
      subject: subjects.md("filing", aapl),
      accession: filing.accession,
      items: ["2.02", "9.01"],
      tsEvent: Date.UTC(2024, 4, 2, 20, 30, 35) * 1000,
    },
  );
  t.match(
    md.find((m) => m.type === "NewsHeadline"),
    { subject: subjects.md("news", aapl), sentiment: 1 },
  );
  t.match(
    md.find((m) => m.type === "SeriesObservation"),
    { subject: subjects.md("series", aapl), source: "parking-lots", value: 1520 },
  );
  t.ok(
    lines.some((l) => l.includes("lots.csv:3: car_count")),
    "the bad row is named by file and line",
  );
  t.ok(edgar.requests.every((r) => r.userAgent === UA));

  for (const table of ["filings", "news", "alt_series"]) await walApplied(url, table, { written: true });
  const [fr] = rowsOf(await questdbSql(url, "SELECT ts, ts_init, symbol, accession, items FROM filings"));
  t.match(fr, { ts: "2024-05-02T20:30:35.000000Z", symbol: "AAPL", accession: filing.accession, items: "2.02,9.01" });
  t.ok(Date.parse(String(fr!.ts_init)) > Date.parse(String(fr!.ts)), "arrival time apart from the event time");
  const [nr] = rowsOf(await questdbSql(url, "SELECT sentiment, positive, title FROM news"));
  t.match(nr, { sentiment: 1, title: "Apple beats estimates on strong services growth" });
  t.same(rowsOf(await questdbSql(url, "SELECT ts, source, series, value FROM alt_series")), [
    { ts: "2024-05-01T00:00:00.000000Z", source: "parking-lots", series: "car_count", value: 1520 },
  ]);
});
