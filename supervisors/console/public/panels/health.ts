import type { ClusterHealth, StreamHealth } from "../../protocol.ts";
import { $, badge, esc, table } from "../dom.js";
import { fmtBytes, groupDigits, timeOfMs } from "../format.js";
import { state } from "../state.js";

const card = (title: string, ok: boolean, value: string, error: string | undefined) =>
  `<div class="health-card"><div class="t">${esc(title)} ${badge(ok ? "ok" : "bad", ok ? "ok" : "down")}</div><div class="v">${value}</div>${error ? `<div class="e">${esc(error)}</div>` : ""}</div>`;

/** The nodes and actors card: how many run against what is declared. */
function clusterCard(c: ClusterHealth): string {
  const declared = c.declared === undefined ? "" : ` of ${c.declared} declared`;
  return card(
    "Cluster",
    c.ok,
    `${c.nodes.length} node${c.nodes.length === 1 ? "" : "s"} · ${c.running} actors running${declared}`,
    c.missing.length ? `not running: ${c.missing.slice(0, 5).join(", ")}${c.missing.length > 5 ? "…" : ""}` : undefined,
  );
}

/** A stream's byte limit and the share used; red when it refuses new messages once full and is nearly there. */
function limitCell(s: StreamHealth): string {
  if (!s.maxBytes) return `<span class="mono dim">none</span>`;
  const title = s.refusesWhenFull ? "once full, it refuses new messages" : "once full, it drops its oldest messages";
  return `<span class="mono${s.nearlyFull ? " err" : " dim"}" title="${title}">${fmtBytes(s.maxBytes)} · ${Math.floor((100 * s.bytes) / s.maxBytes)} %</span>`;
}

/** The platform's status (degraded with its reasons), then NATS, JetStream, QuestDB and the cluster, and the streams. */
export function renderHealth(): void {
  const h = state.health;
  if (!h) return;
  $("health-at").textContent = timeOfMs(h.at);
  const kpi = $("kpi-health");
  kpi.className = `badge st-${h.status === "ok" ? "ok" : "degraded"}`;
  kpi.textContent = h.status;
  kpi.title = h.reasons.join("\n");
  const n = h.nats;
  const q = h.questdb;
  const streams = h.jetstream.streams;
  $("health-body").innerHTML =
    `<div class="health-status" id="health-status" data-status="${esc(h.status)}">${badge(h.status === "ok" ? "ok" : "degraded", h.status)}${h.reasons.length ? `<ul>${h.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : ""}</div>
<div class="health-grid">
${card("NATS", n.ok, `${esc(n.version ?? "")} rtt ${n.rttMs ?? "—"} ms${n.healthz ? ` · healthz ${esc(n.healthz)}` : ""}`, n.error)}
${card("JetStream", h.jetstream.ok, `${streams.length} streams · ${groupDigits(String(streams.reduce((s, x) => s + x.messages, 0)))} msgs`, h.jetstream.error)}
${q.configured ? card("QuestDB", q.ok, q.ok ? `SELECT 1 in ${q.latencyMs} ms` : "unreachable", q.error) : card("QuestDB", false, "not configured", "")}
${h.cluster ? clusterCard(h.cluster) : ""}
</div>
${table(
  ["Stream", "Messages", "Bytes", "Limit", "Consumers", "Last seq"],
  streams.map((s) => [
    `<span class="mono">${esc(s.name)}</span>`,
    `<span class="mono">${groupDigits(String(s.messages))}</span>`,
    `<span class="mono">${fmtBytes(s.bytes)}</span>`,
    limitCell(s),
    `<span class="mono">${s.consumers}</span>`,
    `<span class="mono dim">${s.lastSeq}</span>`,
  ]),
  "no streams",
)}`;
}
