import type { ModelRow, ModelServingView, TrainingJobRow } from "../../protocol.ts";
import { confirmAction, toast } from "../dialogs.js";
import { $, badge, closest, esc, table } from "../dom.js";
import { call } from "../link.js";
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
            `<span class="mono" title="registered by ${esc(v.registeredBy)}${v.ic === undefined ? "" : `, ic ${v.ic.toFixed(3)}`}">v${v.version}</span> ${badge(v.stage === "promoted" ? "ok" : "off", v.stage)}${lineage(v.lineage)}`,
        )
        .join(" ")
    : `<span class="dim">not registered</span>`;

/** Model version → dataset manifest → job: what the version learned from and which job made it. */
const lineage = (l: ModelRow["versions"][number]["lineage"]): string =>
  l
    ? ` <span class="dim mono" data-lineage title="dataset sha256 ${esc(l.datasetSha256)}">← ${esc(l.dataset)} ${esc(l.datasetSha256.slice(0, 8))}${l.job ? ` ← ${esc(l.job)}` : ""}</span>`
    : "";

/**
 * A job's validation curves: one line per trial of its selection figure across the purged folds, the selected
 * trial drawn solid, the others faint; the fold figures in the tooltip.
 */
function curves(j: TrainingJobRow): string {
  const values = j.curves.flat().filter((v): v is number => v !== null);
  if (!values.length) return `<span class="dim">no fold scored yet</span>`;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const w = 120;
  const h = 28;
  const x = (fold: number) => (j.curves[0]!.length > 1 ? (fold / (j.curves[0]!.length - 1)) * (w - 4) + 2 : w / 2);
  const y = (v: number) => (hi > lo ? h - 2 - ((v - lo) / (hi - lo)) * (h - 4) : h / 2);
  const lines = j.curves
    .map((trial, t) => {
      const pts = trial.flatMap((v, fold) => (v === null ? [] : [`${x(fold).toFixed(1)},${y(v).toFixed(1)}`]));
      const chosen = t === j.selectedTrial;
      return `<polyline points="${pts.join(" ")}" fill="none" stroke="currentColor" stroke-width="${chosen ? 2 : 1}" opacity="${chosen ? 1 : 0.35}"/>`;
    })
    .join("");
  const tip = j.curves.map((trial, t) => `trial ${t}: ${trial.map((v) => (v === null ? "…" : v.toPrecision(3))).join(" ")}`).join("\n");
  return `<svg class="curve" data-curves="${esc(j.job)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><title>${esc(`${j.metric} by fold\n${tip}`)}</title>${lines}</svg> <span class="dim">${esc(j.metric)} ${lo.toPrecision(3)}…${hi.toPrecision(3)}</span>`;
}

const jobPhase: Record<TrainingJobRow["phase"], string> = { running: "warn", registered: "ok", cancelled: "off", failed: "down" };

function trainingJobs(jobs: readonly TrainingJobRow[]): string {
  return table(
    ["Job", "Model", "Phase", "Dataset", "Validation (purged folds)", "Started"],
    jobs.map((j) => [
      `<span class="mono" data-job="${esc(j.job)}">${esc(j.job)}</span>`,
      `<span class="mono">${esc(j.name)} v${j.version}</span> <span class="dim">${esc(j.model)}</span>`,
      `${badge(jobPhase[j.phase], j.phase === "running" ? `running ${percent(j.progress)}` : j.phase)}${j.attempts > 1 ? ` <span class="dim">${j.attempts} processes</span>` : ""}${j.error ? ` <span class="down" title="${esc(j.error)}">error</span>` : ""}`,
      `<span class="mono" title="sha256 ${esc(j.datasetSha256)}">${esc(j.dataset)}</span>`,
      curves(j),
      `${esc(j.startedBy)} ${timeOfMs(Math.floor(j.startedAtUs / 1000))}`,
    ]),
    "no training jobs",
  );
}

const percent = (x: number | undefined): string => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

/** Starting or ending a challenge changes what trades: admins only (the server checks it again). */
const CHALLENGE_ROLE = "admin";
const canChallenge = (): boolean => state.me?.role === CHALLENGE_ROLE;

/**
 * The challenge the registry holds (version, mode, share) and what the actor reports of it: in shadow the
 * agreement of signs, the mean and max absolute difference, and each side's inference time per batch; as a canary
 * the requests it answered. With the controls to start or end one.
 */
function challenger(m: ModelRow): string {
  const c = m.challenge;
  const fig = m.serving?.challenger;
  const gate = canChallenge() ? "" : ` disabled title="needs role ${CHALLENGE_ROLE} (you are ${esc(state.me?.role ?? "signed out")})"`;
  const refused = m.serving?.challengerRefused ? ` <span class="down" title="${esc(m.serving.challengerRefused)}">dropped</span>` : "";
  if (!c)
    return `<button class="btn btn-ghost" data-challenge-start="${esc(m.name)}"${gate}>Challenge…</button> <span class="dim">none</span>${refused}`;
  const head = `<span class="mono">v${c.version}</span> ${badge(c.mode === "canary" ? "warn" : "off", c.mode === "canary" ? `canary ${percent(c.share)}` : "shadow")}`;
  const figures =
    fig && fig.version === c.version
      ? [
          fig.loaded ? "" : `<span class="dim">loading</span>`,
          fig.mode === "canary" ? `answered ${groupDigits(String(fig.canaryServed ?? 0))}` : "",
          fig.compared
            ? `agree ${percent(fig.signAgreement)} · mean |Δ| ${fig.meanAbsDiff?.toPrecision(3)} · max |Δ| ${fig.maxAbsDiff?.toPrecision(3)}`
            : "",
          fig.championRunUs !== undefined || fig.challengerRunUs !== undefined
            ? `run ${latency(fig.championRunUs)} / ${latency(fig.challengerRunUs)}`
            : "",
          fig.failures ? `<span class="down">${fig.failures} failed</span>` : "",
        ]
          .filter(Boolean)
          .join(" · ")
      : `<span class="dim">no report yet</span>`;
  return `<button class="btn btn-ghost" data-challenge-end="${esc(m.name)}"${gate}>End</button> ${head}${refused}<br><span class="mono" data-challenger="${esc(m.name)}">${figures}</span>`;
}

let shownHtml = "";

/** Each model: its registered versions and stages, and what its actor reported (version served, latency, batches). */
export function renderModels(): void {
  const f = state.models;
  if (!f) return;
  $("models-at").textContent = timeOfMs(f.at);
  const html =
    (f.registryError ? `<div class="down">${esc(f.registryError)}</div>` : "") +
    table(
      ["Model", "Versions", "Serving", "p50", "p99", "Batch", "Served", "Challenger (run: serving / challenger)"],
      f.models.map((m) => [
        `<span class="mono" data-model="${esc(m.name)}">${esc(m.name)}</span>`,
        versions(m),
        ...serving(m.serving, f.at),
        challenger(m),
      ]),
      "no models in the registry and none reporting",
    ) +
    `<h3 class="dim">Training jobs</h3>${trainingJobs(f.jobs ?? [])}`;
  // the same rows are not written again: a button under the pointer stays the one clicked
  if (html === shownHtml) return;
  shownHtml = html;
  $("models-body").innerHTML = html;
}

/** "v3 shadow" or "v3 canary 0.1", as typed in the dialog. */
function parseChallenge(text: string): { version: number; mode: "shadow" | "canary"; share?: number } | string {
  const m = /^v?(\d+)\s+(shadow|canary)(?:\s+([0-9.]+))?$/i.exec(text.trim());
  if (!m) return `type a version and a mode: "v3 shadow" or "v3 canary 0.1" (got "${text}")`;
  const mode = m[2]!.toLowerCase() as "shadow" | "canary";
  return { version: Number(m[1]), mode, ...(m[3] !== undefined ? { share: Number(m[3]) } : {}) };
}

/** The challenge controls: start one with a typed version and mode, end one after confirming. */
export function mountModels(): void {
  $("models-body").addEventListener("click", async (e) => {
    const start = closest<HTMLButtonElement>(e, "button[data-challenge-start]");
    const end = closest<HTMLButtonElement>(e, "button[data-challenge-end]");
    const b = start ?? end;
    if (!b || b.disabled) return;
    const model = (start ? start.dataset.challengeStart : end?.dataset.challengeEnd) ?? "";
    if (end) {
      const ok = await confirmAction({
        title: `End the challenge of ${model}?`,
        text: "Every node serving the model drops its challenger; the promoted version answers every request.",
        confirmLabel: "End",
      });
      if (ok === null) return;
      const r = await call({ op: "endChallenge", model });
      toast(r.ok ? `${r.what}: done` : `${r.what ?? "end challenge"}: ${r.error?.message ?? "failed"}`, r.ok);
      return;
    }
    const typed = await confirmAction({
      title: `Challenge the promoted version of ${model}`,
      text: "Shadow: another version scores the same requests, compared, never answered. Canary: it answers a share (0 to 1) of them. Every node serving the model runs it until it is ended or promoted.",
      reason: true,
      reasonRequired: true,
      reasonLabel: "Version and mode (v3 shadow, v3 canary 0.1)",
      confirmLabel: "Start",
    });
    if (typed === null) return;
    const spec = parseChallenge(typed);
    if (typeof spec === "string") return toast(spec, false);
    const r = await call({ op: "startChallenge", model, ...spec });
    toast(r.ok ? `${r.what}: started` : `${r.what ?? "challenge"}: ${r.error?.message ?? "failed"}`, r.ok);
  });
}
