import type { RegisteredModel } from "../../infra/models/index.ts";
import type { ModelRow, ModelServingView, NodeTree } from "./protocol.ts";

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * The models panel's rows: the registry's versions of each model joined with the model actors in the nodes' trees
 * (id = the model's name; their summary carries the version served, counts, latency quantiles and mean batch).
 * A model deployed on a node but not registered still shows, with no versions.
 */
export function modelRows(cards: readonly RegisteredModel[], tree: readonly NodeTree[]): ModelRow[] {
  const rows = new Map<string, ModelRow>();
  const row = (name: string): ModelRow => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { name, versions: [], serving: [] }));
    return r;
  };
  for (const c of cards) {
    const r = row(c.name);
    r.versions.push({
      version: c.version,
      stage: c.status === "retired" ? "retired" : c.promoted ? "promoted" : "registered",
      registeredBy: c.registeredBy,
      registeredAtUs: c.registeredAtUs,
      ic: num(c.validation.ic),
    });
    if (c.promoted) r.promoted = c.version;
  }
  for (const n of tree)
    for (const cell of n.cells ?? [])
      for (const k of cell.kinds ?? []) {
        if (k.kind !== "model") continue;
        for (const a of k.actors ?? []) {
          const s = (a.context ?? {}) as Record<string, unknown>;
          const view: ModelServingView = { node: n.node, status: a.status ?? "unknown" };
          for (const key of ["version", "served", "batches", "failures", "queued", "window", "latencyP50Us", "latencyP99Us", "meanBatch"] as const) {
            const v = num(s[key]);
            if (v !== undefined) view[key] = v;
          }
          if (typeof s.loaded === "boolean") view.loaded = s.loaded;
          const provider = text(s.provider);
          if (provider !== undefined) view.provider = provider;
          const refused = text(s.swapRefused);
          if (refused !== undefined) view.swapRefused = refused;
          row(a.id).serving.push(view);
        }
      }
  for (const r of rows.values()) r.versions.sort((a, b) => a.version - b.version);
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}
