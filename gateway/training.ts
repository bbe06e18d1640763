/**
 * The port the Models service runs training jobs through. The node's implementation is supervisors/research's
 * `TrainingJobs` (a job journaled on am.evt.training-job.<job>.*, its Python process on some node); the job's shape is
 * the training-job actor's own. Times are µs since the epoch.
 */
import type { TrainingJob, TrainingJobPhase } from "../actors/training-job/index.ts";

export type { TrainingJobPhase };
/** A job as its journal tells it (actors/training-job). */
export type TrainingJobView = TrainingJob;

export interface TrainingJobRunner {
  /** Checks the request and starts the job; a refusal is an Error whose `field` names the request's field. */
  start(request: unknown, startedBy: string): Promise<TrainingJobView>;
  get(job: string): Promise<TrainingJobView | undefined>;
  /** newest first */
  list(): Promise<TrainingJobView[]>;
  /** Cancels a running job; a refusal (unknown or finished job) is an Error whose `field` is "job". */
  cancel(job: string, by: string): Promise<TrainingJobView>;
}
