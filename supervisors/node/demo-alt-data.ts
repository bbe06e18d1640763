/**
 * The demo's alternative data, so a user of the run command sees filings, scored headlines and a satellite series
 * arrive: a local SEC EDGAR and a local Polygon news on free ports of 127.0.0.1, each fed a seeded stream about the
 * demo's first companies (an 8-K every ~45 s, a headline every ~8 s), and a parking-lot count per company dropped
 * into <varDir>/alt-data/parking-lots every minute. The node's edgar, news and files feeds are pointed at them,
 * exactly as at the real providers: the same clients, wire formats and EDGAR fair-access rules.
 */
import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { Config } from "../../infra/config/index.ts";
import { streamFilings } from "../../infra/feeds/edgar/filing-stream.ts";
import { LocalEdgar } from "../../infra/feeds/edgar/local-provider.ts";
import { dropParkingLotCounts, PARKING_LOT_SCHEMA } from "../../infra/feeds/file-drop/parking-lot-drop.ts";
import { streamHeadlines } from "../../infra/feeds/news/headline-stream.ts";
import { LocalPolygonNews } from "../../infra/feeds/news/local-provider.ts";
import type { SeededSchedule } from "../../infra/feeds/seeded-schedule.ts";
import { repoRoot } from "../../infra/local/index.ts";
import type { Logger } from "../../infra/telemetry/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";
import { demoUniverse } from "../../actors/instrument/index.ts";

const ALT_FEEDS = ["edgar", "news", "files"] as const;
/** the demo's companies, in the order of its instruments (SIM001 first); the CIKs are outside EDGAR's range */
const COMPANIES = [
  "Northwind Semiconductor Inc.",
  "Harbor Point Financial Corp.",
  "Red Mesa Energy Co.",
  "Clearwater Therapeutics Inc.",
  "Ironbridge Industries Inc.",
  "Maple Street Brands Inc.",
  "Tri-County Power & Light Co.",
  "Granite Ridge Materials Corp.",
];
const SEED = 42;
const USER_AGENT = "AlphaMind Demo demo@alphamind.example";
const NEWS_KEY = "demo-news-key";

/** How often the providers publish and the feeds read; the demo's defaults keep its idle cost small. */
export interface DemoAltDataPace {
  filingEveryMs: number;
  headlineEveryMs: number;
  seriesEveryMs: number;
  edgarPollMs: number;
  newsPollMs: number;
  filePollMs: number;
  /** how far back each stream's data reaches at start, so the tables are not empty at first */
  historyMs: number;
}

const DEMO_PACE: DemoAltDataPace = {
  filingEveryMs: 45_000,
  headlineEveryMs: 8_000,
  seriesEveryMs: 60_000,
  edgarPollMs: 15_000,
  newsPollMs: 15_000,
  filePollMs: 10_000,
  historyMs: 30 * 60_000,
};

export interface DemoAltData {
  /** the configuration with the three feeds added and pointed at the local providers */
  config: Config;
  edgarUrl: string;
  newsUrl: string;
  dropDir: string;
  /** SIM001.SIMX ... : the instruments the data concern */
  instruments: string[];
  stop(): Promise<void>;
}

/** Why the demo's alternative data does not run with this configuration; undefined when it does. */
export function demoAltDataOff(config: Config): string | undefined {
  if (!config.demoAltData) return "AM_DEMO_ALT_DATA is off";
  if (config.demoInstruments === 0) return "no demo market (AM_DEMO_INSTRUMENTS=0)";
  const named = config.feeds.split(",").filter((f) => (ALT_FEEDS as readonly string[]).includes(f.trim()));
  if (named.length) return `AM_FEEDS names ${named.join(",")}: the configured alternative data runs instead`;
  return undefined;
}

/** Starts the providers and their streams; the returned config runs the three feeds against them. */
export async function startDemoAltData(config: Config, o: { log: Logger; pace?: Partial<DemoAltDataPace> }): Promise<DemoAltData> {
  const pace = { ...DEMO_PACE, ...o.pace };
  const companies = demoUniverse(Math.min(config.demoInstruments, COMPANIES.length)).map((d, i) => ({
    instrument: d.id,
    ticker: d.symbol,
    cik: String(9_900_001 + i),
    name: COMPANIES[i]!,
  }));
  if (companies.length === 0) throw new RangeError("the demo's alternative data needs demo instruments (AM_DEMO_INSTRUMENTS > 0)");
  const varDir = isAbsolute(config.varDir) ? config.varDir : join(repoRoot, config.varDir);
  const dropDir = join(varDir, "alt-data", "parking-lots");
  // there before the files feed first reads it, which the history's first file may not be
  await mkdir(dropDir, { recursive: true });
  // a news key the user set for Polygon is the one the news feed sends: the local news takes it
  const newsKey = config.polygonApiKey ?? NEWS_KEY;
  const edgar = await new LocalEdgar().listen(0);
  const news = await new LocalPolygonNews(newsKey).listen(0).catch(async (e: unknown) => {
    await edgar.close();
    throw e;
  });
  const onError = (what: string) => (e: unknown) => o.log.warn(`demo ${what} not published`, { error: errorMessage(e) });
  const streams: SeededSchedule[] = [
    streamFilings(edgar, { companies, seed: SEED, everyMs: pace.filingEveryMs, historyMs: pace.historyMs, onError: onError("filing") }),
    streamHeadlines(news, {
      companies,
      seed: SEED,
      everyMs: pace.headlineEveryMs,
      historyMs: pace.historyMs,
      onError: onError("headline"),
    }),
    dropParkingLotCounts({
      dir: dropDir,
      tickers: companies.map((c) => c.ticker),
      seed: SEED,
      everyMs: pace.seriesEveryMs,
      historyMs: pace.historyMs,
      onError: onError("parking-lot file"),
    }),
  ];
  const map = (key: "cik" | "ticker") => companies.map((c) => `${c[key]}=${c.instrument}`).join(",");
  return {
    config: {
      ...config,
      feeds: [config.feeds.trim(), ...ALT_FEEDS].filter(Boolean).join(","),
      edgarUserAgent: USER_AGENT,
      edgarCompanies: map("cik"),
      edgarDataUrl: edgar.baseUrl,
      edgarWwwUrl: edgar.baseUrl,
      edgarPollMs: pace.edgarPollMs,
      polygonApiKey: newsKey,
      newsUrl: news.baseUrl,
      newsSymbols: map("ticker"),
      newsPollMs: pace.newsPollMs,
      fileFeedDir: dropDir,
      fileFeedName: "parking-lots",
      fileFeedSchema: JSON.stringify(PARKING_LOT_SCHEMA),
      fileFeedSymbols: map("ticker"),
      fileFeedPollMs: pace.filePollMs,
    },
    edgarUrl: edgar.baseUrl,
    newsUrl: news.baseUrl,
    dropDir,
    instruments: companies.map((c) => c.instrument),
    stop: async () => {
      for (const s of streams) s.stop();
      await Promise.all([edgar.close(), news.close()]);
    },
  };
}
