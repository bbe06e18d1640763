import { isMainThread } from "node:worker_threads";
import { simulatorFeedKind } from "../../actors/feed/simulator/index.ts";
import { vendorFeedKind } from "../../actors/feed/connection/index.ts";
import { demoUniverse, instrumentKind } from "../../actors/instrument/index.ts";
import { orderKind } from "../../actors/order/index.ts";
import { executionAlgoKind } from "../../actors/execution-algo/index.ts";
import { orderListKind } from "../../actors/order-list/index.ts";
import { type BookConfig, defaultAnalyticsSettings, riskBookKind } from "../../actors/risk-book/index.ts";
import { strategyKind } from "../../actors/strategy/index.ts";
import { venueKind } from "../../actors/venue/connection/index.ts";
import { type Catalogue, openInstrumentBucket, watchCatalogue } from "../../infra/nats/index.ts";
import { DEFAULT_RECORDER_DURABLE, laneDurable } from "../../infra/questdb/lanes.ts";
import type { HostedKinds, KindsEnv, LocalDelivery } from "../runtime/kinds-module.ts";
import { type Deployable, followConfigKeySpaces } from "./kinds/deployments.ts";
import { DEMO_BOOK, demoBook, demoStrategies } from "./kinds/demo-trading.ts";
import { demoListings, demoVenueDepth, withDemoVenueCosts } from "./kinds/demo-venues.ts";
import { strategyDeployable, strategyDeployments } from "./kinds/strategy-deployments.ts";
import { bookDefinitions, bookDeployable } from "./kinds/book-definitions.ts";
import { exchangeKind } from "../../actors/exchange/index.ts";
import { type ModelServingConfig, modelKind, OnnxInference } from "../../actors/model/index.ts";
import { featuresKind } from "../../actors/features/index.ts";
import { factorModels } from "./kinds/committed-models.ts";
import { ModelDeployment } from "./kinds/model-deployment.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { regimeKind } from "../../actors/regime/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { trainingJobKind } from "../../actors/training-job/index.ts";
import { retrainScheduleKind } from "../../actors/retrain-schedule/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { RetrainRuns, TrainingProcesses } from "../research/index.ts";

/** The platform's kinds, and those deployed from a configuration (am.admin.deploy): strategies running a sample. */
export interface PlatformKinds extends HostedKinds {
  deployable: Deployable[];
}

/**
 * The actor kinds a node of the platform hosts, assembled from each actor folder. The node's main thread and each
 * cell call this with their own connection: it reads the instrument catalogue from KV and keeps it live with a
 * watch (the Map stays the same object, so kinds that close over it see instruments defined later), and follows
 * the deployed strategies. main.ts seeds KV before any cell starts.
 */
export async function createKinds({ nc, config, log }: KindsEnv): Promise<PlatformKinds> {
  const catalogueLog = log.child({ component: "instrument-catalogue" });
  const catalogue: Catalogue = new Map();
  const watch = await watchCatalogue(await openInstrumentBucket(nc), catalogue, {
    // every cell reads the same entries: the main thread warns once, cells only at debug
    onInvalid: (key, e) =>
      (isMainThread ? catalogueLog.warn : catalogueLog.debug)("instrument definition in KV refused", { key, error: e.message }),
    onChange: (c) => catalogueLog.debug("instrument catalogue changed", c.op === "put" ? { op: c.op, instrument: c.definition.id } : c),
    reader: { owner: config.nodeId, log: catalogueLog },
  });
  // strategies deployed at run time and books defined in KV, followed with one watch of the config bucket; the
  // demo book is put in `books` below, books defined in KV join (and leave) it live
  const books = new Map<string, BookConfig>();
  const { space: deployedSpace, view: deployments } = strategyDeployments();
  const { space: bookSpace, view: defined } = bookDefinitions(books, {
    log: log.child({ component: "book-definitions" }),
    builtIn: (id) => id === DEMO_BOOK,
  });
  const configWatch = await followConfigKeySpaces(nc, { owner: config.nodeId, log: log.child({ component: "deployments" }) }, [
    deployedSpace,
    bookSpace,
  ]);
  // Models: each model's promoted version in the registry is deployed (main.ts registers the committed ones), and
  // a later promotion or challenge is followed live; an inference answer goes to its actor in this thread, past NATS.
  const serving: ModelServingConfig = {
    provider: config.modelProvider,
    batching: {
      maxBatch: config.modelMaxBatch,
      maxWaitMs: config.modelMaxWaitMs,
      timeoutMs: config.modelTimeoutMs,
      loadTimeoutMs: config.modelLoadTimeoutMs,
    },
    intraOpThreads: config.modelThreads,
  };
  const modelLog = log.child({ component: "models" });
  // to the model's actor in this cell's tree where it runs here (an inference answer always does), else over NATS
  let local: LocalDelivery | undefined;
  const tellModel = (name: string, m: { type: string; [k: string]: unknown }) => {
    if (local?.tell("model", name, m)) return;
    const { data, headers } = encodeMessage(m);
    nc.publish(subjects.cmd("model", name), data, { headers });
  };
  // the port asks the deployment for files only when an actor loads, after createKinds returned
  const inference = new OnnxInference({
    modelOf: (n, v) => deployment.modelOf(n, v),
    deliver: tellModel,
    provider: serving.provider,
    intraOpThreads: serving.intraOpThreads,
    log: modelLog,
  });
  const deployment = await ModelDeployment.follow(nc, {
    owner: config.nodeId,
    log: modelLog,
    serves: (n) => inference.serves(n),
    tell: tellModel,
  });

  // The demo book and strategies trade the demo universe (as defined in KV now), whatever else KV lists.
  const demoMarket: Catalogue = new Map(
    demoUniverse(config.demoInstruments).flatMap((d) => {
      const live = catalogue.get(d.id);
      return live ? [[d.id, live] as const] : [];
    }),
  );
  const demo = new Map(demoStrategies(demoMarket, config.featuresBarType).map((s) => [s.id, { ...s, autoStart: true }]));
  const traded = [...new Set([...demo.values()].flatMap((s) => s.config.instruments.map((i) => i.id)))];
  // the demo's symbols on its other venues: the demo book holds them, so a routed parent's children pass its checks
  const listings = demoListings(config.demoInstruments).flatMap((d) => {
    const live = catalogue.get(d.id);
    return live ? [live] : [];
  });
  books.set(DEMO_BOOK, demoBook(demoMarket, listings));
  // the demo's three venues charge and delay as DEMO_VENUES says, unless AM_VENUE_COSTS names them
  const demoOn = config.demoInstruments > 0;
  const venueCosts = demoOn ? withDemoVenueCosts(config.venueCosts) : config.venueCosts;
  const strategyOf = (id: string) => demo.get(id) ?? deployments.get(id) ?? defined.strategy(id);
  // venues traded over FIX (AM_FIX_VENUES): their sessions run on the main thread, beside the cells; the exchange
  // of a venue whose acceptor is configured takes its commands from that acceptor
  const fixFronted = new Set(Object.entries(config.fixVenues).flatMap(([venue, v]) => (v.acceptor ? [venue] : [])));
  const fixLog = log.child({ component: "fix-venues" });
  // loaded only where a venue is configured: the FIX engine stays out of every other node and cell
  const fix =
    isMainThread && Object.keys(config.fixVenues).length > 0
      ? await (await import("./kinds/fix-venues.ts")).startFixVenues(nc, config.fixVenues, (subject, e) =>
          fixLog.warn("venue message refused", { subject, error: e instanceof Error ? e.message : String(e) }),
        )
      : undefined;

  // each training job's Python process runs on the node (or cell) hosting its actor; its winner is registered here
  let registry: Promise<ModelRegistry> | undefined;
  const registryOf = () => (registry ??= ModelRegistry.open(nc, { replicas: config.replicas }));
  const trainers = new TrainingProcesses(nc, { registry: registryOf });

  return {
    kinds: [
      simulatorFeedKind(catalogue),
      instrumentKind(catalogue),
      exchangeKind(catalogue, venueCosts, {}, demoOn ? demoVenueDepth() : {}, fixFronted),
      venueKind(),
      orderKind({
        venueInquiry: { firstMs: config.orderVenueAskFirstMs, maxMs: config.orderVenueAskMaxMs },
        venues: config.venueCapabilities,
      }),
      // one per parent order, spawned on demand (am.admin.spawn), then started with StartAlgo; a routed parent
      // (SOR) ranks venues by the fees and latency the exchanges are configured with
      executionAlgoKind({ venues: venueCosts }),
      // contingent order lists (OCO, OTO, bracket), sharded: activated by their SubmitOrderList; held by the venue
      // where its capabilities name the list's type, by the platform elsewhere
      orderListKind({ venues: config.venueCapabilities }),
      // the demo book marks with what the demo strategies trade, a defined book with all of its instruments
      riskBookKind({
        books,
        marked: (book) => (book === DEMO_BOOK ? traded : defined.marked(book)),
        analytics: { ...defaultAnalyticsSettings, everyMs: config.riskAnalyticsEveryMs, counterparties: config.riskCounterparties },
        // the recorder archives the books' journals into QuestDB (risk_events): what it holds leaves AM_EVT
        journalArchivedBy: laneDurable(DEFAULT_RECORDER_DURABLE, "riskBooks"),
      }),
      // demo strategies in code first, then those deployed at run time, then those of the books defined in KV
      strategyKind({ definitionOf: strategyOf, known: () => [...demo.keys(), ...deployments.ids(), ...defined.strategyIds()] }),
      // the vendor-feed kind where AM_FEEDS names any feed, none otherwise (the default demo stays as it is)
      ...(config.feeds.trim() ? [vendorFeedKind(config)] : []),
      modelKind({
        modelOf: (n) => deployment.modelOf(n),
        known: () => deployment.names(),
        challengeOf: (n) => deployment.challengeOf(n),
        batching: serving.batching,
        port: inference,
      }),
      // changepoint detection on the instruments the demo trades (startDemo places them); on 1s bars, the bars the
      // demo's trend strategy trades, so regimes show within a minute of a start
      regimeKind({ barType: "1s" }),
      // one per instrument, placed like strategies (the demo places one per demo instrument)
      featuresKind({ barType: config.featuresBarType, models: factorModels(deployment.deployed()) }),
      // one per training job (scripts/research.ts train, gRPC Models.StartTrainingJob), sharded like orders
      trainingJobKind({ node: config.nodeId, port: trainers }),
      // one per rolling retrain defined in KV (am.admin.configure section retrain): one runner each, cluster-wide
      retrainScheduleKind(new RetrainRuns(nc, registryOf)),
    ],
    deployable: [
      strategyDeployable(catalogue, (id) => defined.bookOfStrategy(id)),
      bookDeployable((i) => catalogue.get(i), {
        book: (id) => id === DEMO_BOOK,
        strategy: (id, book) => strategyOf(id) !== undefined && defined.bookOfStrategy(id) !== book,
      }),
    ],
    attach(l) {
      local = l;
    },
    async close() {
      // their consumers are deleted now, not left on the buckets for the server's inactive threshold
      trainers.close();
      await Promise.all([watch.stop(), configWatch.stop(), deployment.stop(), inference.close(), fix?.stop()]);
    },
  };
}
