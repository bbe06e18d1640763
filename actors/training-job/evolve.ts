import type { TrainingJobEvent } from "./events.ts";
import type { TrainingRequest } from "./request.ts";

export type TrainingJobPhase = "running" | "registered" | "cancelled" | "failed";

export interface FoldScore {
  trial: number;
  fold: number;
  metrics: Record<string, number>;
  fitMs: number;
}

/** A training job as its journal tells it: what a console, gRPC or a node taking the job over reads. */
export interface TrainingJob {
  job: string;
  phase: TrainingJobPhase;
  request: TrainingRequest;
  name: string;
  version: number;
  dataset: string;
  datasetSha256: string;
  trials: Record<string, number>[];
  folds: number;
  startedBy: string;
  startedAtUs: number;
  updatedAtUs: number;
  /** the out-of-sample score of every (trial, fold) done so far, in the order they were scored */
  scores: FoldScore[];
  /** process starts: the first, and one more per crash or takeover */
  attempts: number;
  selected?: { trial: number; params: Record<string, number>; metrics: Record<string, number> };
  registered?: { name: string; version: number; sha256: string };
  cancelledBy?: string;
  error?: string;
}

export const isFinished = (j: TrainingJob): boolean => j.phase !== "running";

/** Share of the (trial, fold) fits done, in [0, 1]. */
export const progressOf = (j: TrainingJob): number =>
  j.phase === "registered" ? 1 : j.scores.length / Math.max(1, j.trials.length * j.folds);

/** The job after one more of its events; the first must be TrainingJobStarted. */
export function evolveTrainingJob(j: TrainingJob | undefined, e: TrainingJobEvent): TrainingJob {
  if (e.type === "TrainingJobStarted")
    return {
      job: e.job,
      phase: "running",
      request: e.request,
      name: e.name,
      version: e.version,
      dataset: e.dataset,
      datasetSha256: e.datasetSha256,
      trials: e.trials,
      folds: e.folds,
      startedBy: e.startedBy,
      startedAtUs: e.tsEvent,
      updatedAtUs: e.tsEvent,
      scores: [],
      attempts: 0,
    };
  if (!j) throw new Error(`training job ${e.job}: ${e.type} before TrainingJobStarted`);
  const next: TrainingJob = { ...j, updatedAtUs: e.tsEvent };
  switch (e.type) {
    case "TrainingFoldScored":
      // a process restarted mid-fold may score a fold twice: the journal keeps the first
      if (!j.scores.some((s) => s.trial === e.trial && s.fold === e.fold))
        next.scores = [...j.scores, { trial: e.trial, fold: e.fold, metrics: e.metrics, fitMs: e.fitMs }];
      return next;
    case "TrainingModelSelected":
      next.selected = { trial: e.trial, params: e.params, metrics: e.metrics };
      return next;
    case "TrainingModelRegistered":
      next.registered = { name: e.name, version: e.version, sha256: e.sha256 };
      next.phase = "registered";
      return next;
    case "TrainingProcessRestarted":
      next.attempts = j.attempts + 1;
      return next;
    case "TrainingJobCancelled":
      next.phase = "cancelled";
      next.cancelledBy = e.by;
      return next;
    case "TrainingJobFailed":
      next.phase = "failed";
      next.error = e.reason;
      return next;
  }
}
