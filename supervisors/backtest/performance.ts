import { mean, sampleStandardDeviation } from "simple-statistics";

/**
 * Performance statistics of a run from its sampled equity (float64 statistics, as the architecture allows for
 * returns; money itself stays fixed-point in the actors). Returns are simple period returns of the samples; annual
 * figures scale by `periodsPerYear`; the risk-free rate is zero.
 */
export interface Performance {
  totalReturn: number;
  annualisedReturn: number;
  volatility: number;
  sharpe: number;
  sortino: number;
  calmar: number;
  maxDrawdown: number;
  /** the longest time under a previous peak, in sample periods (to the recovery, or to the end) */
  maxDrawdownPeriods: number;
  hitRate: number;
  profitFactor: number;
  turnover: number;
  exposure: number;
}

export function periodReturns(equity: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < equity.length; i++) out.push(equity[i]! / equity[i - 1]! - 1);
  return out;
}

export const totalReturn = (equity: readonly number[]): number => (equity.length < 2 ? 0 : equity[equity.length - 1]! / equity[0]! - 1);

/** Compound annual growth over the sampled span: (1 + total)^(periodsPerYear / periods) − 1. */
export function annualisedReturn(equity: readonly number[], periodsPerYear: number): number {
  const periods = equity.length - 1;
  if (periods < 1) return 0;
  return (1 + totalReturn(equity)) ** (periodsPerYear / periods) - 1;
}

/** Sample standard deviation of period returns, annualised by √periodsPerYear. */
export function volatility(returns: readonly number[], periodsPerYear: number): number {
  return returns.length < 2 ? 0 : sampleStandardDeviation([...returns]) * Math.sqrt(periodsPerYear);
}

export function sharpe(returns: readonly number[], periodsPerYear: number): number {
  if (returns.length < 2) return 0;
  const sd = sampleStandardDeviation([...returns]);
  return sd === 0 ? 0 : (mean([...returns]) / sd) * Math.sqrt(periodsPerYear);
}

/** Mean return over the downside deviation √(Σ min(r, 0)² / n), annualised. */
export function sortino(returns: readonly number[], periodsPerYear: number): number {
  if (returns.length < 1) return 0;
  let down = 0;
  for (const r of returns) if (r < 0) down += r * r;
  const dd = Math.sqrt(down / returns.length);
  return dd === 0 ? 0 : (mean([...returns]) / dd) * Math.sqrt(periodsPerYear);
}

/** Deepest fall from a running peak (a fraction) and the longest spell below a peak, in periods. */
export function drawdowns(equity: readonly number[]): { series: number[]; max: number; longestPeriods: number } {
  const series: number[] = [];
  let peak = Number.NEGATIVE_INFINITY;
  let peakAt = 0;
  let max = 0;
  let longest = 0;
  equity.forEach((e, i) => {
    if (e >= peak) {
      peak = e;
      peakAt = i;
    }
    const dd = peak > 0 ? 1 - e / peak : 0;
    series.push(dd);
    if (dd > max) max = dd;
    if (dd > 0 && i - peakAt > longest) longest = i - peakAt;
  });
  return { series, max, longestPeriods: longest };
}

export const calmar = (annualised: number, maxDrawdown: number): number => (maxDrawdown === 0 ? 0 : annualised / maxDrawdown);

/** Share of closed trades that made money; 0 without closed trades. */
export function hitRate(tradePnls: readonly number[]): number {
  return tradePnls.length ? tradePnls.filter((p) => p > 0).length / tradePnls.length : 0;
}

/** Gross profit over gross loss of closed trades; Infinity with wins and no losses, 0 without wins. */
export function profitFactor(tradePnls: readonly number[]): number {
  let won = 0;
  let lost = 0;
  for (const p of tradePnls) {
    if (p > 0) won += p;
    else lost -= p;
  }
  if (won === 0) return 0;
  return lost === 0 ? Number.POSITIVE_INFINITY : won / lost;
}

export interface PerformanceInputs {
  equity: readonly number[];
  /** gross exposure over equity at each sample */
  exposure: readonly number[];
  /** realised P&L of each closing fill */
  tradePnls: readonly number[];
  /** Σ |fill notional| */
  tradedNotional: number;
  periodsPerYear: number;
}

export function performance(x: PerformanceInputs): Performance {
  const returns = periodReturns(x.equity);
  const dd = drawdowns(x.equity);
  const annual = annualisedReturn(x.equity, x.periodsPerYear);
  const meanEquity = x.equity.length ? mean([...x.equity]) : 0;
  return {
    totalReturn: totalReturn(x.equity),
    annualisedReturn: annual,
    volatility: volatility(returns, x.periodsPerYear),
    sharpe: sharpe(returns, x.periodsPerYear),
    sortino: sortino(returns, x.periodsPerYear),
    calmar: calmar(annual, dd.max),
    maxDrawdown: dd.max,
    maxDrawdownPeriods: dd.longestPeriods,
    hitRate: hitRate(x.tradePnls),
    profitFactor: profitFactor(x.tradePnls),
    // traded notional over the mean equity: how many times the capital changed hands over the run
    turnover: meanEquity > 0 ? x.tradedNotional / meanEquity : 0,
    exposure: x.exposure.length ? mean([...x.exposure]) : 0,
  };
}
