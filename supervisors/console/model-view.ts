import type { ModelServingReported } from "../../actors/model/index.ts";
import type { ModelChallenge, RegisteredModel } from "../../infra/models/index.ts";
import type { ModelRow, ModelServingView } from "./protocol.ts";

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
    });
    if (c.promoted) r.promoted = c.version;
  }
  for (const { name, ...c } of challenges) row(name).challenge = c;
  for (const name of reports.keys()) row(name);
  for (const r of rows.values()) r.versions.sort((a, b) => a.version - b.version);
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}
