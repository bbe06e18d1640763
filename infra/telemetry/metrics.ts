import type { Attributes, Counter, Histogram } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider } from "@opentelemetry/sdk-metrics";

/**
 * Figures of the platform per actor kind and node. Off (the default) there are no instruments at all: the hot
 * path checks one variable per message, so measuring costs nothing until asked for. Each thread (the node's main
 * thread, every cell, the recorder) measures on its own provider; the node's Prometheus endpoint gathers them.
 */
export interface ActorMetrics {
  /** messages (or a market-data batch) handled: one machine transition each */
  handled: Counter;
  /** messages taken into a mailbox (a market-data batch counts each of its messages) */
  received: Counter;
  deadLettered: Counter;
  restarts: Counter;
  refusedBusy: Counter;
  /** decision time of one message, in microseconds */
  handlingUs: Histogram;
  /** the attributes of one kind's figures on this node (one object per kind, made once) */
  attributesOf(kind: string): Attributes;
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
  actorMetrics = {
    handled: meter.createCounter("am.actor.messages", { description: "Messages an actor handled (one transition each)" }),
    received: meter.createCounter("am.actor.received", { description: "Messages taken into an actor's mailbox" }),
    deadLettered: meter.createCounter("am.actor.dead_letters", { description: "Messages an actor dead-lettered" }),
    restarts: meter.createCounter("am.actor.restarts", { description: "Restarts of an actor after a failure" }),
    refusedBusy: meter.createCounter("am.actor.mailbox_full", { description: "Messages refused by a full mailbox" }),
    handlingUs: meter.createHistogram("am.actor.handling", {
      unit: "us",
      description: "Time to decide on one message",
      advice: { explicitBucketBoundaries: US_BUCKETS },
    }),
    attributesOf(kind) {
      let a = byKind.get(kind);
      if (!a) {
        a = { "am.kind": kind, ...where };
        byKind.set(kind, a);
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
