import type { ModelRow, ModelServingView } from "../../protocol.ts";
import { $, badge, esc, table } from "../dom.js";
import { groupDigits, timeOfMs } from "../format.js";
import { state } from "../state.js";

/** A latency in µs as the panel shows it: µs below a millisecond, ms with two decimals above. */
const latency = (us: number | undefined): string =>
  us === undefined ? "—" : us < 1_000 ? `${Math.round(us)} µs` : `${(us / 1_000).toFixed(2)} ms`;

/** A report older than this is from an actor that stopped answering (it reports once a second while it serves). */
const STALE_MS = 5_000;

function serving(s: ModelServingView | null, at: number): string[] {
  if (!s) return [`<span class="dim">no requests yet</span>`, "—", "—", "—", "—"];
  const idle = at - s.reportedAt > STALE_MS;
  return [
    `<span class="mono">v${s.version}</span> ${badge(idle ? "off" : "ok", idle ? `idle since ${timeOfMs(s.reportedAt)}` : s.provider)}${s.swapRefused ? ` <span class="down" title="${esc(s.swapRefused)}">swap refused</span>` : ""}`,
    `<span class="mono">${latency(s.latencyP50Us)}</span>`,
    `<span class="mono">${latency(s.latencyP99Us)}</span>`,
    `<span class="mono">${s.meanBatch === undefined ? "—" : s.meanBatch.toFixed(1)}</span>`,
    `<span class="mono">${groupDigits(String(s.served))}${s.failures ? ` <span class="down">${s.failures} failed</span>` : ""}</span>`,
  ];
}

const versions = (m: ModelRow): string =>
  m.versions.length
    ? m.versions
        .map(
          (v) =>
            `<span class="mono" title="registered by ${esc(v.registeredBy)}${v.ic === undefined ? "" : `, ic ${v.ic.toFixed(3)}`}">v${v.version}</span> ${badge(v.stage === "promoted" ? "ok" : "off", v.stage)}`,
        )
        .join(" ")
    : `<span class="dim">not registered</span>`;

/** Each model: its registered versions and stages, and what its actor reported (version served, latency, batches). */
export function renderModels(): void {
  const f = state.models;
  if (!f) return;
  $("models-at").textContent = timeOfMs(f.at);
  $("models-body").innerHTML =
    (f.registryError ? `<div class="down">${esc(f.registryError)}</div>` : "") +
    table(
      ["Model", "Versions", "Serving", "p50", "p99", "Batch", "Served"],
      f.models.map((m) => [
        `<span class="mono" data-model="${esc(m.name)}">${esc(m.name)}</span>`,
        versions(m),
        ...serving(m.serving, f.at),
      ]),
      "no models in the registry and none reporting",
    );
}
