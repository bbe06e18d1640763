import { defineKind } from "../contract/index.ts";
import { isFinished, progressOf, type TrainingJob } from "./evolve.ts";
import "./messages.ts"; // the job's commands are known to the codec wherever the kind is hosted
import { createTrainingJobMachine, type TrainingJobContext } from "./machine.ts";
import type { TrainerPort } from "./trainer-port.ts";

export const TRAINING_JOB_KIND = "training-job";

export interface TrainingJobHosting {
  /** this node's name, journaled with each process it starts */
  node: string;
  port: TrainerPort;
  /** restarts of a crashed process before the job fails (default 2) */
  maxRestarts?: number;
  /** how often a running job tells the port it still wants its process (default 2 s) */
  keepAliveMs?: number;
}

const running = (c: unknown): boolean => {
  const job = (c as TrainingJobContext | undefined)?.job;
  return job !== undefined && !isFinished(job);
};

/**
 * One actor per training job (id = the job), sharded like orders: placement and leases are the shard's, the
 * journal is the state. A running job is kept awake, so the node that takes its shard (a move, a node that died)
 * activates it at once and its resume starts a process from the first (trial, fold) not yet scored.
 */
export const trainingJobKind = ({ node, port, maxRestarts = 2, keepAliveMs = 2_000 }: TrainingJobHosting) =>
  defineKind({
    name: TRAINING_JOB_KIND,
    machine: createTrainingJobMachine(port, { node, maxRestarts, keepAliveMs }),
    input: (id) => ({ id }),
    persistence: "event-sourced",
    sharding: { shards: 8, keepAwake: running, doneWhen: (c) => !running(c) },
    resumeWith: { type: "ResumeTrainingJob" },
    supervision: { restart: "permanent", maxRestarts: 3, periodMs: 60_000, backoffMinMs: 100, backoffMaxMs: 5_000 },
    summarize: (context) => {
      const job = (context as TrainingJobContext).job as TrainingJob | undefined;
      return job ? { phase: job.phase, name: job.name, version: job.version, progress: progressOf(job), attempts: job.attempts } : {};
    },
  });
