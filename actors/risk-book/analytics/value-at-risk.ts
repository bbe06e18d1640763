/**
 * Value at risk and expected shortfall of a P&L distribution, by five estimators. All figures are losses in
 * currency units (positive = loss) over the horizon of the inputs; confidence is e.g. 0.99.
 *
 * Conventions: historical VaR is the m-th worst P&L with m = ⌈T(1 − c)⌉ and ES the mean of those m worst, so ES ≥
 * VaR always and both use the same tail; parametric figures are closed forms of the fitted distribution.
 */
import { mean, sampleKurtosis, sampleStandardDeviation } from "simple-statistics";
import { normalPdf, normalQuantile, orderStatistic, studentTPdf, studentTQuantile } from "./distributions.ts";
import { cholesky, dot, type Matrix, matVec } from "./matrix.ts";
import { Xoshiro128 } from "../../feed/simulator/index.ts";

export type VarMethod = "historical" | "parametric-normal" | "parametric-student-t" | "monte-carlo" | "bayesian";

export interface RiskEstimate {
  method: VarMethod;
  confidence: number;
  valueAtRisk: number;
  expectedShortfall: number;
}

export function requireConfidence(c: number): void {
  if (!(c > 0.5 && c < 1)) throw new Error(`confidence: must be in (0.5, 1), got ${c}`);
}

function requireSeries(pnl: readonly number[], min: number, name: string): void {
  if (pnl.length < min) throw new Error(`${name}: need at least ${min} observations, got ${pnl.length}`);
  for (let k = 0; k < pnl.length; k++) if (!Number.isFinite(pnl[k])) throw new Error(`${name}: observation ${k} is not finite (${pnl[k]})`);
}

/** VaR and ES of an empirical P&L sample (historical or simulated scenarios). */
export function empiricalRisk(pnl: ArrayLike<number>, confidence: number, method: VarMethod): RiskEstimate {
  requireConfidence(confidence);
  const xs = Float64Array.from(pnl);
  const m = Math.max(1, Math.ceil(xs.length * (1 - confidence) - 1e-9));
  // only the tail needs order: select the m-th loss, then sort the m below it and sum them in the order a full sort
  // would (the same figures); NaN has no place in a selection, so a sample with one is sorted whole as before
  const hasNaN = xs.some(Number.isNaN);
  if (!hasNaN) orderStatistic(xs, m - 1);
  const sorted = hasNaN ? xs.sort() : xs.subarray(0, m).sort();
  let tail = 0;
  for (let k = 0; k < m; k++) tail += sorted[k]!;
  return { method, confidence, valueAtRisk: -sorted[m - 1]!, expectedShortfall: -tail / m };
}

/** Historical simulation on a P&L series. */
export function historicalRisk(pnl: readonly number[], confidence: number): RiskEstimate {
  requireSeries(pnl, 2, "historicalRisk");
  return empiricalRisk(pnl, confidence, "historical");
}

/**
 * Hull and White's volatility scaling: each asset's return r_t is rescaled to today's volatility, r_t σ_T / σ_t,
 * with σ_t an EWMA (RiskMetrics, λ = 0.94 daily) known before day t. Rows are days (oldest first), columns assets.
 */
export function volatilityScaledReturns(returns: readonly (readonly number[])[], lambda = 0.94): number[][] {
  if (!(lambda > 0 && lambda < 1)) throw new Error(`lambda: must be in (0, 1), got ${lambda}`);
  const t = returns.length;
  if (t < 2) throw new Error(`volatilityScaledReturns: need at least 2 days, got ${t}`);
  const n = returns[0]!.length;
  const out = returns.map((r) => r.slice());
  for (let j = 0; j < n; j++) {
    // Seed with the sample variance so early days are not scaled by a variance built from one observation.
    let seed = 0;
    for (let k = 0; k < t; k++) seed += returns[k]![j]! ** 2 / t;
    const sigma = new Float64Array(t + 1);
    let v = seed;
    for (let k = 0; k < t; k++) {
      sigma[k] = Math.sqrt(v);
      v = lambda * v + (1 - lambda) * returns[k]![j]! ** 2;
    }
    sigma[t] = Math.sqrt(v);
    for (let k = 0; k < t; k++) out[k]![j] = sigma[k]! > 0 ? (returns[k]![j]! * sigma[t]!) / sigma[k]! : 0;
  }
  return out;
}

/** P&L of today's exposures (currency per unit return) under each day's returns. */
export function scenarioPnl(returns: readonly (readonly number[])[], exposures: readonly number[]): number[] {
  return returns.map((r, k) => {
    if (r.length !== exposures.length) throw new Error(`scenarioPnl: day ${k} has ${r.length} returns for ${exposures.length} exposures`);
    return dot(r, exposures);
  });
}

/** Normal VaR = −μ + z_c σ; ES = −μ + σ φ(z_c)/(1 − c). */
export function normalRisk(mu: number, sigma: number, confidence: number): RiskEstimate {
  requireConfidence(confidence);
  if (!(sigma >= 0)) throw new Error(`sigma: must be non-negative, got ${sigma}`);
  const z = normalQuantile(confidence);
  return {
    method: "parametric-normal",
    confidence,
    valueAtRisk: -mu + z * sigma,
    expectedShortfall: -mu + (sigma * normalPdf(z)) / (1 - confidence),
  };
}

export const parametricNormalRisk = (pnl: readonly number[], confidence: number): RiskEstimate => {
  requireSeries(pnl, 2, "parametricNormalRisk");
  return normalRisk(mean(pnl as number[]), sampleStandardDeviation(pnl as number[]), confidence);
};

/**
 * Location-scale Student t: VaR = −μ + s t_c,ν; ES = −μ + s f_ν(t_c)/(1 − c) (ν + t_c²)/(ν − 1). ν must exceed 1
 * for ES to exist.
 */
export function studentTRisk(
  mu: number,
  scale: number,
  nu: number,
  confidence: number,
  method: VarMethod = "parametric-student-t",
): RiskEstimate {
  requireConfidence(confidence);
  if (!(nu > 1)) throw new Error(`degreesOfFreedom: must exceed 1 for expected shortfall, got ${nu}`);
  if (!(scale >= 0)) throw new Error(`scale: must be non-negative, got ${scale}`);
  const t = studentTQuantile(confidence, nu);
  const es = ((studentTPdf(t, nu) / (1 - confidence)) * (nu + t * t)) / (nu - 1);
  return { method, confidence, valueAtRisk: -mu + scale * t, expectedShortfall: -mu + scale * es };
}

/**
 * Student t fitted by moments: ν from the excess kurtosis (6/κ + 4, at least 4.1 so the variance and kurtosis
 * exist), unless given; the scale matches the sample standard deviation, s = σ √((ν − 2)/ν).
 */
export function parametricStudentTRisk(
  pnl: readonly number[],
  confidence: number,
  degreesOfFreedom?: number,
): RiskEstimate & { degreesOfFreedom: number } {
  requireSeries(pnl, 4, "parametricStudentTRisk");
  const sd = sampleStandardDeviation(pnl as number[]);
  let nu = degreesOfFreedom;
  if (nu === undefined) {
    const kurt = sampleKurtosis(pnl as number[]);
    nu = kurt > 0.06 ? Math.max(4.1, 6 / kurt + 4) : 100;
  }
  if (!(nu > 2)) throw new Error(`degreesOfFreedom: must exceed 2 to match a variance, got ${nu}`);
  return { ...studentTRisk(mean(pnl as number[]), sd * Math.sqrt((nu - 2) / nu), nu, confidence), degreesOfFreedom: nu };
}

/** Normal-Inverse-Gamma prior on the P&L's (μ, σ²): μ | σ² ~ N(mu0, σ²/kappa0), σ² ~ InvGamma(alpha0, beta0). */
export interface NormalInverseGammaPrior {
  mu0: number;
  kappa0: number;
  alpha0: number;
  beta0: number;
}

export interface NormalInverseGammaPosterior extends NormalInverseGammaPrior {}

/** Conjugate update (Murphy 2007, §6): the posterior is again Normal-Inverse-Gamma. */
export function normalInverseGammaPosterior(prior: NormalInverseGammaPrior, pnl: readonly number[]): NormalInverseGammaPosterior {
  const { mu0, kappa0, alpha0, beta0 } = prior;
  if (!(kappa0 > 0)) throw new Error(`prior.kappa0: must be positive, got ${kappa0}`);
  if (!(alpha0 > 0)) throw new Error(`prior.alpha0: must be positive, got ${alpha0}`);
  if (!(beta0 > 0)) throw new Error(`prior.beta0: must be positive, got ${beta0}`);
  requireSeries(pnl, 0, "bayesianRisk");
  const n = pnl.length;
  if (n === 0) return { ...prior };
  const xbar = mean(pnl as number[]);
  let ss = 0;
  for (const x of pnl) ss += (x - xbar) ** 2;
  const kappaN = kappa0 + n;
  return {
    mu0: (kappa0 * mu0 + n * xbar) / kappaN,
    kappa0: kappaN,
    alpha0: alpha0 + n / 2,
    beta0: beta0 + ss / 2 + (kappa0 * n * (xbar - mu0) ** 2) / (2 * kappaN),
  };
}

/** VaR/ES of the posterior predictive: Student t with 2α dof, location μ, scale² = β(κ + 1)/(ακ). */
export function bayesianRisk(
  prior: NormalInverseGammaPrior,
  pnl: readonly number[],
  confidence: number,
): RiskEstimate & { posterior: NormalInverseGammaPosterior } {
  const post = normalInverseGammaPosterior(prior, pnl);
  const scale = Math.sqrt((post.beta0 * (post.kappa0 + 1)) / (post.alpha0 * post.kappa0));
  return { ...studentTRisk(post.mu0, scale, 2 * post.alpha0, confidence, "bayesian"), posterior: post };
}

export interface MonteCarloInput {
  /** currency per unit return, per asset */
  exposures: readonly number[];
  /** covariance of the assets' returns over the horizon */
  covariance: Matrix;
  /** expected returns over the horizon (default 0) */
  expectedReturns?: readonly number[];
  paths: number;
  seed: number;
  confidence: number;
}

export interface MonteCarloRisk extends RiskEstimate {
  paths: number;
  /** simulated P&L per path, in path order */
  pnl: Float64Array;
}

/**
 * Monte Carlo with correlated normal returns r = μ + Lz (LLᵀ = Σ). A linear book's P&L eᵀr = eᵀμ + (Lᵀe)ᵀz, so each
 * path costs one n-vector of normals and one dot product instead of an n×n product: same distribution, O(n) per path.
 */
export function monteCarloRisk(input: MonteCarloInput): MonteCarloRisk {
  const { exposures, covariance, paths, seed, confidence } = input;
  requireConfidence(confidence);
  if (!(Number.isSafeInteger(paths) && paths >= 100)) throw new Error(`paths: must be an integer of at least 100, got ${paths}`);
  const n = exposures.length;
  if (covariance.length !== n) throw new Error(`covariance: must be ${n}×${n} for ${n} exposures, got ${covariance.length} rows`);
  const l = cholesky(covariance);
  const loading = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const li = l[i]!;
    const e = exposures[i]!;
    for (let j = 0; j <= i; j++) loading[j]! += li[j]! * e;
  }
  const drift = input.expectedReturns ? dot(input.expectedReturns, exposures) : 0;
  const rng = new Xoshiro128(seed);
  const pnl = new Float64Array(paths);
  for (let p = 0; p < paths; p++) {
    let s = drift;
    for (let j = 0; j < n; j++) s += loading[j]! * rng.normal();
    pnl[p] = s;
  }
  return { ...empiricalRisk(pnl, confidence, "monte-carlo"), paths, pnl };
}

/** Correlated return scenarios r = μ + Lz (paths × assets), for books that must be revalued in full. */
export function correlatedScenarios(covariance: Matrix, paths: number, seed: number, expectedReturns?: readonly number[]): Float64Array[] {
  const l = cholesky(covariance);
  const n = l.length;
  const rng = new Xoshiro128(seed);
  const z = new Float64Array(n);
  const out: Float64Array[] = [];
  for (let p = 0; p < paths; p++) {
    for (let j = 0; j < n; j++) z[j] = rng.normal();
    const r = matVec(l, z);
    if (expectedReturns) for (let j = 0; j < n; j++) r[j]! += expectedReturns[j]!;
    out.push(r);
  }
  return out;
}
