import { z } from "zod";
import { counterpartyTermsSetting } from "./counterparty-terms.ts";
import { venueCapabilitiesSetting } from "./venue-capabilities.ts";
import { venueCostsSetting } from "./venue-costs.ts";
import { fixVenuesSetting } from "./fix-venues.ts";

/**
 * Every setting of a node, with its default and a line of documentation. The README's configuration table is
 * generated from this list (`npm run docs:config`), so the two never drift.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

export const settings = {
  host: { schema: z.string().min(1), default: "127.0.0.1", doc: "Address local servers bind to" },
  natsUrl: {
    schema: z
      .string()
      .regex(
        /^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/,
        "must look like nats://host:port (or tls://host:port), comma-separated for several",
      )
      .optional(),
    default: undefined,
    doc: "Connect to this NATS server instead of starting a local one (a cluster's servers comma-separated: nats://a:4222,nats://b:4222)",
  },
  natsPort: { schema: port, default: 4222, doc: "Client port of the local nats-server" },
  natsCredentialsDir: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "Directory of the NATS users' credentials, one <role>.json each (node, recorder, gateway, operator, reader, system; mode 0600, made by the set-up); default: <cacheDir>/nats-credentials",
  },
  natsTlsCa: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "PEM CA file NATS clients trust: when set, every process connects to NATS over TLS (scripts/dev-certs.sh makes one)",
  },
  natsTlsCert: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "PEM certificate file: the local nats-server requires TLS of every client (with natsTlsKey)",
  },
  natsTlsKey: { schema: z.string().min(1).optional(), default: undefined, doc: "PEM private key file of natsTlsCert" },
  natsMonitorPort: { schema: port, default: 8222, doc: "HTTP monitoring port of the local nats-server" },
  questdbUrl: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, "must look like http://host:port")
      .optional(),
    default: undefined,
    doc: "Use this QuestDB (HTTP endpoint) instead of starting a local one",
  },
  questdbHttpPort: { schema: port, default: 9000, doc: "QuestDB HTTP port: REST SQL, ILP over HTTP, web console" },
  questdbPgPort: { schema: port, default: 8812, doc: "QuestDB PostgreSQL wire port" },
  questdbHeapMb: {
    schema: z.coerce.number().int().min(256).max(65536),
    default: 512,
    doc: "QuestDB JVM heap (fixed: reserved and touched at start)",
  },
  varDir: { schema: z.string().min(1), default: "var", doc: "Data of local servers (NATS store, QuestDB)" },
  cacheDir: {
    schema: z.string().min(1),
    default: "~/.cache/alphamind",
    doc: "Per-user cache of installed tools (nats-server, QuestDB jar)",
  },
  nodeId: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _ only")
      .optional(),
    default: undefined,
    doc: "Name of this node in the cluster (default: host-pid)",
  },
  logLevel: { schema: z.enum(["debug", "info", "warn", "error"]), default: "info", doc: "Least severe log level written" },
  startInfra: { schema: bool, default: true, doc: "Start local nats-server and QuestDB as child processes" },
  cells: { schema: z.coerce.number().int().min(1).max(64), default: 2, doc: "Worker-thread cells hosting this node's actors" },
  cellHeapMb: {
    schema: z.coerce.number().int().min(64).max(65536),
    default: 256,
    doc: "Heap budget of each cell and of the recorder thread (V8 old generation): a thread over it ends alone and restarts",
  },
  cellYoungMb: {
    schema: z.coerce.number().int().min(8).max(4096),
    default: 192,
    doc: "Young generation (V8 semi-spaces) of each cell and of the recorder thread: short-lived garbage dies there instead of being copied and promoted",
  },
  archiveClosedOrdersAfterMs: {
    schema: z.coerce
      .number()
      .int()
      .refine((v) => v === 0 || (v >= 1_000 && v <= 7 * 24 * 3_600_000), "must be 0 (never) or 1000 to 604800000 ms"),
    default: 300_000,
    doc: "A closed order's journal leaves NATS this long after it closed, once QuestDB holds it (GetOrder and ListOrders read it there; its clientOrderId may be used again); 0 = never",
  },
  tickRetentionDays: {
    schema: z.coerce.number().int().min(0).max(3_650),
    default: 0,
    doc: "QuestDB keeps the tick tables (quotes, trades) this many days and drops older days whole (TTL); 0 = kept for good. The demo market writes about 17 GB of them a day; scripts/dev.sh keeps 2",
  },
  hangBudgetMs: {
    schema: z.coerce.number().int().min(50).max(60_000),
    default: 1000,
    doc: "A cell silent this long is ended by the watchdog",
  },
  kinds: {
    schema: z.string().min(1),
    default: "supervisors/node/kinds.ts",
    doc: "Module (path from the repository root) exporting createKinds(env), the actor kinds this node hosts",
  },
  demoInstruments: {
    schema: z.coerce.number().int().min(0).max(5000),
    default: 50,
    doc: "Instruments of the demo market (SIM001.SIMX…, stored in KV when absent; simulator feed and demo trading); 0 = no demo",
  },
  demoAltData: {
    schema: bool,
    default: true,
    doc: "The demo's alternative data: a local SEC EDGAR and Polygon news on free ports and a parking-lot file drop in var/alt-data (under AM_VAR_DIR), read by the edgar, news and files feeds for SIM001-SIM008 (added to AM_FEEDS unless it names one of them already); off without a demo market",
  },
  instrumentsFile: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "JSON file of instrument definitions stored in KV (am-instruments) at start, replacing those ids; a bad file stops start-up",
  },
  backtestSweepSlots: {
    schema: z.coerce.number().int().min(0).max(256),
    default: 1,
    doc: "Backtest sweep trials this node takes at once from the JetStream work queue (AM_SWEEP_TRIALS), each on a worker thread opened on first use; 0 = none",
  },
  gatewayPort: { schema: z.coerce.number().int().min(0).max(65535), default: 50051, doc: "gRPC gateway port; 0 = no gateway on this node" },
  gatewayJwtSecret: {
    schema: z.string().min(32, "must be at least 32 characters").optional(),
    default: undefined,
    doc: "HS256 secret of bearer tokens (gateway and console); default: generated once into <varDir>/jwt-secret",
  },
  gatewayTlsCert: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "PEM certificate file: the gateway serves TLS (with gatewayTlsKey)",
  },
  gatewayTlsKey: { schema: z.string().min(1).optional(), default: undefined, doc: "PEM private key file of gatewayTlsCert" },
  gatewayRatePerSecond: {
    schema: z.coerce.number().min(1).max(1_000_000),
    default: 2000,
    doc: "Requests per second allowed to one principal",
  },
  gatewayRateBurst: {
    schema: z.coerce.number().int().min(1).max(1_000_000),
    default: 4000,
    doc: "Burst of requests allowed to one principal",
  },
  consolePort: {
    schema: z.coerce.number().int().min(0).max(65535),
    default: 8090,
    doc: "Admin console (web page + WebSocket) port; 0 = no console on this node",
  },
  consoleTlsCert: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "PEM certificate file: the console serves HTTPS and WSS (with consoleTlsKey)",
  },
  consoleTlsKey: { schema: z.string().min(1).optional(), default: undefined, doc: "PEM private key file of consoleTlsCert" },
  metricsPort: {
    schema: z.coerce.number().int().min(0).max(65535),
    default: 9464,
    doc: "Prometheus endpoint of this node (/metrics: figures of its main thread, every cell and the recorder); 0 = off",
  },
  metricsHost: { schema: z.string().min(1), default: "127.0.0.1", doc: "Address the Prometheus endpoint binds to" },
  otlpTracesUrl: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, "must look like http://host:4318/v1/traces")
      .optional(),
    default: undefined,
    doc: "OTLP/HTTP traces endpoint (http://host:4318/v1/traces): spans of every thread exported there; unset = no spans recorded",
  },
  traceSampleRatio: {
    schema: z.coerce.number().min(0).max(1),
    default: 1,
    doc: "Share of new traces recorded when AM_OTLP_TRACES_URL is set (a continued trace keeps its sender's choice)",
  },
  replicas: {
    schema: z.coerce.number().int().min(1).max(5),
    default: 1,
    doc: "JetStream replicas of streams and buckets (3 in a cluster)",
  },
  feeds: {
    schema: z
      .string()
      .regex(
        /^$|^(polygon|alpha-vantage|binance|edgar|news|files)(,(polygon|alpha-vantage|binance|edgar|news|files))*$/,
        "a comma-separated list of polygon, alpha-vantage, binance, edgar, news, files",
      ),
    default: "",
    doc: "Vendor feeds this node runs as feed actors (vendor-feed kind), comma-separated: polygon, alpha-vantage, binance, and the alternative data feeds edgar (SEC filings), news (Polygon news with sentiment), files (a drop folder); empty = none. A feed named on several nodes opens one vendor session, on the node its actor runs on",
  },
  polygonApiKey: {
    schema: z.string().min(1).optional(),
    default: undefined,
    secret: true,
    doc: "Polygon.io API key (secret: never logged)",
  },
  polygonRestUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://api.polygon.io",
    doc: "Polygon REST base URL (aggregates, and backfill after a drop)",
  },
  polygonWsUrl: {
    schema: z.string().regex(/^wss?:\/\/\S+$/, "must look like wss://host/path"),
    default: "wss://socket.polygon.io/stocks",
    doc: "Polygon stocks WebSocket URL",
  },
  polygonSymbols: {
    schema: z.string(),
    default: "",
    doc: "Polygon tickers and the instruments they feed: AAPL=AAPL.XNAS,MSFT (no = means TICKER.XNAS); raw input goes to am.feed.polygon.<venue>.<symbol>",
  },
  polygonChannels: {
    schema: z.string().regex(/^(T|Q|AM)(,(T|Q|AM))*$/, "a comma-separated list of T, Q, AM"),
    default: "T,Q",
    doc: "Polygon stream channels per ticker: T trades, Q quotes, AM minute bars (a bar reaches instruments as one print at its close)",
  },
  alphaVantageApiKey: {
    schema: z.string().min(1).optional(),
    default: undefined,
    secret: true,
    doc: "Alpha Vantage API key (secret: never logged)",
  },
  alphaVantageUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://www.alphavantage.co",
    doc: "Alpha Vantage base URL",
  },
  alphaVantageSymbols: {
    schema: z.string(),
    default: "",
    doc: "Alpha Vantage symbols and their instruments: IBM=IBM.XNYS,MSFT (no = means SYMBOL.XNAS)",
  },
  alphaVantageSeries: {
    schema: z.enum(["1min", "5min", "15min", "30min", "60min", "daily"]),
    default: "5min",
    doc: "Alpha Vantage series polled: an intraday interval (TIME_SERIES_INTRADAY) or daily (TIME_SERIES_DAILY)",
  },
  alphaVantagePollMs: {
    schema: z.coerce.number().int().min(100).max(86_400_000),
    default: 60_000,
    doc: "Time between Alpha Vantage polls (the free tier allows a few calls a minute)",
  },
  binanceRestUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://api.binance.com",
    doc: "Binance REST base URL (depth snapshots)",
  },
  binanceWsUrl: {
    schema: z.string().regex(/^wss?:\/\/\S+$/, "must look like wss://host:port"),
    default: "wss://stream.binance.com:9443",
    doc: "Binance WebSocket base URL (diff depth streams)",
  },
  binanceSymbols: {
    schema: z.string(),
    default: "",
    doc: "Binance symbols and their instruments: BTCUSDT=BTCUSDT.BINANCE,ETHUSDT (no = means SYMBOL.BINANCE)",
  },
  edgarUserAgent: {
    schema: z
      .string()
      .regex(/^\S.*\s[^\s@]+@[^\s@]+\.[^\s@]+/, "must name the company and a contact address: Acme Research admin@acme.com")
      .optional(),
    default: undefined,
    doc: "User-Agent sent to SEC EDGAR, naming your company and a contact address (EDGAR refuses undeclared tools); required by the edgar feed",
  },
  edgarCompanies: {
    schema: z.string(),
    default: "",
    doc: "SEC EDGAR companies and the instruments their 8-K filings concern: 320193=AAPL.XNAS,789019=MSFT.XNAS (a CIK may repeat for several instruments); filings go to am.md.filing.<venue>.<symbol>",
  },
  edgarDataUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://data.sec.gov",
    doc: "SEC EDGAR submissions API base URL (/submissions/CIK##########.json)",
  },
  edgarWwwUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://www.sec.gov",
    doc: "SEC EDGAR site base URL (the current-filings Atom feed, /cgi-bin/browse-edgar?action=getcurrent)",
  },
  edgarPollMs: {
    schema: z.coerce.number().int().min(1_000).max(86_400_000),
    default: 60_000,
    doc: "Time between polls of EDGAR's current 8-K filings",
  },
  edgarRequestsPerSecond: {
    schema: z.coerce.number().min(0.1).max(10),
    default: 10,
    doc: "Requests a second to SEC EDGAR at most (EDGAR's fair-access limit is 10)",
  },
  newsUrl: {
    schema: z.string().regex(/^https?:\/\/\S+$/, "must look like https://host"),
    default: "https://api.polygon.io",
    doc: "Base URL of the news feed: Polygon's /v2/reference/news, with AM_POLYGON_API_KEY",
  },
  newsSymbols: {
    schema: z.string(),
    default: "",
    doc: "Tickers whose headlines the news feed reads and their instruments: AAPL=AAPL.XNAS,MSFT (no = means TICKER.XNAS); scored headlines go to am.md.news.<venue>.<symbol>",
  },
  newsPollMs: {
    schema: z.coerce.number().int().min(1_000).max(86_400_000),
    default: 60_000,
    doc: "Time between news polls",
  },
  fileFeedDir: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "Folder the files feed reads dropped .csv and .jsonl files from (moved to done/ or rejected/ once read); required by the files feed",
  },
  fileFeedName: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "1-64 of a-z 0-9 _ - (it names the series' source)"),
    default: "files",
    doc: "Name of the files feed's data (the source column of alt_series, e.g. parking-lots)",
  },
  fileFeedSchema: {
    schema: z.string(),
    default: "",
    doc: 'Schema of the dropped files as JSON: {"time":"date","instrument":"ticker","values":["car_count"]}; values go to am.md.series.<venue>.<symbol>',
  },
  fileFeedSymbols: {
    schema: z.string(),
    default: "",
    doc: "Names in the files' instrument column and their instruments: WMT=WMT.XNYS (a name not listed must be SYMBOL.VENUE itself)",
  },
  fileFeedPollMs: {
    schema: z.coerce.number().int().min(50).max(3_600_000),
    default: 5_000,
    doc: "Time between scans of the files feed's folder",
  },
  feedBackoffBaseMs: {
    schema: z.coerce.number().int().min(1).max(600_000),
    default: 500,
    doc: "Vendor feed reconnects: first backoff step (doubles per failure, with jitter)",
  },
  feedBackoffMaxMs: {
    schema: z.coerce.number().int().min(1).max(3_600_000),
    default: 30_000,
    doc: "Vendor feed reconnects: largest backoff step",
  },
  feedBreakerThreshold: {
    schema: z.coerce.number().int().min(1).max(1000),
    default: 5,
    doc: "Vendor feed consecutive failures that open its circuit breaker",
  },
  feedBreakerCooldownMs: {
    schema: z.coerce.number().int().min(1).max(3_600_000),
    default: 60_000,
    doc: "How long an open vendor feed circuit waits before one half-open try",
  },
  modelProvider: {
    schema: z.enum(["cpu", "cuda"]),
    default: "cpu",
    doc: "Execution provider of model actors; cuda falls back to cpu, with a warning, where it does not load",
  },
  modelMaxBatch: {
    schema: z.coerce.number().int().min(1).max(4096),
    default: 64,
    doc: "Most requests a model actor runs as one inference",
  },
  modelMaxWaitMs: { schema: z.coerce.number().min(0).max(1000), default: 1, doc: "How long a batch's first request waits for others" },
  modelTimeoutMs: {
    schema: z.coerce.number().int().min(1).max(600_000),
    default: 2000,
    doc: "An inference not answered within this fails its callers and restarts the model actor",
  },
  modelLoadTimeoutMs: {
    schema: z.coerce.number().int().min(1).max(600_000),
    default: 60_000,
    doc: "A model session not loaded within this fails the waiting callers and restarts the model actor",
  },
  modelThreads: { schema: z.coerce.number().int().min(1).max(256), default: 1, doc: "onnxruntime threads per model session" },
  featuresBarType: {
    schema: z.string().regex(/^\d+(ms|s|m|h|d|t|v)$/, "a bar type like 1m"),
    default: "1m",
    doc: "Bars the feature actors compute the factor set from and the model strategies trade on (the committed models were trained on 1m bars; scripts/dev.sh uses 1s so the demo forecasts within a minute)",
  },
  riskAnalyticsEveryMs: {
    schema: z.coerce.number().int().min(0).max(86_400_000),
    default: 300_000,
    doc: "Every risk book publishes its analytics (VaR/ES, backtest, stress, exposure, performance) on am.report.risk-book.<book>.RiskAnalytics this often; 0 = only on request",
  },
  riskCounterparties: {
    schema: counterpartyTermsSetting,
    default: "",
    doc: 'Each venue\'s credit and CSA for counterparty exposure and CVA, JSON by venue: {"SIMX":{"credit":{"spread":0.02,"recoveryRate":0.4},"collateral":{"threshold":1000000,"minimumTransfer":50000,"independentAmount":0,"marginPeriodDays":10}}}; a field left out = the default (100 bp, 40 %, 3 %; no CSA)',
  },
  orderVenueAskFirstMs: {
    schema: z.coerce.number().int().min(10).max(600_000),
    default: 2_000,
    doc: "An order the venue owes an answer (new, cancel, replace) asks it for the order's status after this",
  },
  orderVenueAskMaxMs: {
    schema: z.coerce.number().int().min(10).max(3_600_000),
    default: 30_000,
    doc: "The wait between an order's status asks doubles up to this while the venue owes an answer",
  },
  venueCosts: {
    schema: venueCostsSetting,
    default: "",
    doc: 'Fees and latency of each simulated venue, JSON by venue: {"SIMX":{"makerFeeBps":-0.25,"takerFeeBps":1.5,"latencyUs":200,"jitterUs":50}}; empty = none, but with a demo market its venues SIMX, SIMY and SIMZ keep their demo terms unless named',
  },
  venueCapabilities: {
    schema: venueCapabilitiesSetting,
    default: "",
    doc: 'What each venue accepts natively, JSON by venue: {"SIMX":{"orderTypes":["MARKET","LIMIT"],"timesInForce":["DAY","GTC","IOC","FOK"],"postOnly":true,"reduceOnly":true,"lists":["OCO","OTO","BRACKET"]}}; orders emulate stops and GTD where a venue lacks them, and the platform holds the order lists a venue does not name in `lists`; a field or venue left out = everything, except `lists` = none',
  },
  fixVenues: {
    schema: fixVenuesSetting,
    default: "",
    doc: 'Venues traded over FIX 4.4 instead of NATS, JSON by venue: {"SIMX":{"host":"127.0.0.1","port":9878,"senderCompId":"ALPHAMIND","targetCompId":"SIMX","heartbeatSecs":30,"resetSeqNumOnLogon":false,"acceptor":true}}; `acceptor` also runs the FIX acceptor in front of the simulated exchange; set it on one node only; empty = none',
  },
} as const;

export type SettingName = keyof typeof settings;
/** The loaded configuration; nodeId always has a value after loading (host-pid by default). */
export type Config = { [K in SettingName]: z.output<(typeof settings)[K]["schema"]> } & { nodeId: string };
