import type { ReplyError } from "../contract/index.ts";
import type { TrainingJobEvent } from "./events.ts";
import { evolveTrainingJob, isFinished, type TrainingJob } from "./evolve.ts";
import { type StartTrainingJob, type TrainerReport, TrainingJobErrorCode } from "./messages.ts";

/** What the runtime's side is asked to do with the job's process after a decision. */
export type TrainerEffect =
  | { do: "start"; attempt: number }
  | { do: "kill" }
  | { do: "register"; attempt: number; file: string; card: string };

export interface Decision {
  events: TrainingJobEvent[];
  effects: TrainerEffect[];
  /** the job's state after the events */
  job: TrainingJob | undefined;
  crashes: number;
  reply?: { ok: true; result: TrainingJob } | { ok: false; error: ReplyError };
}

export interface JobSettings {
  /** this node's name, in TrainingProcessRestarted */
  node: string;
  /** restarts of a crashed process before the job fails */
  maxRestarts: number;
}

const decided = (job: TrainingJob | undefined, crashes: number, events: TrainingJobEvent[], effects: TrainerEffect[] = []): Decision => ({
  events,
  effects,
  job: events.reduce<TrainingJob | undefined>(evolveTrainingJob, job),
  crashes,
});

const refusal = (job: TrainingJob | undefined, crashes: number, code: string, message: string): Decision => ({
  ...decided(job, crashes, []),
  reply: { ok: false, error: { code, message } },
});

/** A process (re)started: journaled first, so a node that takes the job later counts it. */
function launch(job: TrainingJob, crashes: number, reason: string, s: JobSettings, nowUs: number): Decision {
  const attempt = job.attempts + 1;
  const restarted: TrainingJobEvent = {
    type: "TrainingProcessRestarted",
    job: job.job,
    attempt,
    reason,
    node: s.node,
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return decided(job, crashes, [restarted], [{ do: "start", attempt }]);
}

export function decideStart(
  job: TrainingJob | undefined,
  id: string,
  c: StartTrainingJob,
  crashes: number,
  s: JobSettings,
  nowUs: number,
): Decision {
  if (job) return refusal(job, crashes, TrainingJobErrorCode.AlreadyStarted, `job: ${id} started before (it is ${job.phase})`);
  const started: TrainingJobEvent = {
    type: "TrainingJobStarted",
    job: id,
    request: c.request,
    name: c.name,
    version: c.version,
    dataset: c.dataset,
    datasetSha256: c.datasetSha256,
    trials: c.trials,
    folds: c.folds,
    startedBy: c.startedBy,
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  const accepted = evolveTrainingJob(undefined, started);
  const d = launch(accepted, 0, "started", s, nowUs);
  // answered with the job as accepted: its process is starting
  return { ...d, events: [started, ...d.events], reply: { ok: true, result: accepted } };
}

export function decideCancel(job: TrainingJob | undefined, id: string, by: string, crashes: number, nowUs: number): Decision {
  if (!job) return refusal(job, crashes, TrainingJobErrorCode.UnknownJob, `job: no training job ${id}`);
  if (isFinished(job)) return refusal(job, crashes, TrainingJobErrorCode.Finished, `job: ${id} is ${job.phase} already`);
  const d = decided(job, crashes, [{ type: "TrainingJobCancelled", job: id, by, tsEvent: nowUs, tsInit: nowUs }], [{ do: "kill" }]);
  return { ...d, reply: { ok: true, result: d.job! } };
}

/** A restored job that was running: its process died with the incarnation that ran it, so another starts here. */
export function decideResume(job: TrainingJob | undefined, s: JobSettings, nowUs: number): Decision {
  if (!job || isFinished(job)) return decided(job, 0, []);
  return launch(job, 0, `resumed on ${s.node} from its journal (${job.scores.length} folds scored)`, s, nowUs);
}

/** A report of the current run becomes the job's event; one of another run, or of a finished job, changes nothing. */
export function decideReport(job: TrainingJob | undefined, r: TrainerReport, crashes: number, s: JobSettings, nowUs: number): Decision {
  if (!job || isFinished(job) || r.attempt !== job.attempts) return decided(job, crashes, []);
  const at = { job: job.job, tsEvent: nowUs, tsInit: nowUs };
  switch (r.type) {
    case "TrainerFoldScored":
      // a restarted process may score a fold the journal has: kept once
      if (job.scores.some((x) => x.trial === r.trial && x.fold === r.fold)) return decided(job, crashes, []);
      return decided(job, crashes, [
        { type: "TrainingFoldScored", ...at, trial: r.trial, fold: r.fold, metrics: r.metrics, fitMs: r.fitMs },
      ]);
    case "TrainerModelSelected":
      return decided(job, crashes, [{ type: "TrainingModelSelected", ...at, trial: r.trial, params: r.params, metrics: r.metrics }]);
    case "TrainerModelExported":
      return decided(job, crashes, [], [{ do: "register", attempt: r.attempt, file: r.file, card: r.card }]);
    case "TrainerModelRegistered":
      return decided(job, crashes, [{ type: "TrainingModelRegistered", ...at, name: r.name, version: r.version, sha256: r.sha256 }]);
    case "TrainerStopped": {
      // a clean exit is followed by the registration's answer
      if (r.ok) return decided(job, crashes, []);
      const reason = `the training process failed: ${r.reason}`;
      if (crashes >= s.maxRestarts) return decided(job, crashes, [{ type: "TrainingJobFailed", ...at, reason }]);
      return launch(job, crashes + 1, reason, s, nowUs);
    }
  }
}
