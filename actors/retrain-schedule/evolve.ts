import type { RetrainDefinition, RetrainOutcome } from "./definition.ts";
import type { RetrainScheduleEvent } from "./messages.ts";

/** A schedule as its journal tells it. */
export interface RetrainSchedule {
  name: string;
  definition?: RetrainDefinition;
  definedBy?: string;
  /** runs started so far */
  runs: number;
  /** the run under way: its number, when it started, its training job once known */
  current?: { run: number; startedUs: number; job?: string };
  lastStartedUs?: number;
  /** the last few outcomes, newest last */
  outcomes: (RetrainOutcome & { run: number; finishedUs: number })[];
}

const KEEP_OUTCOMES = 20;

export const emptySchedule = (name: string): RetrainSchedule => ({ name, runs: 0, outcomes: [] });

export function evolveRetrainSchedule(s: RetrainSchedule, e: RetrainScheduleEvent): RetrainSchedule {
  switch (e.type) {
    case "RetrainScheduleDefined":
      return { ...s, definition: e.definition, definedBy: e.by };
    case "RetrainScheduleRemoved": {
      const { definition: _d, definedBy: _b, ...rest } = s;
      return rest;
    }
    case "RetrainRunStarted":
      return { ...s, runs: e.run, current: { run: e.run, startedUs: e.tsEvent }, lastStartedUs: e.tsEvent };
    case "RetrainJobAssigned":
      return s.current?.run === e.run ? { ...s, current: { ...s.current, job: e.job } } : s;
    case "RetrainRunFinished": {
      const { current: _c, ...rest } = s;
      const outcomes = [...s.outcomes, { ...e.outcome, run: e.run, finishedUs: e.tsEvent }].slice(-KEEP_OUTCOMES);
      return s.current?.run === e.run ? { ...rest, outcomes } : { ...s, outcomes };
    }
  }
}

/** When the next run is due: `everyMs` after the last start (at once for a schedule that never ran). */
export const nextDueUs = (s: RetrainSchedule, nowUs: number): number | undefined =>
  s.definition === undefined ? undefined : s.lastStartedUs === undefined ? nowUs : s.lastStartedUs + s.definition.everyMs * 1000;
