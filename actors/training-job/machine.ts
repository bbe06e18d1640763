/**
 * The training job actor: one per job id, event-sourced on am.evt.training-job.<job>.<Event>. It decides (decide.ts)
 * and its state is the journal folded by evolveTrainingJob; its Python process is a side effect it asks of the
 * trainer port, and the process's reports come back as Trainer* commands naming their attempt. While the job runs
 * the actor arms a keep-alive every `keepAliveMs` and tells the port, so a run whose actor stopped here (moved,
 * passivated, stopped) is killed by the port; a restored running job starts a new run from its journal.
 */
import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { type Decision, decideCancel, decideReport, decideResume, decideStart, type JobSettings, type TrainerEffect } from "./decide.ts";
import type { TrainingJobEvent } from "./events.ts";
import { evolveTrainingJob, isFinished, type TrainingJob } from "./evolve.ts";
import type { StartTrainingJob, TrainerReport } from "./messages.ts";
import type { TrainerPort } from "./trainer-port.ts";

export interface TrainingJobContext {
  id: string;
  job?: TrainingJob;
  /** crashes of this node's runs since the job was restored here (a restore starts counting again) */
  crashes: number;
}

export type TrainingJobMachineEvent = { nowUs: number; replay?: boolean } & (
  | ({ type: "StartTrainingJob" } & StartTrainingJob)
  | { type: "CancelTrainingJob"; by: string }
  | { type: "ResumeTrainingJob" }
  | { type: "KeepTrainerAlive" }
  | TrainerReport
  | TrainingJobEvent
);

export interface TrainingJobSettings extends JobSettings {
  keepAliveMs: number;
}

const KEEP_ALIVE = "keep-alive";
const DOMAIN = new Set([
  "TrainingJobStarted",
  "TrainingFoldScored",
  "TrainingModelSelected",
  "TrainingModelRegistered",
  "TrainingProcessRestarted",
  "TrainingJobCancelled",
  "TrainingJobFailed",
]);

export function createTrainingJobMachine(port: TrainerPort, s: TrainingJobSettings) {
  return setup({
    types: {
      context: {} as TrainingJobContext,
      events: {} as TrainingJobMachineEvent,
      input: {} as { id: string },
      emitted: {} as Emitted,
    },
    actions: {
      effect: (_, p: { job: TrainingJob; effect: TrainerEffect }) => {
        const e = p.effect;
        if (e.do === "start") port.start(p.job, e.attempt);
        else if (e.do === "kill") port.kill(p.job.job);
        else port.register(p.job, e.attempt, e.file, e.card);
      },
      keepAlive: (_, p: { job: string; attempt: number }) => port.keepAlive(p.job, p.attempt),
    },
  }).createMachine({
    id: "training-job",
    context: ({ input }) => ({ id: input.id, crashes: 0 }),
    on: {
      "*": {
        actions: enqueueActions(({ context: c, event: e, enqueue }) => {
          // the journal replayed (or an event this actor emitted): the state it says, nothing else
          if (DOMAIN.has(e.type)) return void enqueue.assign({ job: evolveTrainingJob(c.job, e as TrainingJobEvent) });
          let d: Decision;
          switch (e.type) {
            case "StartTrainingJob":
              d = decideStart(c.job, c.id, e, c.crashes, s, e.nowUs);
              break;
            case "CancelTrainingJob":
              d = decideCancel(c.job, c.id, e.by, c.crashes, e.nowUs);
              break;
            case "ResumeTrainingJob":
              d = decideResume(c.job, s, e.nowUs);
              break;
            case "KeepTrainerAlive":
              if (!c.job || isFinished(c.job)) return;
              enqueue({ type: "keepAlive", params: { job: c.job.job, attempt: c.job.attempts } });
              enqueue.raise({ type: "KeepTrainerAlive" } as never, { delay: s.keepAliveMs, id: KEEP_ALIVE });
              return;
            default:
              d = decideReport(c.job, e as TrainerReport, c.crashes, s, e.nowUs);
          }
          enqueue.assign({ job: d.job, crashes: d.crashes });
          for (const event of d.events) enqueue.emit({ type: "domain", event });
          for (const effect of d.effects) enqueue({ type: "effect", params: { job: d.job!, effect } });
          // a run starting: its keep-alive starts with it
          if (d.effects.some((x) => x.do === "start"))
            enqueue.raise({ type: "KeepTrainerAlive" } as never, { delay: s.keepAliveMs, id: KEEP_ALIVE });
          if (d.job && isFinished(d.job)) enqueue.cancel(KEEP_ALIVE);
          if (d.reply) enqueue.emit({ type: "reply", ...d.reply });
        }),
      },
    },
  });
}
