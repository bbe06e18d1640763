/**
 * A rolling retrain schedule as an actor: one per schedule (id = its name), event-sourced on
 * am.evt.retrain-schedule.<name>.<Event>. Its definition comes from the config bucket through the node that stored
 * it (DefineRetrainSchedule); a delayed RetrainDue starts each run `everyMs` after the last one started, one run at a
 * time; the run itself (train, judge, promote) is the port's side effect, reported back as commands. Restored on
 * another node, a run under way is followed to its end (its training job resumes on its own) and the next is armed.
 */
import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import type { RetrainDefinition, RetrainOutcome } from "./definition.ts";
import { emptySchedule, evolveRetrainSchedule, nextDueUs, type RetrainSchedule } from "./evolve.ts";
import { RetrainScheduleErrorCode, type RetrainScheduleEvent } from "./messages.ts";
import type { RetrainPort } from "./retrain-port.ts";

export type RetrainScheduleMachineEvent = { nowUs: number; replay?: boolean } & (
  | { type: "DefineRetrainSchedule"; definition: RetrainDefinition; by: string }
  | { type: "RemoveRetrainSchedule"; by: string }
  | { type: "RetrainDue" }
  | { type: "ResumeRetrainSchedule" }
  | { type: "RetrainJobReported"; run: number; job: string }
  | { type: "RetrainRunReported"; run: number; outcome: RetrainOutcome }
  | RetrainScheduleEvent
);

const DUE = "retrain-due";
const DOMAIN = new Set([
  "RetrainScheduleDefined",
  "RetrainScheduleRemoved",
  "RetrainRunStarted",
  "RetrainJobAssigned",
  "RetrainRunFinished",
]);

export function createRetrainScheduleMachine(port: RetrainPort) {
  return setup({
    types: {
      context: {} as { schedule: RetrainSchedule },
      events: {} as RetrainScheduleMachineEvent,
      input: {} as { name: string },
      emitted: {} as Emitted,
    },
    actions: {
      run: (_, p: { name: string; run: number; definition: RetrainDefinition; job?: string }) =>
        port.run(p.name, p.run, p.definition, p.job),
    },
  }).createMachine({
    id: "retrain-schedule",
    context: ({ input }) => ({ schedule: emptySchedule(input.name) }),
    on: {
      "*": {
        actions: enqueueActions(({ context: { schedule: s }, event: e, enqueue }) => {
          if (DOMAIN.has(e.type)) return void enqueue.assign({ schedule: evolveRetrainSchedule(s, e as RetrainScheduleEvent) });
          const at = { tsEvent: e.nowUs, tsInit: e.nowUs };
          let next = s;
          const journal = (event: RetrainScheduleEvent) => {
            next = evolveRetrainSchedule(next, event);
            enqueue.emit({ type: "domain", event });
          };
          // the next run's timer, from the state this decision leaves (none while a run is under way: its end arms it)
          const arm = () => {
            const due = nextDueUs(next, e.nowUs);
            if (due === undefined || next.current) return;
            // stamped with the time it is due; the runtime stamps its own clock on delivery
            const delay = Math.max(0, Math.round((due - e.nowUs) / 1000));
            enqueue.raise({ type: "RetrainDue", nowUs: Math.max(due, e.nowUs) }, { delay, id: DUE });
          };
          switch (e.type) {
            case "DefineRetrainSchedule":
              journal({ type: "RetrainScheduleDefined", definition: e.definition, by: e.by, ...at });
              arm();
              enqueue.emit({ type: "reply", ok: true, result: next });
              break;
            case "RemoveRetrainSchedule":
              if (!s.definition) {
                enqueue.emit({
                  type: "reply",
                  ok: false,
                  error: { code: RetrainScheduleErrorCode.NotDefined, message: `name: no retrain schedule ${s.name}` },
                });
                return;
              }
              journal({ type: "RetrainScheduleRemoved", by: e.by, ...at });
              enqueue.cancel(DUE);
              enqueue.emit({ type: "reply", ok: true, result: next });
              break;
            case "RetrainDue":
              if (!s.definition || s.current) return;
              journal({ type: "RetrainRunStarted", run: s.runs + 1, ...at });
              enqueue({ type: "run", params: { name: s.name, run: s.runs + 1, definition: s.definition } });
              break;
            case "RetrainJobReported":
              if (s.current?.run !== e.run || s.current.job) return;
              journal({ type: "RetrainJobAssigned", run: e.run, job: e.job, ...at });
              break;
            case "RetrainRunReported":
              if (s.current?.run !== e.run) return;
              journal({ type: "RetrainRunFinished", run: e.run, outcome: e.outcome, ...at });
              arm();
              break;
            case "ResumeRetrainSchedule": {
              const c = s.current;
              if (c && s.definition)
                enqueue({ type: "run", params: { name: s.name, run: c.run, definition: s.definition, ...(c.job ? { job: c.job } : {}) } });
              else if (c)
                journal({
                  type: "RetrainRunFinished",
                  run: c.run,
                  outcome: { name: s.name, promoted: false, reason: "the schedule was removed while this run was under way: not judged" },
                  ...at,
                });
              arm();
              break;
            }
          }
          if (next !== s) enqueue.assign({ schedule: next });
        }),
      },
    },
  });
}
