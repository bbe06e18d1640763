import type { BacktestResult } from "./runner.ts";

const W = 860;
const H = 180;
const PAD = 40;
const MAX_POINTS = 1500;

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const isoDay = (us: number): string => new Date(us / 1000).toISOString().slice(0, 16).replace("T", " ");

/** Every k-th point, so a year of samples stays a light SVG path; the last point is always kept. */
function thin<T>(xs: readonly T[]): T[] {
  if (xs.length <= MAX_POINTS) return [...xs];
  const k = Math.ceil(xs.length / MAX_POINTS);
  const out = xs.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== xs[xs.length - 1]) out.push(xs[xs.length - 1]!);
  return out;
}

/** One line plot as inline SVG: axes with the min and max labelled, time along x. */
export function linePlot(
  title: string,
  ts: readonly number[],
  ys: readonly number[],
  format: (y: number) => string,
  colour: string,
): string {
  if (ys.length === 0) return `<h2>${esc(title)}</h2><p>no samples</p>`;
  const t0 = ts[0]!;
  const t1 = ts[ts.length - 1]!;
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const x = (t: number) => PAD + ((t - t0) / (t1 - t0 || 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD / 2 - ((v - lo) / (hi - lo)) * (H - PAD);
  const points = thin(ys.map((v, i) => [ts[i]!, v] as const))
    .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`)
    .join(" ");
  return `<h2>${esc(title)}</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<line x1="${PAD}" y1="${H - PAD / 2}" x2="${W - PAD}" y2="${H - PAD / 2}" stroke="#999"/>
<line x1="${PAD}" y1="${PAD / 2}" x2="${PAD}" y2="${H - PAD / 2}" stroke="#999"/>
<text x="2" y="${PAD / 2 + 4}" font-size="10">${esc(format(hi))}</text>
<text x="2" y="${H - PAD / 2}" font-size="10">${esc(format(lo))}</text>
<text x="${PAD}" y="${H - 4}" font-size="10">${esc(isoDay(t0))}</text>
<text x="${W - PAD}" y="${H - 4}" font-size="10" text-anchor="end">${esc(isoDay(t1))}</text>
<polyline fill="none" stroke="${colour}" stroke-width="1.2" points="${points}"/>
</svg>`;
}

/** The run's report as one self-contained HTML page: figures, then equity, drawdown and exposure plots. */
export function reportPage(r: BacktestResult): string {
  const p = r.performance;
  const rows: [string, string][] = [
    ["Span", `${isoDay(r.startUs)} → ${isoDay(r.endUs)} UTC`],
    ["P&L", `${num(r.pnl)} (equity ${num(r.initialEquity)} → ${num(r.finalEquity)}, fees ${num(r.fees)})`],
    ["Total return", pct(p.totalReturn)],
    ["Annualised return", pct(p.annualisedReturn)],
    ["Volatility (annualised)", pct(p.volatility)],
    ["Sharpe", num(p.sharpe)],
    ["Sortino", num(p.sortino)],
    ["Calmar", num(p.calmar)],
    ["Max drawdown", `${pct(p.maxDrawdown)}, longest ${p.maxDrawdownPeriods} sample periods under a peak`],
    ["Hit rate", pct(p.hitRate)],
    ["Profit factor", num(p.profitFactor)],
    ["Turnover", `${num(p.turnover)}× mean equity`],
    ["Exposure (mean gross / equity)", pct(p.exposure)],
    ["Orders / fills", `${r.orders} / ${r.fills}`],
    ["Market data records", String(r.records)],
    ["Actor steps", String(r.actorSteps)],
    ["Dead letters", String(r.deadLetters)],
    ["Event journal", `${r.journal.events} events, sha256 ${r.journal.sha256}`],
    ["Wall / CPU", `${r.wallMs} ms / ${r.cpuMs} ms`],
  ];
  const ts = r.samples.map((s) => s.tsUs);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${esc(r.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td{padding:2px 12px 2px 0;border-bottom:1px solid #eee}h2{font-size:15px;margin:1.5em 0 .3em}</style>
</head><body>
<h1>Backtest ${esc(r.name)}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</table>
${linePlot(
  "Equity",
  ts,
  r.samples.map((s) => s.equity),
  num,
  "#1f5fbf",
)}
${linePlot(
  "Drawdown",
  ts,
  r.samples.map((s) => -s.drawdown),
  (y) => pct(y),
  "#bf1f1f",
)}
${linePlot(
  "Exposure (gross / equity)",
  ts,
  r.samples.map((s) => s.exposure),
  (y) => pct(y),
  "#2f8f2f",
)}
</body></html>
`;
}
