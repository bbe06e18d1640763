import type { RetrainDefinition } from "./definition.ts";

/**
 * How a schedule's run is done outside its machine: the node trains a candidate (a training job actor), judges it
 * against the live version and promotes it or not, and tells the schedule on its command subject: the job once
 * started (RetrainJobReported), then the outcome (RetrainRunReported, a failure's reason in it). Given `job`, the
 * run follows that job (a schedule restored on another node) instead of starting another.
 */
export interface RetrainPort {
  run(schedule: string, run: number, definition: RetrainDefinition, job?: string): void;
}
