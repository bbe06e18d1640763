/**
 * The node process, the composition root: the entry point of `npm start` and of the README's run command. It
 * starts the local servers (unless told to use existing ones), declares streams, buckets and tables, runs the
 * recorder, the actor node (cells, placement, admin API), the gRPC gateway and the admin console, declares the
 * demo, and stops all of it in reverse order on SIGINT or SIGTERM.
 */
import { type Config, ConfigError, loadConfig, resolveJwtSecret } from "../../infra/config/index.ts";
import { startGateway } from "../../gateway/index.ts";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../infra/local/index.ts";
import type { KV } from "@nats-io/kv";
import { demoUniverse } from "../../actors/instrument/index.ts";
import { DEMO_VENUES, demoListings } from "./kinds/demo-venues.ts";
import {
  type Catalogue,
  connectNats,
  declareResources,
  natsClientOf,
  openInstrumentBucket,
  putDefinitions,
  readDefinitionsFile,
  watchCatalogue,
} from "../../infra/nats/index.ts";
import { declareTables, impactHistoryOf, questdbBarHistory, volumeProfileOf } from "../../infra/questdb/index.ts";
import {
  createLogger,
  type Logger,
  serveMetrics,
  startTraceExport,
  stopThreadTelemetry,
  telemetryOf,
} from "../../infra/telemetry/index.ts";
import { ActorNode } from "./actor-node.ts";
import { startDemo } from "./demo.ts";
import { demoAltDataOff, startDemoAltData } from "./demo-alt-data.ts";
import { registerCommittedModels } from "./kinds/committed-models.ts";
import { superviseLocalServers } from "./local-servers.ts";
import { logNatsLink } from "./nats-link.ts";
import { startRecorderThread } from "./recorder-thread.ts";
import { startVendorFeeds, vendorFeedsFrom } from "./feed-adapters.ts";
import { consoleOptionsFrom, startConsole } from "../console/index.ts";
import { BacktestRuns, declareSweepQueue, SweepWorker } from "../backtest/index.ts";
import { TrainingJobs } from "../research/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { errorChain, errorMessage } from "../../actors/contract/index.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`alphamind: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ level: config.logLevel, base: { node: config.nodeId } });
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  let stopping = false;
  const shutdown = async (why: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info("node stopping", { why });
    for (const s of stack.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        log.warn(`stopping ${s.name} failed`, { error: errorMessage(e) });
      }
    }
    log.info("node stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

  const edges: { console?: string; grpc?: string; metrics?: string } = {};
  try {
    // First in, so last out: the spans and figures of everything stopped after it are still exported.
    const telemetry = telemetryOf(config);
    startTraceExport(telemetry, config.nodeId);
    stack.push({ name: "telemetry", stop: stopThreadTelemetry });
    if (telemetry.otlpTracesUrl)
      log.info("traces exported by OTLP", { url: telemetry.otlpTracesUrl, sampleRatio: telemetry.traceSampleRatio });
    if (telemetry.metrics) {
      const metrics = await serveMetrics({ host: config.metricsHost, port: config.metricsPort, node: config.nodeId });
      stack.push({ name: "metrics endpoint", stop: () => metrics.stop() });
      edges.metrics = metrics.url;
    }
    // before the feeds are read from the configuration: the demo's alternative data adds its three
    const altDataOff = demoAltDataOff(config);
    if (altDataOff === undefined) {
      const alt = await startDemoAltData(config, { log: log.child({ component: "demo-alt-data" }) });
      stack.push({ name: "demo alternative data", stop: () => alt.stop() });
      config = alt.config;
      log.info("demo alternative data served", {
        edgar: alt.edgarUrl,
        news: alt.newsUrl,
        drop: alt.dropDir,
        instruments: alt.instruments.join(","),
        subjects: "am.md.filing.>, am.md.news.>, am.md.series.>",
        tables: "filings, news, alt_series",
      });
    } else if (config.demoInstruments > 0) log.info("demo alternative data off", { why: altDataOff });
    const feeds = vendorFeedsFrom(config);
    let natsUrl = config.natsUrl;
    let questdbUrl = config.questdbUrl;
    let natsMonitorUrl: string | undefined;
    let questdbReady = Promise.resolve();
    let soleServer = false;
    if (config.startInfra && (!natsUrl || !questdbUrl)) {
      const infra = await superviseLocalServers(config, log, (why) => {
        log.error("node stopping: its local servers cannot run", { why });
        void shutdown(why, 1);
      });
      stack.push({ name: "local servers", stop: () => infra.stop() });
      soleServer = natsUrl === undefined;
      natsUrl ??= infra.natsUrl;
      natsMonitorUrl = infra.natsMonitorUrl;
      questdbUrl ??= infra.questdbUrl;
      // awaited even beside a QuestDB of AM_QUESTDB_URL: a local one that fails to start fails the node's start
      questdbReady = infra.questdbReady;
    }
    if (!natsUrl) throw new Error("no NATS server: set AM_START_INFRA=true or AM_NATS_URL");
    const natsClient = natsClientOf(config);
    const nc = await connectNats(natsUrl, `alphamind-node-${config.nodeId}`, { ...natsClient, role: "node" });
    logNatsLink(nc, natsUrl, log);
    // A server that went away first (killed by hand) leaves a connection that cannot drain: closing it is enough.
    stack.push({ name: "NATS connection", stop: () => nc.drain().catch(() => nc.close()) });
    const declared = await declareResources(nc, { replicas: config.replicas });
    log.info("JetStream resources declared", { created: declared.created.length, existing: declared.existing.length });
    // Trading needs NATS alone: the recorder starts once QuestDB answers (a local one is still starting, a JVM) and
    // reads the durable consumers from where they stand, so the actors start meanwhile. "node up" waits for it.
    if (!questdbUrl) log.warn("no QuestDB configured (AM_QUESTDB_URL): ticks and fills are not recorded by this node");
    const recording = questdbUrl
      ? startRecording(natsUrl, questdbUrl, questdbReady, config, log).then((recorder) => {
          stack.push({ name: "recorder", stop: () => recorder.stop() });
        })
      : Promise.resolve();
    // a failure before the start below awaits it is still the start's failure, not an unhandled rejection
    recording.catch(() => {});
    // The catalogue is in KV before the kinds (main thread or cell) read it.
    const instruments = await openInstrumentBucket(nc);
    if (config.demoInstruments > 0) {
      const demo = [...demoUniverse(config.demoInstruments), ...demoListings(config.demoInstruments)];
      const seeded = await putDefinitions(instruments, demo, { onlyAbsent: true });
      log.info("demo instruments in KV", { added: seeded.written.length, alreadyDefined: seeded.kept.length });
    }
    if (config.instrumentsFile) {
      const loaded = await putDefinitions(instruments, readDefinitionsFile(config.instrumentsFile));
      log.info("instrument definitions loaded", {
        file: config.instrumentsFile,
        written: loaded.written.length,
        unchanged: loaded.kept.length,
      });
    }
    // The repository's models are in the registry before the kinds deploy its promoted versions.
    await registerCommittedModels(nc, log.child({ component: "models" }), config.replicas).catch((e: unknown) =>
      log.warn("committed models not registered: the node deploys what the registry already holds", { error: errorMessage(e) }),
    );
    // The gRPC edge starts before the node takes any lease: loading its protos and services is synchronous work on
    // the main thread, and a main thread that stalls past a lease's TTL loses the node's leases (its cells hold their
    // actors meanwhile, then release them): a drill's restarted node lost every lease so while its gateway started.
    let backtests: BacktestRuns | undefined;
    let training: TrainingJobs | undefined;
    if (config.gatewayPort > 0) {
      // Backtests submitted over gRPC run on worker threads of this node, one at a time; data files are relative to
      // the node's working directory
      backtests = new BacktestRuns({
        baseDir: process.cwd(),
        ...(questdbUrl ? { questdbUrl } : {}),
        onStoreFailed: (runId, e) => log.warn("backtest report not stored in QuestDB", { runId, error: errorMessage(e) }),
      });
      const runs = backtests;
      stack.push({ name: "backtests", stop: () => runs.close() });
      // Training jobs started over gRPC are actors of the kind training-job, placed by the runtime like any other
      training = await TrainingJobs.open(nc, await ModelRegistry.open(nc, { replicas: config.replicas }));
      // The gateway connects as its own user: it may send commands and admin requests, never write limits in KV.
      const gatewayNc = await connectNats(natsUrl, `alphamind-gateway-${config.nodeId}`, { ...natsClient, role: "gateway" });
      stack.push({ name: "gateway's NATS connection", stop: () => gatewayNc.drain().catch(() => gatewayNc.close()) });
      const gateway = await startGateway({
        backtests,
        training,
        nc: gatewayNc,
        host: config.host,
        port: config.gatewayPort,
        jwtSecret: resolveJwtSecret(config),
        // VWAP parents started without a profile take the recorded volume curve
        ...(questdbUrl
          ? {
              history: {
                ...questdbBarHistory(questdbUrl),
                volumeProfile: (q) => volumeProfileOf(questdbUrl, q),
                impactHistory: (q) => impactHistoryOf(questdbUrl, q),
              },
            }
          : {}),
        rateLimit: { ratePerSecond: config.gatewayRatePerSecond, burst: config.gatewayRateBurst },
        ...(config.gatewayTlsCert && config.gatewayTlsKey
          ? { tls: { certFile: config.gatewayTlsCert, keyFile: config.gatewayTlsKey } }
          : {}),
      });
      stack.push({ name: "gRPC gateway", stop: () => gateway.stop() });
      log.info("gRPC gateway listening", { address: `${config.host}:${gateway.port}`, tls: Boolean(config.gatewayTlsCert) });
      edges.grpc = `${config.host}:${gateway.port}`;
    }
    const node = new ActorNode({
      nc,
      natsUrl,
      node: config.nodeId,
      kindsModule: pathToFileURL(isAbsolute(config.kinds) ? config.kinds : join(repoRoot, config.kinds)).href,
      config,
      cells: config.cells,
      hangBudgetMs: config.hangBudgetMs,
      log,
      logLevel: config.logLevel,
      soleServer,
    });
    await node.start();
    stack.push({ name: "actor node", stop: () => node.stop() });
    const stopInstruments = await runInstrumentActors(node, instruments, config.nodeId, log);
    stack.push({ name: "instrument actors", stop: async () => stopInstruments() });
    if (feeds.length > 0) {
      const vendorFeeds = await startVendorFeeds({
        nc,
        feeds,
        log: log.child({ component: "feeds" }),
        ensure: (r) => node.ensure(r),
        hosts: (r) => node.hosts(r),
      });
      stack.push({ name: "vendor feeds", stop: () => vendorFeeds.stop() });
      log.info("vendor feeds started", { feeds: feeds.map((f) => f.spec.feed).join(","), raw: "am.feed.<feed>.>" });
    }
    if (config.backtestSweepSlots > 0) {
      // sweeps submitted anywhere (scripts/backtest.ts --sweep --queue) spread over every node's slots
      await declareSweepQueue(nc, { replicas: config.replicas });
      const sweeps = await SweepWorker.start(nc, {
        slots: config.backtestSweepSlots,
        name: config.nodeId,
        onError: (e) => log.warn("backtest sweep slot failed: its trial goes back to the queue", { error: errorMessage(e) }),
      });
      stack.push({ name: "backtest sweep worker", stop: () => sweeps.stop() });
    }
    const cc = consoleOptionsFrom(config, {
      nc,
      ...(backtests ? { backtests } : {}),
      ...(questdbUrl ? { questdbUrl } : {}),
      ...(natsMonitorUrl ? { natsMonitorUrl } : {}),
      log,
    });
    if ("options" in cc) {
      const adminConsole = await startConsole(cc.options);
      stack.push({ name: "admin console", stop: () => adminConsole.stop() });
      edges.console = adminConsole.url;
    } else log.info("admin console off", { why: cc.off });
    if (config.demoInstruments > 0) {
      const stopDemo = await startDemo(node, config.demoInstruments, { nc, log });
      stack.push({ name: "demo", stop: async () => stopDemo() });
      log.info("demo market started", {
        instruments: config.demoInstruments,
        feed: "am.feed.sim.>",
        marketData: "am.md.>",
        trading: `exchange and venue ${DEMO_VENUES.map((v) => v.venue).join(",")}, risk-book/demo, strategies`,
      });
    }
    await recording;
    log.info("node up", {
      nats: natsUrl,
      ...edges,
      // QuestDB redirects / to /index.html in a way a plain curl never completes: print the page itself.
      ...(questdbUrl ? { questdbWebConsole: `${questdbUrl.replace(/\/$/, "")}/index.html` } : {}),
      token: "node --import tsx scripts/mint-token.ts --role operator --sub you",
    });
  } catch (e) {
    // with its causes: a supervisor says which child failed, its cause says why
    log.error("node failed to start", { error: errorChain(e) });
    await shutdown("start-up failed", 1);
  }
}

/** Declares the tables once QuestDB answers, then runs the recorder on the durable consumers every node shares. */
async function startRecording(natsUrl: string, questdbUrl: string, ready: Promise<void>, config: Config, log: Logger) {
  await ready;
  const qdb = await declareTables(questdbUrl, { tickRetentionDays: config.tickRetentionDays });
  log.info("QuestDB tables declared", { tables: qdb.tables.join(","), tickRetentionDays: config.tickRetentionDays });
  return startRecorderThread({
    natsUrl,
    questdbUrl,
    node: config.nodeId,
    logLevel: config.logLevel,
    heapMb: config.cellHeapMb,
    youngMb: config.cellYoungMb,
    archiveClosedOrdersAfterMs: config.archiveClosedOrdersAfterMs,
    telemetry: telemetryOf(config),
    log,
  });
}

/**
 * One instrument actor per definition in KV, also for definitions added while the node runs (placement picks the
 * node; ensure is idempotent, so every node doing this is harmless). A changed or deleted definition reaches a
 * running actor only when it restarts. A node whose kinds have no instrument kind (test kinds) starts none.
 */
async function runInstrumentActors(node: ActorNode, kv: KV, owner: string, log: Logger): Promise<() => Promise<void>> {
  const catalogue: Catalogue = new Map();
  let hosts = true;
  const ensure = async (id: string): Promise<void> => {
    if (!hosts) return;
    try {
      await node.ensure({ kind: "instrument", id });
    } catch (e) {
      if (/unknown actor kind/.test(errorMessage(e))) {
        hosts = false;
        log.info("no instrument kind on this node: instrument definitions start no actors");
      } else log.warn("instrument actor not started", { instrument: id, error: errorMessage(e) });
    }
  };
  const watch = await watchCatalogue(kv, catalogue, {
    onInvalid: (key, e) => log.warn("instrument definition in KV refused", { key, error: e.message }),
    onChange: (c) => {
      if (c.op === "put") {
        log.info("instrument defined", { instrument: c.definition.id });
        void ensure(c.definition.id);
      } else log.info("instrument definition deleted (a running actor keeps its definition until it restarts)", { instrument: c.id });
    },
    reader: { owner, log },
  });
  for (const id of catalogue.keys()) await ensure(id);
  log.info("instrument actors declared", { instruments: catalogue.size });
  return () => watch.stop();
}

void main();
