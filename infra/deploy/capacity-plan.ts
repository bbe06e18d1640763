/**
 * The capacity plan of infra/deploy/CAPACITY.md, computed: placement by the platform's own rendezvous hashing over
 * simulated node ids, lease and heartbeat traffic from the placement's renewal constants, stream sizes from the
 * declared streams and from messages encoded by the platform's codec, QuestDB rows from what the recorder writes.
 * `node --import tsx infra/deploy/capacity-plan.ts` prints the figures as one JSON line; the test holds the
 * document to them.
 */
import { pathToFileURL } from "node:url";
import type { MessageDef } from "../../actors/contract/index.ts";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { Bar, FillApplied, OrderApproved, orderEventDefs, PositionChanged, Quote, Trade } from "../../actors/domain/index.ts";
import { demoUniverse, instrumentKind, parseBarType } from "../../actors/instrument/index.ts";
import { modelKind } from "../../actors/model/index.ts";
import { orderKind } from "../../actors/order/index.ts";
import { orderListKind } from "../../actors/order-list/index.ts";
import { riskBookKind } from "../../actors/risk-book/index.ts";
import { keyOf } from "../../supervisors/node/actor-node.ts";
import { RENEW_AGE_MS, RENEW_MS } from "../../supervisors/placement/placement.ts";
import { bucketOf, ownerOf } from "../../supervisors/placement/rendezvous.ts";
import { defaultAnnounceMs } from "../../supervisors/sharding/shard-region.ts";
import { shardNames } from "../../supervisors/sharding/shard-of.ts";
import { settings } from "../config/index.ts";
import { declaredStreams, encodeMessage, kvKey, leaseTtlMs, nodeTtlMs, streams } from "../nats/index.ts";
import { sampleMessage } from "../nats/testing.ts";

/** The load the plan is for. Rates are assumptions of the plan, stated in CAPACITY.md beside the figures. */
export const plannedLoad = {
  nodes: 20,
  instruments: 10_000,
  strategies: 200,
  replicas: 3,
  cellsPerNode: settings.cells.default,
  quotesPerInstrumentPerSecond: 5,
  tradesPerInstrumentPerSecond: 1,
  ordersPerStrategyPerSecond: 0.5,
  /** one order's journal: accepted and filled in two parts */
  orderLife: ["OrderSubmitted", "OrderAccepted", "OrderFilled", "OrderFilled"] as const,
  /** from submission to the last fill */
  orderOpenSeconds: 2,
};
export type PlannedLoad = typeof plannedLoad;

const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Node names shaped like the Deployment's pods (alphamind-node-<replica set>-<suffix>). */
export const simulatedNodes = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `alphamind-node-7c9d8f6b5-n${String(i).padStart(3, "0")}`);

/** The sharded kinds a node places shard by shard, as their own declarations say (model read without running one). */
function shardedKinds(): { kind: string; shards: number }[] {
  const neverInfers = (): never => {
    throw new Error("the capacity plan reads the model kind's sharding and never runs a model");
  };
  const model = modelKind({
    modelOf: () => undefined,
    known: () => [],
    batching: {
      maxBatch: settings.modelMaxBatch.default,
      maxWaitMs: settings.modelMaxWaitMs.default,
      timeoutMs: settings.modelTimeoutMs.default,
      loadTimeoutMs: settings.modelLoadTimeoutMs.default,
    },
    port: { load: neverInfers, infer: neverInfers, reset: neverInfers, unload: neverInfers },
  });
  return [orderKind(), orderListKind(), model].map((k) => {
    if (!k.sharding) throw new Error(`kind ${k.name} is expected to be sharded`);
    return { kind: k.name, shards: k.sharding.shards };
  });
}

const spread = (counts: number[]): { max: number; min: number; mean: number } => ({
  max: Math.max(...counts),
  min: Math.min(...counts),
  mean: round(counts.reduce((a, b) => a + b, 0) / counts.length, 1),
});

/** Who owns what: the platform's rendezvous hashing over the simulated nodes, then its cell choice on each node. */
export function simulatePlacement(load: PlannedLoad) {
  const nodes = simulatedNodes(load.nodes);
  const instruments = demoUniverse(load.instruments).map((d) => ({ kind: "instrument", id: d.id }));
  const strategies = Array.from({ length: load.strategies }, (_, i) => ({ kind: "strategy", id: `strategy-${i + 1}` }));
  const sharded = shardedKinds();
  const shards = sharded.flatMap((k) => shardNames(k.shards).map((id) => ({ kind: k.kind, id })));
  const placed = [...instruments, ...strategies, ...shards];
  const actors = new Map(nodes.map((n) => [n, 0]));
  const shardsOn = new Map(nodes.map((n) => [n, 0]));
  const orderShardsOn = new Map(nodes.map((n) => [n, 0]));
  const servingRegions = new Map(sharded.map((k) => [k.kind, new Set<string>()]));
  for (const ref of placed) {
    const owner = ownerOf(kvKey(ref.kind, ref.id), nodes)!;
    actors.set(owner, actors.get(owner)! + 1);
    const region = servingRegions.get(ref.kind);
    if (!region) continue;
    shardsOn.set(owner, shardsOn.get(owner)! + 1);
    if (ref.kind === "order") orderShardsOn.set(owner, orderShardsOn.get(owner)! + 1);
    region.add(`${owner}#${bucketOf(keyOf(ref), load.cellsPerNode)}`);
  }
  const orderShards = sharded.find((k) => k.kind === "order")!.shards;
  return {
    nodes,
    shardedKinds: sharded,
    placedActors: placed.length,
    actorsPerNode: spread([...actors.values()]),
    shardsPerNode: spread([...shardsOn.values()]),
    orderShards,
    orderShardsPerNode: spread([...orderShardsOn.values()]),
    nodesWithoutOrderShard: [...orderShardsOn.values()].filter((n) => n === 0).length,
    servingRegions: Object.fromEntries([...servingRegions].map(([k, s]) => [k, s.size])),
  };
}

/** Bytes a message takes in a JetStream file store: record header, subject, NATS headers, payload, checksum. */
const STORE_RECORD_OVERHEAD = 22 + 8;
/** a W3C traceparent as the platform's publishes carry it */
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** Stored bytes of one message of `def` on `subject`: a sample with every optional field, through the real codec. */
export function storedBytes(def: MessageDef, subject: string): number {
  const parsed = sampleMessage(def.schema);
  if (!parsed.success) throw new Error(`${def.type}: no sample the schema accepts`);
  const { data, headers } = encodeMessage({ ...(parsed.data as object), type: def.type }, { traceparent: TRACEPARENT });
  let headerBytes = "NATS/1.0\r\n\r\n".length;
  for (const k of headers.keys()) for (const v of headers.values(k)) headerBytes += `${k}: ${v}\r\n`.length;
  return STORE_RECORD_OVERHEAD + subject.length + headerBytes + data.length;
}

const GiB = 1024 ** 3;
const nanosToSeconds = (ns: number): number => ns / 1e9;

export function capacityPlan(load: PlannedLoad = plannedLoad) {
  const placement = simulatePlacement(load);

  // Leases: a node ticks every RENEW_MS and renews a lease on the first tick it is RENEW_AGE_MS old.
  const renewalPeriodMs = Math.ceil(RENEW_AGE_MS / RENEW_MS) * RENEW_MS;
  const leaseRenewalsPerSecond = round(placement.placedActors / (renewalPeriodMs / 1000));
  const maxNodeRenewalsPerSecond = round(placement.actorsPerNode.max / (renewalPeriodMs / 1000));
  const heartbeatsPerSecond = round(load.nodes * (1000 / RENEW_MS));
  // Each region serving shards announces every defaultAnnounceMs to every region of its kind (one per cell).
  const regionsPerKind = load.nodes * load.cellsPerNode;
  const announcesPerSecond = Object.values(placement.servingRegions).reduce((n, r) => n + r * (1000 / defaultAnnounceMs), 0);
  const announceDeliveriesPerSecond = announcesPerSecond * regionsPerKind;

  // Market data: every instrument's quotes and trades, and a bar per bar type it is given (time bars: one per interval).
  const [sample] = demoUniverse(1);
  const instrument = parseInstrumentId(sample!.id);
  const instrumentInput = instrumentKind(new Map([[sample!.id, sample!]])).input;
  if (!instrumentInput) throw new Error("the instrument kind declares no input: its bar types are unknown");
  const { barTypes } = instrumentInput(sample!.id) as { barTypes: string[] };
  const barsPerInstrumentPerSecond = barTypes.map(parseBarType).reduce((n, b) => n + (b.kind === "time" ? 1_000_000 / b.size : 0), 0);
  const mdKinds = [
    { def: Quote, channel: "quote", perSecond: load.quotesPerInstrumentPerSecond },
    { def: Trade, channel: "trade", perSecond: load.tradesPerInstrumentPerSecond },
    { def: Bar, channel: "bar", perSecond: barsPerInstrumentPerSecond },
  ] as const;
  const mdBytes = Object.fromEntries(mdKinds.map((k) => [k.channel, storedBytes(k.def, subjects.md(k.channel, instrument))]));
  const mdMessagesPerSecond = load.instruments * mdKinds.reduce((n, k) => n + k.perSecond, 0);
  const mdBytesPerSecond = load.instruments * mdKinds.reduce((n, k) => n + k.perSecond * mdBytes[k.channel]!, 0);
  const md = declaredStreams(load.replicas).find((s) => s.name === streams.marketData)!;
  const mdMaxAgeSeconds = nanosToSeconds(md.max_age!);
  const mdMaxBytes = md.max_bytes!;
  const mdRetainedSeconds = Math.min(mdMaxAgeSeconds, mdMaxBytes / mdBytesPerSecond);

  // Order events: each order's journal until the closed-order archive takes it out of NATS.
  const ordersPerSecond = load.strategies * load.ordersPerStrategyPerSecond;
  const eventBytes = load.orderLife.map((type) => {
    const def = orderEventDefs.find((d) => d.type === type);
    if (!def) throw new Error(`order life: ${type} is not an order event`);
    return storedBytes(def, subjects.evt("order", "strategy-1-000000001", type));
  });
  const eventsPerSecond = ordersPerSecond * load.orderLife.length;
  const evtBytesPerSecond = ordersPerSecond * eventBytes.reduce((a, b) => a + b, 0);
  const archiveAfterSeconds = settings.archiveClosedOrdersAfterMs.default / 1000;
  const evt = declaredStreams(load.replicas).find((s) => s.name === streams.events)!;
  const evtSteadyBytes = evtBytesPerSecond * (load.orderOpenSeconds + archiveAfterSeconds);

  // Risk books' events: an approval per order, and per fill the fill and the position it changed. A book's journal
  // leaves AM_EVT at its next snapshot once the recorder has archived it (risk_events), so it holds about one
  // snapshot interval of them; with the archive stopped they stay, as the orders' do.
  const bookDefs = [OrderApproved, ...load.orderLife.filter((t) => t === "OrderFilled").flatMap(() => [FillApplied, PositionChanged])];
  const bookBytesPerOrder = bookDefs.reduce((n, def) => n + storedBytes(def, subjects.evt("risk-book", "book-1", def.type)), 0);
  const bookBytesPerSecond = ordersPerSecond * bookBytesPerOrder;
  const bookSnapshotSeconds = riskBookKind({ books: new Map(), marked: [] }).snapshotEveryMs! / 1000;
  const evtHoursToFillWithoutArchive = evt.max_bytes! / (evtBytesPerSecond + bookBytesPerSecond) / 3600;

  // QuestDB: one row per quote, trade and bar, one per order event, one more per fill, and one per book event.
  const fillsPerOrder = load.orderLife.filter((t) => t === "OrderFilled").length;
  const questdbRowsPerSecond = mdMessagesPerSecond + eventsPerSecond + ordersPerSecond * (fillsPerOrder + bookDefs.length);

  return {
    load,
    placement: {
      placedActors: placement.placedActors,
      shardedKinds: placement.shardedKinds,
      actorsPerNode: placement.actorsPerNode,
      shardsPerNode: placement.shardsPerNode,
      orderShardsPerNode: placement.orderShardsPerNode,
      nodesWithoutOrderShard: placement.nodesWithoutOrderShard,
      servingRegions: placement.servingRegions,
    },
    leases: {
      leaseTtlMs,
      nodeTtlMs,
      tickMs: RENEW_MS,
      renewalPeriodMs,
      leaseRenewalsPerSecond,
      maxNodeRenewalsPerSecond,
      replicatedLeaseWritesPerSecond: leaseRenewalsPerSecond * load.replicas,
      heartbeatsPerSecond,
      announceMs: defaultAnnounceMs,
      shardAnnouncesPerSecond: announcesPerSecond,
      shardAnnounceDeliveriesPerSecond: announceDeliveriesPerSecond,
    },
    marketData: {
      barTypes,
      barsPerInstrumentPerSecond: round(barsPerInstrumentPerSecond, 3),
      storedBytes: mdBytes,
      messagesPerSecond: round(mdMessagesPerSecond),
      bytesPerSecond: round(mdBytesPerSecond),
      maxAgeSeconds: mdMaxAgeSeconds,
      maxBytesGiB: mdMaxBytes / GiB,
      retainedMinutes: round(mdRetainedSeconds / 60, 1),
      bytesForMaxAgeGiB: round((mdBytesPerSecond * mdMaxAgeSeconds) / GiB, 1),
    },
    events: {
      ordersPerSecond,
      eventsPerSecond,
      bytesPerOrder: eventBytes.reduce((a, b) => a + b, 0),
      bytesPerSecond: round(evtBytesPerSecond),
      archiveAfterSeconds,
      steadyMiB: round(evtSteadyBytes / 1024 ** 2, 1),
      bookEventsPerOrder: bookDefs.length,
      bookBytesPerOrder,
      bookBytesPerSecond: round(bookBytesPerSecond),
      bookSnapshotSeconds,
      bookSteadyMiB: round((bookBytesPerSecond * bookSnapshotSeconds) / 1024 ** 2, 1),
      maxBytesGiB: evt.max_bytes! / GiB,
      hoursToFillWithoutArchive: round(evtHoursToFillWithoutArchive, 1),
    },
    questdb: {
      rowsPerSecond: round(questdbRowsPerSecond),
      rowsPerDay: round(questdbRowsPerSecond * 86_400),
    },
  };
}
export type CapacityPlan = ReturnType<typeof capacityPlan>;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.stdout.write(`${JSON.stringify({ bench: "capacity", ...capacityPlan() })}\n`);
}
