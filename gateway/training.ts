/**
 * The port the Models service runs training jobs through. The node's implementation is supervisors/research's
 * `TrainingJobs` (a job journaled on am.evt.training-job.<job>.*, its Python process on some node); the gateway
 * needs only this shape. Times are µs since the epoch.
 */
export type TrainingJobPhase = "running" | "registered" | "cancelled" | "failed";

export interface TrainingJobView {
  job: string;
  phase: TrainingJobPhase;
  request: { dataset: string; model: string; folds: number; trials: number; window: number; seed: number; embargoUs?: number | undefined };
  name: string;
  version: number;
  dataset: string;
  datasetSha256: string;
  trials: Record<string, number>[];
  folds: number;
  startedBy: string;
  startedAtUs: number;
  updatedAtUs: number;
  scores: { trial: number; fold: number; metrics: Record<string, number>; fitMs: number }[];
  attempts: number;
  selected?: { trial: number; params: Record<string, number>; metrics: Record<string, number> };
  registered?: { name: string; version: number; sha256: string };
  cancelledBy?: string;
  error?: string;
}

export interface TrainingJobRunner {
  /** Checks the request and starts the job; a refusal is an Error whose `field` names the request's field. */
  start(request: unknown, startedBy: string): Promise<TrainingJobView>;
  get(job: string): Promise<TrainingJobView | undefined>;
  /** newest first */
  list(): Promise<TrainingJobView[]>;
  /** Cancels a running job; a refusal (unknown or finished job) is an Error whose `field` is "job". */
  cancel(job: string, by: string): Promise<TrainingJobView>;
}
