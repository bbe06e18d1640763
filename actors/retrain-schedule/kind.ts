import { defineKind } from "../contract/index.ts";
import type { RetrainSchedule } from "./evolve.ts";
import { createRetrainScheduleMachine } from "./machine.ts";
import "./messages.ts"; // the schedule's commands are known to the codec wherever the kind is hosted
import type { RetrainPort } from "./retrain-port.ts";

export const RETRAIN_SCHEDULE_KIND = "retrain-schedule";

const live = (c: unknown): boolean => {
  const s = (c as { schedule?: RetrainSchedule } | undefined)?.schedule;
  return s !== undefined && (s.definition !== undefined || s.current !== undefined);
};

/**
 * One actor per rolling retrain (id = its name), sharded: the journal is its state, and a defined schedule is kept
 * awake so the node taking its shard (a move, a node that died) runs it on; one runner per schedule cluster-wide.
 */
export const retrainScheduleKind = (port: RetrainPort) =>
  defineKind({
    name: RETRAIN_SCHEDULE_KIND,
    machine: createRetrainScheduleMachine(port),
    input: (name) => ({ name }),
    persistence: "event-sourced",
    sharding: { shards: 4, keepAwake: live, doneWhen: (c) => !live(c) },
    resumeWith: { type: "ResumeRetrainSchedule" },
    summarize: (context) => {
      const s = (context as { schedule: RetrainSchedule }).schedule;
      return {
        defined: s.definition !== undefined,
        everyMs: s.definition?.everyMs,
        runs: s.runs,
        running: s.current?.run,
        last: s.outcomes.at(-1),
      };
    },
  });
