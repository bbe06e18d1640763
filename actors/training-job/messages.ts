import { z } from "zod";
import { defineMessage, type MessageOf } from "../contract/index.ts";
import { TrainingRequest } from "./request.ts";

/**
 * What a training job actor is told on am.cmd.training-job.<job>: an operator's start and cancel, and its trainer's
 * reports. Each report names the process run (`attempt`) it comes from, so one from a run the actor left behind (a
 * node that lost the job, a process restarted after a crash) is ignored.
 */
const metrics = z.record(z.string(), z.number());
const attempt = z.number().int().positive();

export const StartTrainingJob = defineMessage(
  "StartTrainingJob",
  1,
  z.object({
    request: TrainingRequest,
    name: z.string(),
    version: z.number().int().positive(),
    dataset: z.string(),
    datasetSha256: z.string(),
    trials: z.array(metrics),
    folds: z.number().int(),
    startedBy: z.string(),
  }),
  "Starts the job of this id (request checked by the sender, dataset named by its manifest's sha256); refused if it started before.",
);

export const CancelTrainingJob = defineMessage(
  "CancelTrainingJob",
  1,
  z.object({ by: z.string() }),
  "Cancels a running job: journaled, its process killed, nothing registered.",
);

export const TrainerFoldScored = defineMessage(
  "TrainerFoldScored",
  1,
  z.object({ attempt, trial: z.number().int(), fold: z.number().int(), metrics, fitMs: z.number() }),
  "The job's process scored one (trial, fold) out of sample.",
);

export const TrainerModelSelected = defineMessage(
  "TrainerModelSelected",
  1,
  z.object({ attempt, trial: z.number().int(), params: metrics, metrics }),
  "The job's process picked the trial with the best mean out-of-sample figure.",
);

export const TrainerModelExported = defineMessage(
  "TrainerModelExported",
  1,
  z.object({ attempt, file: z.string(), card: z.string() }),
  "The job's process exported the winner refitted on every row: its ONNX file and card, for the actor to register.",
);

export const TrainerModelRegistered = defineMessage(
  "TrainerModelRegistered",
  1,
  z.object({ attempt, name: z.string(), version: z.number().int(), sha256: z.string() }),
  "The exported winner is in the model registry (registered, not promoted).",
);

export const TrainerStopped = defineMessage(
  "TrainerStopped",
  1,
  z.object({ attempt, ok: z.boolean(), reason: z.string() }),
  "The job's process ended: done (ok), or failed with the reason (a crash, a dataset changed, a registration refused).",
);

export type StartTrainingJob = MessageOf<typeof StartTrainingJob>;
export type TrainerReport =
  | ({ type: "TrainerFoldScored" } & MessageOf<typeof TrainerFoldScored>)
  | ({ type: "TrainerModelSelected" } & MessageOf<typeof TrainerModelSelected>)
  | ({ type: "TrainerModelExported" } & MessageOf<typeof TrainerModelExported>)
  | ({ type: "TrainerModelRegistered" } & MessageOf<typeof TrainerModelRegistered>)
  | ({ type: "TrainerStopped" } & MessageOf<typeof TrainerStopped>);

/** Refusal codes of the job's commands. */
export const TrainingJobErrorCode = {
  AlreadyStarted: "already-started",
  UnknownJob: "unknown-job",
  Finished: "finished",
} as const;
