import type { RiskAnalyticsView } from "../../protocol.ts";
import { badge, esc, table } from "../dom.js";
import { groupDigits, timeOfUs } from "../format.js";
import { state } from "../state.js";

/** A float figure in the book's currency, whole units with grouped digits (losses are positive). */
const money = (v: number | null | undefined): string =>
  typeof v === "number" && Number.isFinite(v) ? `${v < 0 ? "-" : ""}${groupDigits(Math.abs(Math.round(v)).toString())}` : "—";
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const zoneStatus = (zone: string) => (zone === "GREEN" ? "running" : zone === "YELLOW" ? "restarting" : "failed");
const testBadge = (name: string, t: { pValue: number; rejected: boolean }) =>
  badge(t.rejected ? "failed" : "running", `${name} p=${t.pValue.toFixed(3)}`);

function varSection(a: RiskAnalyticsView): string {
  const v = a.valueAtRisk;
  if (!v.available) return `<div class="dim">VaR: ${esc(v.reason)}</div>`;
  return `<h4>VaR / ES at ${pct(v.confidence)} <span class="dim">(${v.samples} samples)</span></h4>${table(
    ["Method", "VaR", "ES"],
    v.estimates.map((e) => [
      esc(e.note ? `${e.method} (vol-scaled)` : e.method),
      `<span class="mono">${money(e.valueAtRisk)}</span>`,
      `<span class="mono">${money(e.expectedShortfall)}</span>`,
    ]),
    "no estimate",
  )}`;
}

function backtestSection(a: RiskAnalyticsView): string {
  const b = a.backtest;
  if (!b.available) return `<div class="dim">Backtest: ${esc(b.reason)}</div>`;
  return `<h4>VaR backtest</h4><div class="analytics-backtest" data-zone="${esc(b.trafficLight.zone)}">${badge(
    zoneStatus(b.trafficLight.zone),
    `traffic light ${b.trafficLight.zone}`,
  )} <span class="mono">${b.exceptions} / ${b.observations} exceptions</span> ${testBadge("Kupiec", b.kupiec)} ${testBadge(
    "independence",
    b.christoffersen.independence,
  )} ${testBadge("coverage", b.christoffersen.conditionalCoverage)}</div>`;
}

function stressSection(a: RiskAnalyticsView): string {
  const s = a.stress;
  if (!s.available) return `<div class="dim">Stress: ${esc(s.reason)}</div>`;
  const reverse = new Map<string, string>();
  for (const r of s.reverse) {
    const k = `${r.scenario}`;
    const text = `${r.limit} at ×${r.scale === null ? "∞" : r.scale.toFixed(2)}`;
    reverse.set(k, reverse.has(k) ? `${reverse.get(k)}, ${text}` : text);
  }
  return `<h4>Stress</h4>${table(
    ["Scenario", "P&L", "Limits", "Breach at"],
    s.scenarios.map((r) => [
      `<span title="${esc(r.kind)}">${esc(r.scenario)}</span>`,
      `<span class="mono ${r.pnl < 0 ? "down" : "up"}">${money(r.pnl)}</span>`,
      r.limits
        .map((l) => badge(l.breached ? "failed" : l.usedPct > 80 ? "restarting" : "running", `${l.limit} ${l.usedPct.toFixed(0)}%`))
        .join(" "),
      `<span class="mono dim">${esc(reverse.get(r.scenario) ?? "")}</span>`,
    ]),
    "no scenario",
  )}${s.note ? `<div class="dim">${esc(s.note)}</div>` : ""}`;
}

function exposureSection(a: RiskAnalyticsView): string {
  const c = a.counterparty;
  if (!c.available) return `<div class="dim">Exposure: ${esc(c.reason)}</div>`;
  const at = (xs: number[], k: number) => money(xs[Math.min(k, xs.length - 1)]);
  return `<h4>Counterparty exposure (EE / PFE 95 %)</h4>${table(
    ["Venue", "CSA", "EE 3m", "EE 1y", "PFE 3m", "PFE 1y", "CVA"],
    c.counterparties.map((p) => {
      const q = p.times.findIndex((t) => t >= 0.25 - 1e-9);
      return [
        `<span class="mono">${esc(p.counterparty)}</span>`,
        p.collateral
          ? `<span class="mono" title="threshold / minimum transfer / independent amount, margin period of risk">${money(p.collateral.threshold)} / ${money(p.collateral.minimumTransfer)} / ${money(p.collateral.independentAmount)}, ${p.collateral.marginPeriodDays} d</span>`
          : `<span class="dim">none</span>`,
        `<span class="mono">${at(p.expectedExposure, q)}</span>`,
        `<span class="mono">${at(p.expectedExposure, p.times.length - 1)}</span>`,
        `<span class="mono">${at(p.potentialFutureExposure, q)}</span>`,
        `<span class="mono">${at(p.potentialFutureExposure, p.times.length - 1)}</span>`,
        `<span class="mono">${money(p.cva)}</span>`,
      ];
    }),
    "no exposure",
  )}`;
}

/** A book's risk analytics: VaR/ES by method with the backtest's traffic light, the stress table, exposure. */
export function analyticsCard(book: string): string {
  const a = state.analytics.get(book);
  if (!a) return `<div class="analytics dim" data-book="${esc(book)}">analytics: waiting for the book's report</div>`;
  return `<div class="analytics" data-book="${esc(book)}"><div class="dim">analytics as of ${timeOfUs(a.asOfUs)}</div>${varSection(a)}${backtestSection(a)}${stressSection(a)}${exposureSection(a)}</div>`;
}
