import type { ActorView } from "../protocol.ts";
import { state } from "./state.js";

/** An actor as a row shows it: from the tree, or a quarantined one no cell runs. */
export type ActorRow = ActorView & { node?: string; cell?: number };

export const actorKey = (a: { kind: string; id: string }): string => `${a.kind}/${a.id}`;

export function findActor(kind: string, id: string): ActorRow | null {
  for (const n of state.tree) {
    for (const c of n.cells ?? []) for (const k of c.kinds ?? []) for (const a of k.actors ?? []) if (a.kind === kind && a.id === id) return { ...a, node: n.node, cell: c.cell };
    const q = (n.quarantined ?? []).find((x) => x.key === `${kind}/${id}`);
    if (q) return { kind, id, status: "quarantined", reason: q.reason, node: n.node };
  }
  return null;
}

export const statusOf = (a: ActorView): string => (a.status === "quarantined" || a.reason ? "quarantined" : (a.status ?? "unknown"));
export const stateText = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
