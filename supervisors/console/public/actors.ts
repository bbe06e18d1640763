import type { ActorView } from "../protocol.ts";
import { state } from "./state.js";

/** An actor as a row shows it: from the tree, or a quarantined one no cell runs. */
export type ActorRow = ActorView & { node?: string; cell?: number };

export const actorKey = (a: { kind: string; id: string }): string => `${a.kind}/${a.id}`;

export function findActor(kind: string, id: string): ActorRow | null {
  for (const n of state.tree) {
    for (const c of n.cells ?? [])
      for (const k of c.kinds ?? [])
        for (const a of k.actors ?? []) if (a.kind === kind && a.id === id) return { ...a, node: n.node, cell: c.cell };
    const q = (n.quarantined ?? []).find((x) => x.key === `${kind}/${id}`);
    if (q) return { kind, id, status: "quarantined", reason: q.reason, node: n.node };
  }
  return null;
}

export const statusOf = (a: ActorView): string => (a.status === "quarantined" || a.reason ? "quarantined" : (a.status ?? "unknown"));
/** Words from a camelCase state name: "partiallyFilled" → "partially filled". */
export const words = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();

/**
 * A machine's state as words: nested states joined by "›" ({ open: { working: "partiallyFilled" } } → "open › working
 * › partially filled"), parallel regions by ";". Operators read states, not JSON.
 */
export function stateText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "object") return words(String(v));
  return Object.entries(v as Record<string, unknown>)
    .map(([k, sub]) => {
      const inner = stateText(sub);
      return inner ? `${words(k)} › ${inner}` : words(k);
    })
    .join("; ");
}
