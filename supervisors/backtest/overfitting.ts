import { errorFunction } from "simple-statistics";

/**
 * Guards against a lucky best trial: the deflated Sharpe ratio (Bailey and López de Prado, 2014) and the
 * probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey, Borwein, López de
 * Prado and Zhu, 2017). Sharpe ratios here are per period (not annualised), as both papers use them.
 */

const EULER_GAMMA = 0.5772156649015329;

/** Φ(x) through erf (|error| < 1.2e-7). */
export const normalCdf = (x: number): number => 0.5 * (1 + errorFunction(x / Math.SQRT2));

/**
 * Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9): simple-statistics' probit uses a
 * closed form good to only about 1e-3, too coarse for the expected maximum of many trials.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not inside (0, 1)`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Per-period Sharpe ratio: mean over the sample standard deviation; 0 when flat or too short. */
export function periodSharpe(returns: readonly number[]): number {
  const n = returns.length;
  if (n < 2) return 0;
  let sum = 0;
  for (const r of returns) sum += r;
  const m = sum / n;
  let ss = 0;
  for (const r of returns) ss += (r - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  return sd === 0 ? 0 : m / sd;
}

/** Population skewness and kurtosis (not excess: 3 for a normal), as the deflated Sharpe ratio takes them. */
export function moments(returns: readonly number[]): { skewness: number; kurtosis: number } {
  const n = returns.length;
  if (n < 2) return { skewness: 0, kurtosis: 3 };
  const m = returns.reduce((s, r) => s + r, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return m2 === 0 ? { skewness: 0, kurtosis: 3 } : { skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/**
 * Probabilistic Sharpe ratio: the probability that the true Sharpe exceeds `benchmark`, given `sharpe` measured
 * over `periods` returns with the given skewness and (non-excess) kurtosis.
 */
export function probabilisticSharpe(sharpe: number, benchmark: number, periods: number, skewness: number, kurtosis: number): number {
  if (periods < 2) return 0;
  const spread = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  // a spread at or below zero only arises from extreme moments; the estimate has no error bar there
  if (!(spread > 0)) return sharpe > benchmark ? 1 : 0;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(periods - 1)) / Math.sqrt(spread));
}

/** The Sharpe ratio the best of `trials` unskilled trials is expected to reach, given the variance of their Sharpes. */
export function expectedMaxSharpe(trials: number, sharpeVariance: number): number {
  if (trials < 2 || sharpeVariance <= 0) return 0;
  return (
    Math.sqrt(sharpeVariance) *
    ((1 - EULER_GAMMA) * inverseNormalCdf(1 - 1 / trials) + EULER_GAMMA * inverseNormalCdf(1 - 1 / (trials * Math.E)))
  );
}

export interface DeflatedSharpe {
  /** per-period Sharpe of the best trial */
  sharpe: number;
  /** the expected maximum Sharpe of as many unskilled trials: the bar the best trial must clear */
  benchmark: number;
  trials: number;
  sharpeVariance: number;
  periods: number;
  skewness: number;
  kurtosis: number;
  /** probability that the best trial's true Sharpe is above zero once the selection among trials is allowed for */
  deflatedSharpe: number;
}

/** The deflated Sharpe ratio of the best trial's returns among trials with the given per-period Sharpes. */
export function deflatedSharpe(bestReturns: readonly number[], trialSharpes: readonly number[]): DeflatedSharpe {
  const n = trialSharpes.length;
  const mean = trialSharpes.reduce((s, x) => s + x, 0) / Math.max(1, n);
  const sharpeVariance = n < 2 ? 0 : trialSharpes.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const sharpe = periodSharpe(bestReturns);
  const benchmark = expectedMaxSharpe(n, sharpeVariance);
  const { skewness, kurtosis } = moments(bestReturns);
  const periods = bestReturns.length;
  return {
    sharpe,
    benchmark,
    trials: n,
    sharpeVariance,
    periods,
    skewness,
    kurtosis,
    deflatedSharpe: probabilisticSharpe(sharpe, benchmark, periods, skewness, kurtosis),
  };
}

export interface BacktestOverfitting {
  /** share of the in-sample/out-of-sample splits whose in-sample best ranks at or below the median out of sample */
  probability: number;
  splits: number;
  blocks: number;
  /** logit of the best trial's relative out-of-sample rank, per split */
  logits: number[];
}

/** Subsets of size k of 0..n-1, in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]!++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1;
  }
}

/**
 * Probability of backtest overfitting by CSCV: `returns[trial][period]` (every trial over the same periods) cut
 * into `blocks` (even) consecutive blocks; every half of the blocks in turn is in-sample, the rest out-of-sample.
 * The in-sample best trial (highest Sharpe; ties to the lower index) gets its out-of-sample rank ω (1 = worst, ties
 * ranked below it) and λ = ln(ω̄ / (1 − ω̄)) with ω̄ = ω / (N + 1); PBO is the share of splits with λ ≤ 0.
 */
export function backtestOverfitting(returns: readonly (readonly number[])[], blocks: number): BacktestOverfitting {
  const n = returns.length;
  if (n < 2) throw new RangeError(`PBO needs at least 2 trials, got ${n}`);
  const periods = returns[0]!.length;
  for (const [i, r] of returns.entries())
    if (r.length !== periods) throw new RangeError(`trial ${i} has ${r.length} returns, trial 0 has ${periods}`);
  if (blocks < 2 || blocks % 2 !== 0) throw new RangeError(`PBO blocks must be even and at least 2, got ${blocks}`);
  if (periods < blocks) throw new RangeError(`PBO needs at least ${blocks} returns per trial (one per block), got ${periods}`);
  const bounds = Array.from({ length: blocks + 1 }, (_, b) => Math.round((b * periods) / blocks));
  const pick = (r: readonly number[], chosen: readonly number[]): number[] => chosen.flatMap((b) => r.slice(bounds[b], bounds[b + 1]));
  const logits: number[] = [];
  for (const inSample of combinations(blocks, blocks / 2)) {
    const outOfSample = Array.from({ length: blocks }, (_, b) => b).filter((b) => !inSample.includes(b));
    const is = returns.map((r) => periodSharpe(pick(r, inSample)));
    const oos = returns.map((r) => periodSharpe(pick(r, outOfSample)));
    let best = 0;
    for (let i = 1; i < n; i++) if (is[i]! > is[best]!) best = i;
    const rank = 1 + oos.filter((s) => s < oos[best]!).length;
    const w = rank / (n + 1);
    logits.push(Math.log(w / (1 - w)));
  }
  return { probability: logits.filter((l) => l <= 0).length / logits.length, splits: logits.length, blocks, logits };
}
