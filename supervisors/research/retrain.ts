import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../actors/contract/index.ts";
import type { ModelServingReported } from "../../actors/model/index.ts";
import { decodeMessage } from "../../infra/nats/index.ts";
import type { ModelRegistry } from "../../infra/models/index.ts";
import type { TrainingJobs } from "./training-jobs.ts";
import {
  type ForecasterKind,
  parseTrainingRequest,
  selectionMetric,
  type TrainingJob,
  type TrainingRequestInput,
} from "../../actors/training-job/index.ts";

type ShadowFigures = NonNullable<ModelServingReported["challenger"]>;

export interface RetrainOutcome {
  job: string;
  name: string;
  /** the candidate, registered; undefined where the job did not register one */
  candidate?: number;
  live?: number;
  promoted: boolean;
  reason: string;
  shadow?: ShadowFigures;
}

/**
 * Whether a candidate replaces the live version. Both are judged on the job's selection figure out of sample
 * (purged CV: IC for gbt, pinball loss for seq); a shadow run of the candidate beside the live version counts where
 * it ran: a candidate that failed in it, or answered nothing, is not promoted whatever its figures.
 */
export function retrainDecision(
  kind: ForecasterKind,
  candidate: Record<string, number>,
  live: Record<string, number> | undefined,
  shadow?: ShadowFigures,
): { promote: boolean; reason: string } {
  const { key, higherIsBetter } = selectionMetric[kind];
  const c = candidate[key];
  if (c === undefined || !Number.isFinite(c)) return { promote: false, reason: `the candidate has no out-of-sample ${key}` };
  if (shadow && shadow.failures > 0) return { promote: false, reason: `the candidate failed ${shadow.failures} times in its shadow run` };
  if (shadow && shadow.compared === 0) return { promote: false, reason: "the candidate's shadow run compared no forecast" };
  if (!live) return { promote: true, reason: `no live version: the candidate's ${key} ${c} stands alone` };
  const l = live[key];
  if (l === undefined || !Number.isFinite(l)) return { promote: true, reason: `the live version has no out-of-sample ${key}` };
  const better = higherIsBetter ? c > l : c < l;
  const seen = shadow ? ` (shadow: ${shadow.compared} forecasts compared, sign agreement ${shadow.signAgreement ?? "n/a"})` : "";
  return better
    ? { promote: true, reason: `out-of-sample ${key} ${c} beats the live version's ${l}${seen}` }
    : { promote: false, reason: `out-of-sample ${key} ${c} does not beat the live version's ${l}${seen}` };
}

export interface RetrainOptions {
  /** run the candidate in shadow beside the live version this long before deciding (default 0: no shadow run) */
  shadowMs?: number;
  /** promote a candidate that beats the live version (default true); false: judged and registered only */
  promote?: boolean;
  /** judge this training job (started before, e.g. by a schedule on a node since lost) instead of starting one */
  job?: string;
  /** told the candidate's job as soon as it started */
  onJobStarted?: (job: string) => void;
}

/**
 * One rolling retrain: trains a candidate on the request's dataset, registers it, and promotes it only if it beats
 * the live (promoted) version out of sample; otherwise it stays registered, not promoted, and the outcome says why.
 */
export async function retrainOnce(
  nc: NatsConnection,
  jobs: TrainingJobs,
  registry: ModelRegistry,
  input: TrainingRequestInput,
  startedBy: string,
  o: RetrainOptions = {},
): Promise<RetrainOutcome> {
  const request = parseTrainingRequest(input);
  const id = o.job ?? (await jobs.start(request, startedBy)).job;
  if (!o.job) o.onJobStarted?.(id);
  const job: TrainingJob = await jobs.settled(id);
  const name = job.name;
  if (job.phase !== "registered" || !job.selected)
    return { job: job.job, name, promoted: false, reason: `the training job ended ${job.phase}${job.error ? `: ${job.error}` : ""}` };
  const liveVersion = await registry.promotedVersion(name);
  const live = liveVersion === undefined ? undefined : (await registry.get(name, liveVersion)).card;
  let shadow: ShadowFigures | undefined;
  if (live && (o.shadowMs ?? 0) > 0) shadow = await shadowRun(nc, registry, name, job.version, o.shadowMs!, startedBy);
  const d = retrainDecision(request.model, job.selected.metrics, live?.validation, shadow);
  const promote = d.promote && o.promote !== false;
  if (promote) await registry.promote(name, job.version);
  return {
    job: job.job,
    name,
    candidate: job.version,
    ...(liveVersion !== undefined ? { live: liveVersion } : {}),
    promoted: promote,
    reason: d.promote && !promote ? `${d.reason}; registered only (the schedule never promotes)` : d.reason,
    ...(shadow ? { shadow } : {}),
  };
}

/** Shadows the candidate beside the live version for `ms`; the last figures its model actors reported. */
async function shadowRun(
  nc: NatsConnection,
  registry: ModelRegistry,
  name: string,
  version: number,
  ms: number,
  by: string,
): Promise<ShadowFigures | undefined> {
  let last: ShadowFigures | undefined;
  const sub = nc.subscribe(subjects.sys("model-stats", name), {
    callback: (err, m) => {
      if (err) return;
      const r = decodeMessage(m.data, m.headers, false).message as unknown as ModelServingReported;
      if (r.challenger?.version === version && r.challenger.mode === "shadow") last = r.challenger;
    },
  });
  try {
    await registry.startChallenge(name, version, "shadow", undefined, by);
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    sub.unsubscribe();
    await registry.endChallenge(name).catch(() => undefined);
  }
  return last;
}
