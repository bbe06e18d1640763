import { mean, sampleStandardDeviation } from "simple-statistics";
import { analytics } from "../../actors/risk-book/index.ts";

/**
 * Performance statistics of a run from its sampled equity (float64 statistics, as the architecture allows for
 * returns; money itself stays fixed-point in the actors). Returns are simple period returns of the samples; annual
 * figures scale by `periodsPerYear`; the risk-free rate is zero. Sharpe, Sortino, Calmar and turnover are the risk
 * book's (actors/risk-book/analytics/performance.ts), so a book and its backtest report the same figures; a ratio
 * the series leaves undefined is 0 here, where the report's tables want a number.
 */

/** 0 where the ratio is undefined for the series (a zero denominator); any other error is the caller's. */
function ratioOrZero(ratio: () => number): number {
  try {
    return ratio();
  } catch (e) {
    if (e instanceof analytics.UndefinedRatio) return 0;
    throw e;
  }
}
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

// a run whose equity reached 0 has non-finite returns after it: no ratio (NaN), rather than the book's refusal
const finite = (returns: readonly number[]): boolean => returns.every(Number.isFinite);

export function sharpe(returns: readonly number[], periodsPerYear: number): number {
  if (!finite(returns)) return Number.NaN;
  return returns.length < 2 ? 0 : ratioOrZero(() => analytics.sharpeRatio(returns, periodsPerYear));
}

/** Mean return over the downside deviation √(Σ min(r, 0)² / n), annualised. */
export function sortino(returns: readonly number[], periodsPerYear: number): number {
  if (!finite(returns)) return Number.NaN;
  return returns.length < 1 ? 0 : ratioOrZero(() => analytics.sortinoRatio(returns, periodsPerYear));
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

export const calmar = (annualised: number, maxDrawdown: number): number => ratioOrZero(() => analytics.calmar(annualised, maxDrawdown));

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
    turnover: analytics.notionalTurnover(x.tradedNotional, meanEquity),
    exposure: x.exposure.length ? mean([...x.exposure]) : 0,
  };
}
