import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t from "tap";
import { loadConfig } from "../../infra/config/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { decodeMessage } from "../../infra/nats/codec.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "../../infra/questdb/index.ts";
import { createLogger } from "../../infra/telemetry/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { ActorNode } from "./actor-node.ts";
import { demoAltDataOff, startDemoAltData } from "./demo-alt-data.ts";
import { startVendorFeeds, vendorFeedsFrom } from "./feed-adapters.ts";

t.test("the demo's alternative data runs with a demo market unless switched off or configured by hand", async (t) => {
  t.equal(demoAltDataOff(loadConfig({})), undefined);
  t.match(demoAltDataOff(loadConfig({ AM_DEMO_ALT_DATA: "0" })), /AM_DEMO_ALT_DATA/);
  t.match(demoAltDataOff(loadConfig({ AM_DEMO_INSTRUMENTS: "0" })), /AM_DEMO_INSTRUMENTS=0/);
  t.match(demoAltDataOff(loadConfig({ AM_FEEDS: "polygon,news" })), /AM_FEEDS names news/);
  t.equal(demoAltDataOff(loadConfig({ AM_FEEDS: "binance" })), undefined);
});

t.test("the demo's filings, headlines and parking-lot counts reach md subjects and QuestDB through the feeds", async (t) => {
  const f = await startTestServers(t, { questdb: true });
  const url = f.infra.questdbUrl ?? "";
  await declareTables(url);
  const log = createLogger({ level: "error" });
  const node = new ActorNode({
    nc: f.nc,
    natsUrl: f.infra.natsUrl,
    node: "n1",
    kindsModule: pathToFileURL(`${repoRoot}supervisors/node/vendor-feed-test-kinds.ts`).href,
    cells: 1,
    hangBudgetMs: 2000,
    log,
    logLevel: "error",
  });
  await node.start();
  t.teardown(() => node.stop());
  const recorder = new Recorder({ nc: f.nc, questdbUrl: url, record: { orders: false }, lingerMs: 20, statsIntervalMs: 0 });
  await recorder.start();
  t.teardown(() => recorder.stop());
  const varDir = mkdtempSync(join(tmpdir(), "demo-alt-"));
  t.teardown(() => rmSync(varDir, { recursive: true, force: true }));

  const startedMs = Date.now();
  const alt = await startDemoAltData(loadConfig({ AM_DEMO_INSTRUMENTS: "3", AM_VAR_DIR: varDir, AM_FEEDS: "binance" }), {
    log,
    pace: {
      filingEveryMs: 3_000,
      headlineEveryMs: 1_000,
      seriesEveryMs: 2_000,
      edgarPollMs: 1_000,
      newsPollMs: 1_000,
      filePollMs: 200,
      historyMs: 20_000,
    },
  });
  t.teardown(() => alt.stop());
  t.same(alt.instruments, ["SIM001.SIMX", "SIM002.SIMX", "SIM003.SIMX"]);
  t.equal(alt.config.feeds, "binance,edgar,news,files", "the demo's feeds join those configured");
  const md: Record<string, unknown>[] = [];
  f.nc.subscribe("am.md.>", {
    callback: (_e, m) => void md.push({ ...decodeMessage(m.data, m.headers, true).message, subject: m.subject }),
  });
  const feeds = await startVendorFeeds({
    nc: f.nc,
    feeds: vendorFeedsFrom(alt.config).filter((v) => v.spec.feed !== "binance"),
    log,
    ensure: (r) => node.ensure(r),
    hosts: (r) => node.hosts(r),
  });
  t.teardown(() => feeds.stop());

  // the history is there at once; then each stream goes on publishing
  const live = (type: string) => md.find((m) => m.type === type && Number(m.tsEvent) > startedMs * 1000);
  const [filing, headline, observation] = await eventually(
    "a filing, a headline and an observation published after the start",
    () => {
      const all = [live("Filing"), live("NewsHeadline"), live("SeriesObservation")];
      return all.every(Boolean) ? all : undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.match(filing, { subject: /^am\.md\.filing\.SIMX\.SIM00[123]$/, form: /^8-K/, cik: /^00099000/ });
  t.match(headline, { subject: /^am\.md\.news\.SIMX\.SIM00[123]$/, title: /\S/ });
  t.match(observation, { subject: /^am\.md\.series\.SIMX\.SIM00[123]$/, source: "parking-lots", series: /^(car_count|fill_ratio)$/ });
  const tones = new Set(md.filter((m) => m.type === "NewsHeadline").map((m) => Math.sign(Number(m.sentiment))));
  t.ok(tones.has(1) && tones.has(-1), "headlines of both tones");

  for (const table of ["filings", "news", "alt_series"]) {
    const rows = await eventually(`rows in ${table}`, async () => {
      const r = rowsOf(await questdbSql(url, `SELECT count() n, count_distinct(symbol) symbols FROM ${table}`))[0];
      return Number(r?.n) > 0 ? r : undefined;
    });
    t.ok(Number(rows.symbols) >= 1, `${table} holds the demo's instruments`);
  }
  const [lot] = rowsOf(await questdbSql(url, "SELECT venue, symbol, source, series FROM alt_series WHERE series = 'car_count' LIMIT 1"));
  t.match(lot, { venue: "SIMX", symbol: /^SIM00[123]$/, source: "parking-lots" });
});
