import { annualisedReturn, calmar, drawdowns, periodReturns, sharpe, sortino, totalReturn, volatility } from "./performance.ts";

/** One step of a walk-forward: optimise on [inSample.fromUs, toUs), then trade the winner on outOfSample. */
export interface WalkForwardWindow {
  index: number;
  inSample: { fromUs: number; toUs: number };
  outOfSample: { fromUs: number; toUs: number };
}

export interface WindowSpec {
  startUs: number;
  endUs: number;
  inSampleUs: number;
  outOfSampleUs: number;
  /** default outOfSampleUs */
  stepUs?: number;
  /** gap between in-sample end and out-of-sample start */
  embargoUs?: number;
}

/** Rolling windows over [startUs, endUs): every window whose out-of-sample part ends within the range. */
export function walkForwardWindows(s: WindowSpec): WalkForwardWindow[] {
  const step = s.stepUs ?? s.outOfSampleUs;
  const embargo = s.embargoUs ?? 0;
  if (step < s.outOfSampleUs) throw new RangeError(`walk-forward step ${step} µs is shorter than the out-of-sample ${s.outOfSampleUs} µs`);
  const out: WalkForwardWindow[] = [];
  for (let from = s.startUs; ; from += step) {
    const isTo = from + s.inSampleUs;
    const oosFrom = isTo + embargo;
    const oosTo = oosFrom + s.outOfSampleUs;
    if (oosTo > s.endUs) break;
    out.push({ index: out.length, inSample: { fromUs: from, toUs: isTo }, outOfSample: { fromUs: oosFrom, toUs: oosTo } });
  }
  if (!out.length)
    throw new RangeError(
      `walk-forward: in-sample ${s.inSampleUs} µs + embargo ${embargo} µs + out-of-sample ${s.outOfSampleUs} µs do not fit in the run's ${s.endUs - s.startUs} µs`,
    );
  return out;
}

/** The stitched out-of-sample record: every window's returns one after the other, as one account would have seen them. */
export interface StitchedResult {
  windows: number;
  periods: number;
  totalReturn: number;
  annualisedReturn: number;
  volatility: number;
  sharpe: number;
  sortino: number;
  calmar: number;
  maxDrawdown: number;
  pnl: number;
  orders: number;
  fills: number;
}

export function stitchOutOfSample(
  windows: readonly { equity: readonly number[]; pnl: number; orders: number; fills: number }[],
  periodsPerYear: number,
): StitchedResult {
  const returns = windows.flatMap((w) => periodReturns(w.equity));
  // compound the window returns on one unit of equity: each window restarts flat with the run's cash
  const equity = [1];
  for (const r of returns) equity.push(equity[equity.length - 1]! * (1 + r));
  const annual = annualisedReturn(equity, periodsPerYear);
  const dd = drawdowns(equity);
  return {
    windows: windows.length,
    periods: returns.length,
    totalReturn: totalReturn(equity),
    annualisedReturn: annual,
    volatility: volatility(returns, periodsPerYear),
    sharpe: sharpe(returns, periodsPerYear),
    sortino: sortino(returns, periodsPerYear),
    calmar: calmar(annual, dd.max),
    maxDrawdown: dd.max,
    pnl: Math.round(windows.reduce((s, w) => s + w.pnl, 0) * 100) / 100,
    orders: windows.reduce((s, w) => s + w.orders, 0),
    fills: windows.reduce((s, w) => s + w.fills, 0),
  };
}
