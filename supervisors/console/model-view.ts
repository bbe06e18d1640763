import type { ModelServingReported } from "../../actors/model/index.ts";
import type { ModelChallenge, RegisteredModel } from "../../infra/models/index.ts";
import { selectionMetric, type TrainingJob } from "../research/index.ts";
import type { ModelRow, ModelServingView, TrainingJobRow } from "./protocol.ts";

/** A model actor's report as the panel shows it, stamped with when it came. */
export function servingView(r: ModelServingReported, reportedAt: number): ModelServingView {
  const { model: _model, tsEvent: _tsEvent, tsInit: _tsInit, ...figures } = r;
  return { ...figures, reportedAt };
}

/**
 * The models panel's rows: the registry's versions and challenge of each model joined with its actor's latest
 * report. A model that reports without being registered (a node deploys its committed files) still shows, with no
 * versions.
 */
export function modelRows(
  cards: readonly RegisteredModel[],
  reports: ReadonlyMap<string, ModelServingView>,
  challenges: readonly ModelChallenge[] = [],
): ModelRow[] {
  const rows = new Map<string, ModelRow>();
  const row = (name: string): ModelRow => {
    const known = rows.get(name);
    if (known) return known;
    const r: ModelRow = { name, versions: [], serving: reports.get(name) ?? null };
    rows.set(name, r);
    return r;
  };
  for (const c of cards) {
    const r = row(c.name);
    const ic = c.validation.ic;
    r.versions.push({
      version: c.version,
      stage: c.status === "retired" ? "retired" : c.promoted ? "promoted" : "registered",
      registeredBy: c.registeredBy,
      registeredAtUs: c.registeredAtUs,
      ...(typeof ic === "number" ? { ic } : {}),
      ...lineageOf(c.trainingData),
    });
    if (c.promoted) r.promoted = c.version;
  }
  for (const { name, ...c } of challenges) row(name).challenge = c;
  for (const name of reports.keys()) row(name);
  for (const r of rows.values()) r.versions.sort((a, b) => a.version - b.version);
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A card's training data names its dataset (and job) where a training job registered it. */
function lineageOf(d: RegisteredModel["trainingData"]): { lineage?: NonNullable<ModelRow["versions"][number]["lineage"]> } {
  if (typeof d.dataset !== "string" || typeof d.datasetSha256 !== "string") return {};
  return { lineage: { dataset: d.dataset, datasetSha256: d.datasetSha256, ...(typeof d.job === "string" ? { job: d.job } : {}) } };
}

/** Training jobs as the panel's rows: each trial's selection figure fold by fold (its validation curve). */
export function trainingJobRows(jobs: readonly TrainingJob[]): TrainingJobRow[] {
  return jobs.map((j) => {
    const { key } = selectionMetric[j.request.model];
    const curves = j.trials.map(() => new Array<number | null>(j.folds).fill(null));
    for (const s of j.scores) {
      const v = s.metrics[key];
      if (v !== undefined && curves[s.trial]) curves[s.trial]![s.fold] = v;
    }
    return {
      job: j.job,
      phase: j.phase,
      model: j.request.model,
      name: j.name,
      version: j.version,
      dataset: j.dataset,
      datasetSha256: j.datasetSha256,
      progress: j.phase === "registered" ? 1 : j.scores.length / Math.max(1, j.trials.length * j.folds),
      metric: key,
      curves,
      ...(j.selected ? { selectedTrial: j.selected.trial } : {}),
      attempts: j.attempts,
      startedBy: j.startedBy,
      startedAtUs: j.startedAtUs,
      ...(j.error ? { error: j.error } : {}),
    };
  });
}
