import type { LifecycleRow } from "../../protocol.ts";
import { findActor, statusOf, stateText } from "../actors.js";
import { $, badge, esc, table } from "../dom.js";
import { timeOfMs, timeOfUs } from "../format.js";
import { call } from "../link.js";
import { state } from "../state.js";
import { renderControls } from "./controls.js";
import { renderTree } from "./tree.js";

/** Selects an actor: the tree marks it, the detail panel shows it, then fills in its status from its node. */
export async function selectActor(kind: string, id: string): Promise<void> {
  state.selected = { kind, id };
  state.detail = null;
  renderTree();
  renderDetail();
  renderControls();
  const d = await call({ op: "detail", kind, id });
  if (state.selected?.kind === kind && state.selected?.id === id) {
    state.detail = d.type === "detail" ? d : null;
    renderDetail();
  }
}

/** Lifecycle events from both sources, once each, newest first. */
function mergeEvents(a: LifecycleRow[], b: LifecycleRow[]): LifecycleRow[] {
  const seen = new Set<string>();
  const out: LifecycleRow[] = [];
  for (const e of [...a, ...b]) {
    const k = `${e.tsEvent}|${e.event}|${e.node}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out.sort((x, y) => Number(y.tsEvent) - Number(x.tsEvent));
}

/** What the selected actor's node reported about it, beyond the tree's row. */
interface ActorStatus {
  reason?: string;
  state?: unknown;
  node?: string;
  cell?: number;
  context?: unknown;
}

export function renderDetail(): void {
  const s = state.selected;
  if (!s) return;
  $("detail-title").textContent = `${s.kind}/${s.id}`;
  const a = findActor(s.kind, s.id) ?? { kind: s.kind, id: s.id, status: "stopped" };
  const st = statusOf(a);
  const status = (state.detail?.status.result ?? {}) as ActorStatus;
  const events = mergeEvents(
    state.detail?.events ?? [],
    state.lifecycle.filter((e) => e.kind === s.kind && e.id === s.id),
  );
  const restartsHist = events.filter((e) => e.event === "failed" || e.event === "restarted" || e.event === "quarantined");
  const kv = (k: string, v: unknown) => `<dt>${esc(k)}</dt><dd>${v}</dd>`;
  const ctx = a.context ?? status.context;
  $("detail-body").innerHTML = `
<dl class="kv">
${kv("status", `${badge(st)}${st === "quarantined" ? ` <span class="dim">${esc(a.reason ?? status.reason ?? "")}</span>` : ""}`)}
${kv("state", esc(stateText(a.state ?? status.state)) || "—")}
${kv("node / cell", `${esc(a.node ?? status.node ?? "—")} / ${esc(a.cell ?? status.cell ?? "—")}`)}
${kv("restarts", `<span class="${Number(a.restarts) ? "err" : ""}">${esc(a.restarts ?? 0)}</span>`)}
${kv("mailbox", esc(a.mailbox ?? "—"))}
${kv("processed", esc(a.processed ?? "—"))}
${kv("dead-lettered", esc(a.deadLettered ?? 0))}
${kv("busy refusals", esc(a.busyRefusals ?? 0))}
${kv("replayed at restore", esc(a.replayed ?? 0))}
${kv("started", a.startedAt ? timeOfMs(a.startedAt) : "—")}
${kv("last error", a.lastError ? `<span class="err">${esc(a.lastError)}</span>` : "—")}
</dl>
<h4>Context summary</h4>
${
  ctx && typeof ctx === "object"
    ? `<dl class="kv">${Object.entries(ctx)
        .map(([k, v]) => kv(k, esc(typeof v === "object" ? JSON.stringify(v) : v)))
        .join("")}</dl>`
    : `<div class="dim">${ctx === undefined ? "the kind has no summary" : esc(ctx)}</div>`
}
<h4>Restart history</h4>
${table(
  ["Time", "Event", "Restarts", "Reason"],
  restartsHist
    .slice(0, 20)
    .map((e) => [timeOfUs(e.tsEvent), badge(e.event), e.restarts, `<span class="err">${esc(e.reason ?? "")}</span>`]),
  "no failures seen",
)}
<h4>Recent lifecycle events</h4>
${table(
  ["Time", "Event", "Node", "Reason"],
  events.slice(0, 30).map((e) => [timeOfUs(e.tsEvent), badge(e.event), esc(e.node), esc(e.reason ?? "")]),
  "no events seen",
)}`;
  renderControls();
}
