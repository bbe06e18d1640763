import { $, badge, esc, table } from "../dom.js";
import { fmtBytes, groupDigits, timeOfMs } from "../format.js";
import { state } from "../state.js";

const card = (title: string, ok: boolean, value: string, error: string | undefined) =>
  `<div class="health-card"><div class="t">${esc(title)} ${badge(ok ? "ok" : "bad", ok ? "ok" : "down")}</div><div class="v">${value}</div>${error ? `<div class="e">${esc(error)}</div>` : ""}</div>`;

/** NATS, JetStream and QuestDB as the last probe found them, and the streams' sizes. */
export function renderHealth(): void {
  const h = state.health;
  if (!h) return;
  $("health-at").textContent = timeOfMs(h.at);
  const n = h.nats;
  const q = h.questdb;
  const streams = h.jetstream.streams;
  $("health-body").innerHTML = `<div class="health-grid">
${card("NATS", n.ok, `${esc(n.version ?? "")} rtt ${n.rttMs ?? "—"} ms${n.healthz ? ` · healthz ${esc(n.healthz)}` : ""}`, n.error)}
${card("JetStream", h.jetstream.ok, `${streams.length} streams · ${groupDigits(String(streams.reduce((s, x) => s + x.messages, 0)))} msgs`, h.jetstream.error)}
${q.configured ? card("QuestDB", q.ok, q.ok ? `SELECT 1 in ${q.latencyMs} ms` : "unreachable", q.error) : card("QuestDB", false, "not configured", "")}
</div>
${table(["Stream", "Messages", "Bytes", "Consumers", "Last seq"], streams.map((s) => [`<span class="mono">${esc(s.name)}</span>`, `<span class="mono">${groupDigits(String(s.messages))}</span>`, `<span class="mono">${fmtBytes(s.bytes)}</span>`, `<span class="mono">${s.consumers}</span>`, `<span class="mono dim">${s.lastSeq}</span>`]), "no streams")}`;
}
