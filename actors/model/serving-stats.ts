import { mean, quantileSorted } from "simple-statistics";
import { type Emitted, subjects } from "../contract/index.ts";
import { challengerFigures } from "./challenger.ts";
import type { ModelContext, Waiting } from "./state.ts";

/**
 * What operators see of a model actor's recent service: each answered request's latency in the actor (from taking
 * the request to its answer: queueing, batching wait and inference) and each batch's size, over the last requests
 * and batches. Rings written in place: copying a 512-number window per batch measured ~3.7 µs, as much as a whole
 * transition; the quantiles are computed only when the summary is read. Operator figures, not decision state.
 */
export const LATENCY_WINDOW = 512;
export const BATCH_WINDOW = 128;

interface Ring {
  values: Float64Array;
  /** how many values it holds (at most its length) */
  count: number;
  /** where the next value goes */
  next: number;
}

export interface ServingWindow {
  latenciesUs: Ring;
  batchSizes: Ring;
}

const ring = (size: number): Ring => ({ values: new Float64Array(size), count: 0, next: 0 });
export const emptyWindow = (): ServingWindow => ({ latenciesUs: ring(LATENCY_WINDOW), batchSizes: ring(BATCH_WINDOW) });

function push(r: Ring, v: number): void {
  r.values[r.next] = v;
  r.next = (r.next + 1) % r.values.length;
  if (r.count < r.values.length) r.count++;
}

/** The ring's values, oldest first. */
export function ringValues(r: Ring): number[] {
  const out: number[] = [];
  const start = r.count < r.values.length ? 0 : r.next;
  for (let i = 0; i < r.count; i++) out.push(r.values[(start + i) % r.values.length]!);
  return out;
}

/** Adds one answered batch to the window (in place) and returns it. */
export function recordBatch(w: ServingWindow, batch: readonly Pick<Waiting, "takenUs">[], nowUs: number): ServingWindow {
  for (const x of batch) push(w.latenciesUs, nowUs - x.takenUs);
  push(w.batchSizes, batch.length);
  return w;
}

export interface ServingStats {
  /** requests in the latency window */
  window: number;
  latencyP50Us?: number;
  latencyP99Us?: number;
  /** mean requests per inference over the batch window */
  meanBatch?: number;
}

export function servingStats(w: ServingWindow): ServingStats {
  if (!w.latenciesUs.count) return { window: 0 };
  const sorted = ringValues(w.latenciesUs).sort((a, b) => a - b);
  return {
    window: sorted.length,
    latencyP50Us: quantileSorted(sorted, 0.5),
    latencyP99Us: quantileSorted(sorted, 0.99),
    meanBatch: mean(ringValues(w.batchSizes)),
  };
}

/** How often an answering actor reports its service (am.sys.model-stats.<model>). */
export const REPORT_EVERY_US = 1_000_000;

/** The actor's report of its recent service, for operators. */
export const servingReport = (c: ModelContext, nowUs: number): Emitted => ({
  type: "publish",
  subject: subjects.sys("model-stats", c.name),
  message: {
    type: "ModelServingReported",
    model: c.name,
    version: c.version,
    provider: c.provider,
    served: c.served,
    batches: c.batches,
    failures: c.failures,
    queued: c.pending.length,
    ...servingStats(c.recent),
    ...(c.swapRefused ? { swapRefused: c.swapRefused } : {}),
    ...(c.challenger ? { challenger: challengerFigures(c.challenger) } : {}),
    ...(c.challengerRefused ? { challengerRefused: c.challengerRefused } : {}),
    tsEvent: nowUs,
    tsInit: nowUs,
  },
});
