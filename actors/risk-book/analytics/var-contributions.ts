/**
 * Marginal, component and incremental VaR per position (Jorion, Value at Risk, ch. 7), for a delta-normal book:
 * VaR = z_c σ_p with σ_p = √(eᵀΣe). Marginal VaR_i = ∂VaR/∂e_i = z_c (Σe)_i / σ_p; component VaR_i = e_i × marginal_i,
 * and the components sum to VaR (Euler). The pre-trade check uses the marginal vector: a trade Δe moves VaR by about
 * marginal · Δe, a dot product over the traded positions instead of a re-simulation.
 */
import { normalPdf, normalQuantile } from "./distributions.ts";
import { type Matrix, matVec } from "./matrix.ts";
import { requireConfidence } from "./value-at-risk.ts";

export interface VarContributions {
  confidence: number;
  valueAtRisk: number;
  expectedShortfall: number;
  /** σ of the book's P&L */
  sigma: number;
  /** ∂VaR/∂exposure_i */
  marginal: Float64Array;
  /** exposure_i × marginal_i; sums to valueAtRisk */
  component: Float64Array;
  /** ∂ES/∂exposure_i × exposure_i; sums to expectedShortfall */
  componentShortfall: Float64Array;
}

export function varContributions(exposures: readonly number[], covariance: Matrix, confidence: number): VarContributions {
  requireConfidence(confidence);
  const n = exposures.length;
  if (covariance.length !== n) throw new Error(`covariance: must be ${n}×${n} for ${n} exposures, got ${covariance.length} rows`);
  const sigmaE = matVec(covariance, exposures);
  let variance = 0;
  for (let i = 0; i < n; i++) variance += exposures[i]! * sigmaE[i]!;
  if (!(variance > 0)) throw new Error(`varContributions: the book's variance is ${variance}; contributions need a positive one`);
  const sigma = Math.sqrt(variance);
  const z = normalQuantile(confidence);
  const esFactor = normalPdf(z) / (1 - confidence);
  const marginal = new Float64Array(n);
  const component = new Float64Array(n);
  const componentShortfall = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const beta = sigmaE[i]! / sigma;
    marginal[i] = z * beta;
    component[i] = exposures[i]! * marginal[i]!;
    componentShortfall[i] = exposures[i]! * esFactor * beta;
  }
  return { confidence, valueAtRisk: z * sigma, expectedShortfall: esFactor * sigma, sigma, marginal, component, componentShortfall };
}

/** A proposed change of exposure to one position (currency per unit return). */
export interface ExposureChange {
  position: number;
  delta: number;
}

/** First-order VaR after the changes: VaR + Σ marginal_i Δe_i. */
export function incrementalVar(c: VarContributions, changes: readonly ExposureChange[]): number {
  let v = c.valueAtRisk;
  for (const ch of changes) {
    const m = c.marginal[ch.position];
    if (m === undefined) throw new Error(`position ${ch.position}: outside the book's ${c.marginal.length} positions`);
    v += m * ch.delta;
  }
  return v;
}

export interface VarLimitCheck {
  accepted: boolean;
  projectedVar: number;
  limit: number;
}

/** Pre-trade VaR limit: accepts when the projected VaR stays within the limit or the trade reduces VaR. */
export function checkVarLimit(c: VarContributions, changes: readonly ExposureChange[], limit: number): VarLimitCheck {
  const projectedVar = incrementalVar(c, changes);
  return { accepted: projectedVar <= limit || projectedVar <= c.valueAtRisk, projectedVar, limit };
}

export interface ScenarioContributions {
  valueAtRisk: number;
  expectedShortfall: number;
  /** each position's loss in the VaR scenario; sums to valueAtRisk */
  component: Float64Array;
  /** each position's mean loss over the tail scenarios; sums to expectedShortfall */
  componentShortfall: Float64Array;
}

/**
 * Contributions without a normal assumption, from scenarios (historical days or simulated paths): the same m worst
 * scenarios as empiricalRisk, each position's loss averaged over them (the Euler allocation of ES for an empirical
 * distribution), and its loss in the VaR scenario itself.
 */
export function scenarioContributions(
  returns: readonly ArrayLike<number>[],
  exposures: readonly number[],
  confidence: number,
): ScenarioContributions {
  requireConfidence(confidence);
  const n = exposures.length;
  const pnl = returns.map((r, k) => {
    if (r.length !== n) throw new Error(`scenarioContributions: scenario ${k} has ${r.length} returns for ${n} exposures`);
    let s = 0;
    for (let i = 0; i < n; i++) s += r[i]! * exposures[i]!;
    return s;
  });
  if (pnl.length < 2) throw new Error(`scenarioContributions: need at least 2 scenarios, got ${pnl.length}`);
  const order = pnl.map((_, k) => k).sort((a, b) => pnl[a]! - pnl[b]! || a - b);
  const m = Math.max(1, Math.ceil(pnl.length * (1 - confidence) - 1e-9));
  const component = new Float64Array(n);
  const componentShortfall = new Float64Array(n);
  const varScenario = returns[order[m - 1]!]!;
  for (let i = 0; i < n; i++) component[i] = -exposures[i]! * varScenario[i]!;
  for (let k = 0; k < m; k++) {
    const r = returns[order[k]!]!;
    for (let i = 0; i < n; i++) componentShortfall[i]! -= (exposures[i]! * r[i]!) / m;
  }
  let es = 0;
  for (let k = 0; k < m; k++) es -= pnl[order[k]!]! / m;
  return { valueAtRisk: -pnl[order[m - 1]!]!, expectedShortfall: es, component, componentShortfall };
}
