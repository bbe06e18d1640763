import type { BacktestReportView, BacktestRunView } from "../../protocol.ts";
import { drawChart } from "../chart.js";
import { $, badge, closest, esc, table } from "../dom.js";
import { groupDigits, timeOfMs } from "../format.js";
import { call } from "../link.js";
import { state } from "../state.js";

const STATE_BADGE: Record<string, string> = { queued: "off", running: "warn", done: "ok", failed: "down" };
const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "—" : `${(x * 100).toFixed(2)}%`);
const num = (x: number | undefined, dp = 2): string => (x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(dp));
const day = (us: number): string => new Date(us / 1000).toISOString().slice(0, 10);

/** How far through its simulated span a run is, 0 to 1. */
const progressOf = (r: BacktestRunView): number =>
  r.state === "done" ? 1 : r.endUs > r.startUs ? Math.min(1, Math.max(0, (r.simulatedUs - r.startUs) / (r.endUs - r.startUs))) : 0;

function runRow(r: BacktestRunView): string[] {
  const p = progressOf(r);
  const selected = state.backtest?.id === r.id;
  return [
    `<span class="mono${selected ? " sel" : ""}" data-backtest="${esc(r.id)}" title="${esc(r.id)}">${esc(r.name)} <span class="dim">${esc(r.id.slice(0, 8))}</span></span>`,
    badge(STATE_BADGE[r.state] ?? "off", r.state),
    `<progress class="algo-bar" max="1" value="${p}"></progress> <span class="mono">${(p * 100).toFixed(0)}%</span>`,
    `<span class="mono">${day(r.startUs)} → ${day(r.endUs)}</span>`,
    `<span class="mono">${groupDigits(String(r.records))}</span>`,
    `<span class="dim">${esc(r.submittedBy)}</span>${r.error ? ` <span class="down">${esc(r.error)}</span>` : ""}`,
  ];
}

function figures(r: BacktestReportView): string {
  const p = r.performance;
  const rows: [string, string][] = [
    ["P&L", num(r.pnl)],
    ["Equity", `${num(r.initialEquity)} → ${num(r.finalEquity)}`],
    ["Total return", pct(p.totalReturn)],
    ["Annualised", pct(p.annualisedReturn)],
    ["Volatility", pct(p.volatility)],
    ["Sharpe", num(p.sharpe)],
    ["Sortino", num(p.sortino)],
    ["Calmar", num(p.calmar)],
    ["Max drawdown", `${pct(p.maxDrawdown)} (${num(p.maxDrawdownPeriods, 0)} samples)`],
    ["Hit rate", pct(p.hitRate)],
    ["Profit factor", num(p.profitFactor)],
    ["Turnover", num(p.turnover)],
    ["Exposure", pct(p.exposure)],
    ["Orders / fills", `${r.orders} / ${r.fills}`],
    ["Fees", num(r.fees)],
    ["Records", groupDigits(String(r.records))],
    ["Run time", `${groupDigits(String(r.wallMs))} ms wall, ${groupDigits(String(r.cpuMs))} ms CPU`],
    ["Journal", `<span class="mono" title="${esc(r.journal.sha256)}">${esc(r.journal.sha256.slice(0, 16))}…</span>`],
  ];
  // two figures a line: the report fits beside its curve
  const cells = rows.map(([k, v]) => [`<span class="dim">${esc(k)}</span>`, `<span class="mono">${v.startsWith("<") ? v : esc(v)}</span>`]);
  const lines: string[][] = [];
  for (let i = 0; i < cells.length; i += 2) lines.push([...cells[i]!, ...(cells[i + 1] ?? ["", ""])]);
  return table(["Figure", "Value", "Figure", "Value"], lines, "");
}

/** The selected run's report and its equity curve. */
function renderReport(): void {
  const b = state.backtest;
  const body = $("backtest-report");
  const canvas = $<HTMLCanvasElement>("backtest-chart");
  if (!b) return;
  if (b.error) body.innerHTML = `<div class="down">${esc(b.error)}</div>`;
  else if (!b.report) body.innerHTML = `<div class="dim">loading the report of ${esc(b.id)}…</div>`;
  else body.innerHTML = `<h4 data-report="${esc(b.id)}">${esc(b.report.name)} · ${esc(b.id)}</h4>${figures(b.report)}`;
  drawChart(canvas, b.report?.equity ?? [], { title: "equity" });
}

/** The node's backtests: status and progress of each; a finished one's report on click. */
export function renderBacktests(): void {
  const f = state.backtests;
  if (!f) return;
  $("backtests-at").textContent = timeOfMs(f.at);
  $("backtests-body").innerHTML = table(
    ["Run", "State", "Progress", "Range", "Records", "By"],
    f.runs.map(runRow),
    "no backtests on this node (submit one over gRPC Backtests)",
  );
  renderReport();
}

async function showReport(id: string): Promise<void> {
  state.backtest = { id };
  renderBacktests();
  const answer = await call({ op: "backtestReport", id });
  if (state.backtest?.id !== id) return;
  if (answer.type === "disconnected") state.backtest = { id, error: answer.error.message };
  else state.backtest = { id, ...(answer.report ? { report: answer.report } : {}), ...(answer.error ? { error: answer.error } : {}) };
  renderBacktests();
}

export function mountBacktests(): void {
  $("backtests-body").addEventListener("click", (e) => {
    const el = closest(e, "[data-backtest]") ?? closest<HTMLElement>(e, "tr")?.querySelector<HTMLElement>("[data-backtest]");
    const id = el?.dataset.backtest;
    if (id) void showReport(id);
  });
  window.addEventListener("resize", () => {
    if (state.backtest?.report) drawChart($<HTMLCanvasElement>("backtest-chart"), state.backtest.report.equity, { title: "equity" });
  });
}
