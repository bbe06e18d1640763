/**
 * Performance and attribution of a return series, the one implementation the book's report and the backtest report
 * (supervisors/backtest/performance.ts) share: Sharpe, Sortino, Calmar, information ratio, maximum drawdown,
 * turnover, and factor attribution by OLS.
 *
 * Returns are simple per-period returns; `periodsPerYear` annualises (252 for daily, 52 weekly, 12 monthly).
 */
import { mean, sampleStandardDeviation } from "simple-statistics";
import { choleskySolve, cholesky, zeros } from "./matrix.ts";

/** A ratio whose denominator is 0 for the series (no volatility, no downside, no drawdown): undefined, not infinite. */
export class UndefinedRatio extends Error {}

function requireReturns(r: readonly number[], min: number, name: string): void {
  if (r.length < min) throw new Error(`${name}: need at least ${min} returns, got ${r.length}`);
  r.forEach((x, k) => {
    if (!Number.isFinite(x)) throw new Error(`${name}: return ${k} is not finite (${x})`);
  });
}

/** Simple returns of an equity series (e.g. the risk book's equity curve as numbers). */
export function returnsFromEquity(equity: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < equity.length; k++) {
    if (!(equity[k - 1]! > 0)) throw new Error(`equity[${k - 1}]: must be positive to take a return, got ${equity[k - 1]}`);
    out.push(equity[k]! / equity[k - 1]! - 1);
  }
  return out;
}

/** (mean excess return / sd) × √periodsPerYear; riskFree is per period. */
export function sharpeRatio(returns: readonly number[], periodsPerYear = 252, riskFree = 0): number {
  requireReturns(returns, 2, "sharpeRatio");
  const excess = returns.map((r) => r - riskFree);
  const sd = sampleStandardDeviation(excess);
  if (sd === 0) throw new UndefinedRatio("sharpeRatio: volatility is 0, the ratio is undefined");
  return (mean(excess) / sd) * Math.sqrt(periodsPerYear);
}

/** (mean excess over the target / downside deviation) × √periodsPerYear; downside deviation √(mean(min(r − target, 0)²)) over all periods (Sortino and Price 1994). */
export function sortinoRatio(returns: readonly number[], periodsPerYear = 252, target = 0): number {
  requireReturns(returns, 1, "sortinoRatio");
  const downside = Math.sqrt(returns.reduce((s, r) => s + Math.min(r - target, 0) ** 2, 0) / returns.length);
  if (downside === 0) throw new UndefinedRatio(`sortinoRatio: no return below the target ${target}, the ratio is undefined`);
  return ((mean(returns as number[]) - target) / downside) * Math.sqrt(periodsPerYear);
}

/** Largest peak-to-trough fall of the compounded series, as a positive fraction of the peak. */
export function maxDrawdown(returns: readonly number[]): number {
  requireReturns(returns, 1, "maxDrawdown");
  let wealth = 1;
  let peak = 1;
  let worst = 0;
  for (const r of returns) {
    wealth *= 1 + r;
    peak = Math.max(peak, wealth);
    worst = Math.max(worst, 1 - wealth / peak);
  }
  return worst;
}

/** Compound annual growth rate over the series. */
export function annualisedReturn(returns: readonly number[], periodsPerYear = 252): number {
  requireReturns(returns, 1, "annualisedReturn");
  const growth = returns.reduce((w, r) => w * (1 + r), 1);
  return growth ** (periodsPerYear / returns.length) - 1;
}

/** Annualised return over maximum drawdown (a fraction). */
export function calmar(annualised: number, drawdown: number): number {
  if (drawdown === 0) throw new UndefinedRatio("calmarRatio: no drawdown in the series, the ratio is undefined");
  return annualised / drawdown;
}

/** Calmar of a return series: its compound annual growth over its maximum drawdown. */
export function calmarRatio(returns: readonly number[], periodsPerYear = 252): number {
  return calmar(annualisedReturn(returns, periodsPerYear), maxDrawdown(returns));
}

/** Annualised active return over tracking error. */
export function informationRatio(returns: readonly number[], benchmark: readonly number[], periodsPerYear = 252): number {
  if (returns.length !== benchmark.length)
    throw new Error(`informationRatio: ${returns.length} returns for ${benchmark.length} benchmark returns`);
  requireReturns(returns, 2, "informationRatio");
  requireReturns(benchmark, 2, "informationRatio benchmark");
  const active = returns.map((r, k) => r - benchmark[k]!);
  const trackingError = sampleStandardDeviation(active);
  if (trackingError < 1e-15) throw new UndefinedRatio("informationRatio: tracking error is 0, the ratio is undefined");
  return (mean(active) / trackingError) * Math.sqrt(periodsPerYear);
}

/** One-way turnover per rebalance, Σ|w_t − w_{t−1}| / 2, averaged over the rebalances (weights oldest first). */
export function turnover(weights: readonly (readonly number[])[]): number {
  if (weights.length < 2) throw new Error(`turnover: need at least 2 weight vectors, got ${weights.length}`);
  let total = 0;
  for (let k = 1; k < weights.length; k++) {
    const a = weights[k - 1]!;
    const b = weights[k]!;
    if (a.length !== b.length) throw new Error(`turnover: weights ${k} have ${b.length} assets, weights ${k - 1} have ${a.length}`);
    for (let i = 0; i < a.length; i++) total += Math.abs(b[i]! - a[i]!) / 2;
  }
  return total / (weights.length - 1);
}

/** Turnover of a run that trades notional rather than rebalances weights: traded notional over the mean equity. */
export function notionalTurnover(tradedNotional: number, meanEquity: number): number {
  return meanEquity > 0 ? tradedNotional / meanEquity : 0;
}

export interface FactorAttribution {
  /** per-period intercept */
  alpha: number;
  betas: number[];
  /** β_k × mean factor return: the part of the mean return each factor explains */
  contributions: number[];
  rSquared: number;
  /** sd of the residuals (divisor T − k − 1) */
  residualVolatility: number;
}

/** OLS of returns on factor returns (rows are periods): r_t = α + Σ β_k f_k,t + ε_t, by the normal equations. */
export function factorAttribution(returns: readonly number[], factors: readonly (readonly number[])[]): FactorAttribution {
  const t = returns.length;
  if (factors.length !== t) throw new Error(`factorAttribution: ${t} returns for ${factors.length} factor observations`);
  const k = factors[0]?.length ?? 0;
  if (t <= k + 1) throw new Error(`factorAttribution: need more than ${k + 1} periods for ${k} factors, got ${t}`);
  requireReturns(returns, 2, "factorAttribution");
  const p = k + 1;
  const xtx = zeros(p, p);
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  factors.forEach((f, s) => {
    if (f.length !== k) throw new Error(`factorAttribution: period ${s} has ${f.length} factor returns, expected ${k}`);
    row[0] = 1;
    for (let j = 0; j < k; j++) row[j + 1] = f[j]!;
    for (let a = 0; a < p; a++) {
      xty[a]! += row[a]! * returns[s]!;
      for (let b = 0; b < p; b++) xtx[a]![b]! += row[a]! * row[b]!;
    }
  });
  const coef = choleskySolve(cholesky(xtx, "factor design matrix (collinear factors?)"), xty);
  const ybar = mean(returns as number[]);
  let sse = 0;
  let sst = 0;
  factors.forEach((f, s) => {
    let fit = coef[0]!;
    for (let j = 0; j < k; j++) fit += coef[j + 1]! * f[j]!;
    sse += (returns[s]! - fit) ** 2;
    sst += (returns[s]! - ybar) ** 2;
  });
  const betas = Array.from(coef.subarray(1));
  const contributions = betas.map((b, j) => (b * factors.reduce((s, f) => s + f[j]!, 0)) / t);
  return { alpha: coef[0]!, betas, contributions, rSquared: sst > 0 ? 1 - sse / sst : 1, residualVolatility: Math.sqrt(sse / (t - p)) };
}
