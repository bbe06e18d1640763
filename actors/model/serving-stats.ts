import { mean, quantileSorted } from "simple-statistics";
import { type Emitted, subjects } from "../contract/index.ts";
import type { ModelContext, Waiting } from "./state.ts";

/**
 * What operators see of a model actor's recent service: each answered request's latency in the actor (from taking
 * the request to its answer: queueing, batching wait and inference) and each batch's size, over the last requests
 * and batches. Windows of plain arrays: the copy per batch is a few hundred numbers, the quantiles are computed
 * only when the summary is read.
 */
export const LATENCY_WINDOW = 512;
export const BATCH_WINDOW = 128;

export interface ServingWindow {
  latenciesUs: number[];
  batchSizes: number[];
}

export const emptyWindow = (): ServingWindow => ({ latenciesUs: [], batchSizes: [] });

const keepLast = (xs: number[], add: readonly number[], max: number): number[] => {
  const all = xs.concat(add);
  return all.length > max ? all.slice(all.length - max) : all;
};

/** The window after one answered batch. */
export function recordBatch(w: ServingWindow, batch: readonly Pick<Waiting, "takenUs">[], nowUs: number): ServingWindow {
  return {
    latenciesUs: keepLast(
      w.latenciesUs,
      batch.map((x) => nowUs - x.takenUs),
      LATENCY_WINDOW,
    ),
    batchSizes: keepLast(w.batchSizes, [batch.length], BATCH_WINDOW),
  };
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
  if (!w.latenciesUs.length) return { window: 0 };
  const sorted = [...w.latenciesUs].sort((a, b) => a - b);
  return {
    window: sorted.length,
    latencyP50Us: quantileSorted(sorted, 0.5),
    latencyP99Us: quantileSorted(sorted, 0.99),
    meanBatch: mean(w.batchSizes),
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
    tsEvent: nowUs,
    tsInit: nowUs,
  },
});
