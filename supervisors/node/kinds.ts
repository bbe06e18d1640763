import { isMainThread } from "node:worker_threads";
import { exchangeKind } from "../../actors/exchange/index.ts";
import { demoUniverse } from "../../actors/instrument/index.ts";
import { loadConfig } from "../../infra/config/index.ts";
import { type Catalogue, connectNats, openInstrumentBucket, watchCatalogue } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import type { ActorKind } from "../runtime/kind.ts";
import { kindsNatsUrl } from "./kinds/kinds-nats.ts";
import { instrumentKind, simulatorFeedKind } from "./kinds/market-data.ts";
import { strategyDeployable } from "./kinds/strategy-deployments.ts";
import { orderKind, riskBookKind, strategyKind, venueKind } from "./kinds/trading.ts";
import { vendorFeedKinds } from "./kinds/vendor-feed.ts";

/**
 * The actor kinds a node of the platform hosts. Cells load this module by path (AM_KINDS), so each cell (and the
 * node's main thread) reads the instrument catalogue from KV here and keeps it live with a watch: the Map stays the
 * same object, so kinds that close over it see instruments defined later. main.ts seeds KV before any cell starts
 * and passes the NATS url it uses in AM_NATS_URL.
 */
const config = loadConfig();
const log = createLogger({ level: config.logLevel, base: { node: config.nodeId, component: "instrument-catalogue" } });
const nc = await connectNats(kindsNatsUrl(config), `alphamind-${config.nodeId}-catalogue`);
const catalogue: Catalogue = new Map();
const watch = await watchCatalogue(await openInstrumentBucket(nc), catalogue, {
  // every cell reads the same entries: the main thread warns once, cells only at debug
  onInvalid: (key, e) => (isMainThread ? log.warn : log.debug)("instrument definition in KV refused", { key, error: e.message }),
  onChange: (c) => log.debug("instrument catalogue changed", c.op === "put" ? { op: c.op, instrument: c.definition.id } : c),
});

/** The demo book and strategies trade the demo universe (as defined in KV now), whatever else KV lists. */
const demoMarket: Catalogue = new Map(
  demoUniverse(config.demoInstruments).flatMap((d) => {
    const live = catalogue.get(d.id);
    return live ? [[d.id, live] as const] : [];
  }),
);

export const kinds: ActorKind[] = [
  simulatorFeedKind(catalogue),
  instrumentKind(catalogue),
  exchangeKind(catalogue),
  venueKind(),
  orderKind(),
  riskBookKind(demoMarket),
  strategyKind(demoMarket),
  ...vendorFeedKinds(config),
];

/** Kinds deployed from a configuration (am.admin.deploy): strategies running a sample on given instruments. */
export const deployable = [strategyDeployable(catalogue)];

/** Ends the catalogue's watch and connection (ActorNode.stop): a node inside a test process must not hold it open. */
export async function closeKinds(): Promise<void> {
  watch.stop();
  await nc.close();
}
