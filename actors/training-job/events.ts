import { z } from "zod";
import { defineMessage, type MessageOf } from "../contract/index.ts";
import { TrainingRequest } from "./request.ts";

/**
 * A training job's journal: its events on am.evt.training-job.<job>.<Event> in the event stream. They are its
 * progress on NATS (a subscriber sees each fold as it is scored) and its state: a node that takes over a job
 * replays them and starts from the first (trial, fold) not yet scored.
 */
const metrics = z.record(z.string(), z.number());

export const TrainingJobStarted = defineMessage(
  "TrainingJobStarted",
  1,
  z.object({
    job: z.string(),
    request: TrainingRequest,
    name: z.string(),
    /** the version the winner is registered as */
    version: z.number().int().positive(),
    dataset: z.string(),
    datasetSha256: z.string(),
    trials: z.array(metrics),
    folds: z.number().int(),
    startedBy: z.string(),
    tsEvent: z.number(),
    tsInit: z.number(),
  }),
  "A training job was accepted: its request, the dataset (name and sha256) it trains on, the trials it searches.",
);

export const TrainingFoldScored = defineMessage(
  "TrainingFoldScored",
  1,
  z.object({
    job: z.string(),
    trial: z.number().int(),
    fold: z.number().int(),
    metrics,
    fitMs: z.number(),
    tsEvent: z.number(),
    tsInit: z.number(),
  }),
  "One trial's model fitted on a fold's purged training rows and scored on its test rows (out of sample).",
);

export const TrainingModelSelected = defineMessage(
  "TrainingModelSelected",
  1,
  z.object({ job: z.string(), trial: z.number().int(), params: metrics, metrics, tsEvent: z.number(), tsInit: z.number() }),
  "The trial with the best mean out-of-sample figure, refitted on every row and exported.",
);

export const TrainingModelRegistered = defineMessage(
  "TrainingModelRegistered",
  1,
  z.object({ job: z.string(), name: z.string(), version: z.number().int(), sha256: z.string(), tsEvent: z.number(), tsInit: z.number() }),
  "The selected model is in the registry (registered, not promoted).",
);

export const TrainingProcessRestarted = defineMessage(
  "TrainingProcessRestarted",
  1,
  z.object({ job: z.string(), attempt: z.number().int(), reason: z.string(), node: z.string(), tsEvent: z.number(), tsInit: z.number() }),
  "The job's training process is (re)started on a node: after a crash of the process, or by a node taking over the job.",
);

export const TrainingJobCancelled = defineMessage(
  "TrainingJobCancelled",
  1,
  z.object({ job: z.string(), by: z.string(), tsEvent: z.number(), tsInit: z.number() }),
  "An operator cancelled the job; its process is killed and nothing is registered.",
);

export const TrainingJobFailed = defineMessage(
  "TrainingJobFailed",
  1,
  z.object({ job: z.string(), reason: z.string(), tsEvent: z.number(), tsInit: z.number() }),
  "The job failed for good (its process failed past its restart limit, or the dataset changed); the reason says why.",
);

export type TrainingJobEvent =
  | ({ type: "TrainingJobStarted" } & MessageOf<typeof TrainingJobStarted>)
  | ({ type: "TrainingFoldScored" } & MessageOf<typeof TrainingFoldScored>)
  | ({ type: "TrainingModelSelected" } & MessageOf<typeof TrainingModelSelected>)
  | ({ type: "TrainingModelRegistered" } & MessageOf<typeof TrainingModelRegistered>)
  | ({ type: "TrainingProcessRestarted" } & MessageOf<typeof TrainingProcessRestarted>)
  | ({ type: "TrainingJobCancelled" } & MessageOf<typeof TrainingJobCancelled>)
  | ({ type: "TrainingJobFailed" } & MessageOf<typeof TrainingJobFailed>);
