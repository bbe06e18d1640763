import type { TrainingJob } from "./evolve.ts";

/**
 * How a training job actor has its Python process run, outside the machine: the runtime's side (the node) starts
 * and kills the process and registers its winner, and tells the actor what happened as Trainer* commands on its
 * subject, each naming the attempt. The machine never sees a process or the registry and is tested in memory.
 */
export interface TrainerPort {
  /** runs the job's process from its first (trial, fold) not yet scored; a run of the job already here is killed first */
  start(job: TrainingJob, attempt: number): void;
  /**
   * Said while the actor wants its run: a run not kept alive for a few periods is killed, so a process never
   * outlives its actor on this node (moved, passivated, stopped), whatever stopped it.
   */
  keepAlive(job: string, attempt: number): void;
  /** kills the job's process (SIGTERM, then SIGKILL) */
  kill(job: string): void;
  /** registers the exported winner (answered with TrainerModelRegistered, or TrainerStopped with the reason) */
  register(job: TrainingJob, attempt: number, file: string, card: string): void;
}
