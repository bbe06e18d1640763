import type { Attributes, Counter, Histogram } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider, type ScopeMetrics } from "@opentelemetry/sdk-metrics";

/**
 * Figures of the platform per actor kind and node. Off (the default) there are no instruments at all: the hot
 * path checks one variable per message, so measuring costs nothing until asked for. Each thread (the node's main
 * thread, every cell, the recorder) measures on its own provider; the node's Prometheus endpoint gathers them.
 */
/**
 * One kind's counts on this thread. Plain increments on the hot path (a few ns), read when the figures are
 * collected: the SDK's Counter.add hashes its attributes on every call, about 0.75 µs of CPU here, more than a
 * tenth of an actor step's budget.
 */
export interface KindCounts {
  /** messages (or a market-data batch) handled: one machine transition each */
  handled: number;
  /** messages taken into a mailbox */
  received: number;
  deadLettered: number;
  restarts: number;
  refusedBusy: number;
}

export interface ActorMetrics {
  /** one kind's counts on this thread (made once per kind) */
  of(kind: string): KindCounts;
  /** decision time of one message, in microseconds: recorded with `kindOnly`, placed at collection (see placed) */
  handlingUs: Histogram;
  /** the attributes of one kind's figures on this node (one object per kind, made once) */
  attributesOf(kind: string): Attributes;
  /** just the kind: the SDK hashes a histogram's attributes on every record, 0.33 µs for one key, 0.78 for three */
  kindOnly(kind: string): Attributes;
}

export interface PlacementMetrics {
  /** lease renewals, `am.result` ok or failed */
  renewals: Counter;
  ok: Attributes;
  failed: Attributes;
}

export interface RecorderMetrics {
  /** time of one QuestDB flush (rows of a batch), in milliseconds */
  writeMs: Histogram;
  rows: Counter;
  /** the attributes of one lane's (consumer's) figures */
  attributesOf(lane: string): Attributes;
}

/** One reading of a gauge: a value and what it is of (the thread's own attributes are added). */
export type GaugeReading = [value: number, attributes: Attributes];

let provider: MeterProvider | undefined;
let where: Attributes = {};
export let actorMetrics: ActorMetrics | undefined;
export let placementMetrics: PlacementMetrics | undefined;
export let recorderMetrics: RecorderMetrics | undefined;

/** Microsecond buckets from a fast transition (a few µs) to a stalled one (a second). */
const US_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 250_000, 1_000_000];
const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000];

/**
 * Starts measuring in this process (or thread), read by `reader`; `node` names where the figures come from and
 * `thread` (a cell, the recorder) which thread of it, so threads' figures stay apart on one endpoint.
 */
export function startMetrics(reader: IMetricReader, node: string, thread?: string): void {
  void provider?.shutdown();
  provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ "service.name": "alphamind", "service.instance.id": node }),
  });
  where = thread ? { "am.node": node, "am.thread": thread } : { "am.node": node };
  const meter = provider.getMeter("alphamind.runtime");
  const byKind = new Map<string, Attributes>();
  const kindOnly = new Map<string, Attributes>();
  const counts = new Map<string, KindCounts>();
  const attributesOf = (kind: string): Attributes => {
    let a = byKind.get(kind);
    if (!a) {
      a = { "am.kind": kind, ...where };
      byKind.set(kind, a);
    }
    return a;
  };
  const counters: [name: string, description: string, count: keyof KindCounts][] = [
    ["am.actor.messages", "Messages an actor handled (one transition each)", "handled"],
    ["am.actor.received", "Messages taken into an actor's mailbox", "received"],
    ["am.actor.dead_letters", "Messages an actor dead-lettered", "deadLettered"],
    ["am.actor.restarts", "Restarts of an actor after a failure", "restarts"],
    ["am.actor.mailbox_full", "Messages refused by a full mailbox", "refusedBusy"],
  ];
  for (const [name, description, count] of counters) {
    meter.createObservableCounter(name, { description }).addCallback((result) => {
      for (const [kind, c] of counts) result.observe(c[count], attributesOf(kind));
    });
  }
  actorMetrics = {
    of(kind) {
      let c = counts.get(kind);
      if (!c) {
        c = { handled: 0, received: 0, deadLettered: 0, restarts: 0, refusedBusy: 0 };
        counts.set(kind, c);
      }
      return c;
    },
    handlingUs: meter.createHistogram("am.actor.handling", {
      unit: "us",
      description: "Time to decide on one message",
      advice: { explicitBucketBoundaries: US_BUCKETS },
    }),
    attributesOf,
    kindOnly(kind) {
      let a = kindOnly.get(kind);
      if (!a) {
        a = { "am.kind": kind };
        kindOnly.set(kind, a);
      }
      return a;
    },
  };
  placementMetrics = {
    renewals: meter.createCounter("am.placement.lease_renewals", { description: "Lease renewals of this node, by result" }),
    ok: { "am.result": "ok", ...where },
    failed: { "am.result": "failed", ...where },
  };
  const byLane = new Map<string, Attributes>();
  recorderMetrics = {
    writeMs: meter.createHistogram("am.recorder.write", {
      unit: "ms",
      description: "Time of one QuestDB write (a batch's rows in one flush)",
      advice: { explicitBucketBoundaries: MS_BUCKETS },
    }),
    rows: meter.createCounter("am.recorder.rows", { description: "Rows the recorder wrote to QuestDB" }),
    attributesOf(lane) {
      let a = byLane.get(lane);
      if (!a) {
        a = { "am.lane": lane, ...where };
        byLane.set(lane, a);
      }
      return a;
    },
  };
}

/**
 * A gauge read only when the figures are collected (a scrape): `read` costs nothing between scrapes. Does
 * nothing while metrics are off.
 */
export function observeGauge(name: string, description: string, read: () => GaugeReading[] | Promise<GaugeReading[]>, unit?: string): void {
  if (!provider) return;
  const gauge = provider.getMeter("alphamind.runtime").createObservableGauge(name, { description, ...(unit ? { unit } : {}) });
  gauge.addCallback(async (result) => {
    for (const [value, attributes] of await read()) result.observe(value, { ...attributes, ...where });
  });
}

/** Collected figures with this thread's node (and thread) on every data point, as the endpoint serves them. */
export function placed(scopes: ScopeMetrics[]): ScopeMetrics[] {
  const at = where;
  return scopes.map((s) => ({
    ...s,
    metrics: s.metrics.map((m) => ({ ...m, dataPoints: m.dataPoints.map((p) => ({ ...p, attributes: { ...p.attributes, ...at } })) })),
  })) as ScopeMetrics[];
}

/** Stops measuring; what was not read yet is lost. */
export async function stopMetrics(): Promise<void> {
  const p = provider;
  provider = undefined;
  actorMetrics = undefined;
  placementMetrics = undefined;
  recorderMetrics = undefined;
  where = {};
  await p?.shutdown();
}
