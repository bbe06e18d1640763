import { z } from "zod";
import { defineMessage, type MessageOf } from "../contract/index.ts";
import { RetrainDefinition, RetrainOutcome } from "./definition.ts";

/** The schedule's journal (am.evt.retrain-schedule.<name>.<Event>) and its commands (am.cmd.retrain-schedule.<name>). */
const stamp = { tsEvent: z.number(), tsInit: z.number() };

export const RetrainScheduleDefined = defineMessage(
  "RetrainScheduleDefined",
  1,
  z.object({ definition: RetrainDefinition, by: z.string(), ...stamp }),
  "A rolling retrain was defined (or redefined): its runs follow this definition from now on.",
);

export const RetrainScheduleRemoved = defineMessage(
  "RetrainScheduleRemoved",
  1,
  z.object({ by: z.string(), ...stamp }),
  "A rolling retrain was removed: no run starts after this (one under way finishes and is journaled).",
);

export const RetrainRunStarted = defineMessage(
  "RetrainRunStarted",
  1,
  z.object({ run: z.number().int().positive(), ...stamp }),
  "A run of the schedule started: a candidate is being trained.",
);

export const RetrainJobAssigned = defineMessage(
  "RetrainJobAssigned",
  1,
  z.object({ run: z.number().int().positive(), job: z.string(), ...stamp }),
  "The run's training job: a schedule restored on another node follows it instead of training another.",
);

export const RetrainRunFinished = defineMessage(
  "RetrainRunFinished",
  1,
  z.object({ run: z.number().int().positive(), outcome: RetrainOutcome, ...stamp }),
  "A run ended: its candidate, the live version, whether the candidate was promoted and why.",
);

export const DefineRetrainSchedule = defineMessage(
  "DefineRetrainSchedule",
  1,
  z.object({ definition: RetrainDefinition, by: z.string() }),
  "Defines the schedule (sent by the node that stored an operator's am.admin.configure of `retrain.<name>`).",
);

export const RemoveRetrainSchedule = defineMessage(
  "RemoveRetrainSchedule",
  1,
  z.object({ by: z.string() }),
  "Removes the schedule; refused for one that is not defined.",
);

export const RetrainJobReported = defineMessage(
  "RetrainJobReported",
  1,
  z.object({ run: z.number().int().positive(), job: z.string() }),
  "The runner started the run's training job.",
);

export const RetrainRunReported = defineMessage(
  "RetrainRunReported",
  1,
  z.object({ run: z.number().int().positive(), outcome: RetrainOutcome }),
  "The runner finished the run (or failed it, with the reason in the outcome).",
);

export type RetrainScheduleEvent =
  | ({ type: "RetrainScheduleDefined" } & MessageOf<typeof RetrainScheduleDefined>)
  | ({ type: "RetrainScheduleRemoved" } & MessageOf<typeof RetrainScheduleRemoved>)
  | ({ type: "RetrainRunStarted" } & MessageOf<typeof RetrainRunStarted>)
  | ({ type: "RetrainJobAssigned" } & MessageOf<typeof RetrainJobAssigned>)
  | ({ type: "RetrainRunFinished" } & MessageOf<typeof RetrainRunFinished>);

export const RetrainScheduleErrorCode = { NotDefined: "not-defined" } as const;
