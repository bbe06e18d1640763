/**
 * Mean-variance and minimum-variance portfolios under box, net, gross, sector and turnover constraints:
 * minimise ½ γ wᵀΣw − μᵀw subject to w in every constraint set.
 *
 * Solver: consensus ADMM (Boyd et al. 2011, §7) with one copy of w per constraint set, so each step is one solve
 * with the fixed matrix γΣ + KρI (factored once per ρ: Cholesky, or Woodbury for a factor model) and one exact
 * projection per set.
 * Why hand-written: no QP solver (highs, OSQP) is a dependency, and this form handles the gross and turnover
 * ℓ1 balls exactly without splitting every weight into long and short parts.
 */
import { type RiskModel, riskModelOps } from "./risk-model.ts";
import { constraintSets, type WeightConstraints } from "./weight-constraints.ts";

export type MeanVarianceInput = RiskModel & {
  /** expected returns; omitted for minimum variance */
  expectedReturns?: readonly number[];
  /** γ, the risk aversion (default 1) */
  riskAversion?: number;
  constraints: WeightConstraints;
  /** stop when primal and dual residuals are below this (default 1e-8 per asset) */
  tolerance?: number;
  maxIterations?: number;
};

export interface OptimisedPortfolio {
  weights: number[];
  expectedReturn: number;
  variance: number;
  iterations: number;
  /** largest constraint violation of the returned weights */
  maxViolation: number;
}

export function meanVariance(input: MeanVarianceInput): OptimisedPortfolio {
  const model = riskModelOps(input);
  const n = model.assets;
  const gamma = input.riskAversion ?? 1;
  if (!(gamma > 0)) throw new Error(`riskAversion: must be positive, got ${gamma}`);
  const mu = Float64Array.from(input.expectedReturns ?? new Array<number>(n).fill(0));
  if (mu.length !== n) throw new Error(`expectedReturns: ${mu.length} values for ${n} assets`);
  const sets = constraintSets(n, input.constraints);
  const k = sets.length;
  const tol = (input.tolerance ?? 1e-8) * Math.sqrt(n);
  const maxIterations = input.maxIterations ?? 20_000;

  let rho = Math.max(gamma * model.meanVariance, 1e-12);
  let system = model.shifted(gamma, k * rho);

  const x = new Float64Array(n);
  const z = sets.map(() => new Float64Array(n));
  const u = sets.map(() => new Float64Array(n));
  const rhs = new Float64Array(n);
  const prev = new Float64Array(n);
  const relaxed = new Float64Array(n);
  const relaxation = 1.6;
  let nextRhoCheck = 25;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    for (let i = 0; i < n; i++) {
      let s = mu[i]!;
      for (let c = 0; c < k; c++) s += rho * (z[c]![i]! - u[c]![i]!);
      rhs[i] = s;
    }
    system.solve(rhs, x);
    let primal = 0;
    let dual = 0;
    prev.fill(0);
    for (let c = 0; c < k; c++) {
      const zc = z[c]!;
      const uc = u[c]!;
      for (let i = 0; i < n; i++) {
        // over-relaxation (Boyd et al. §3.4.3): x̂ = αx + (1 − α)z_prev, about halving the iterations
        relaxed[i] = relaxation * x[i]! + (1 - relaxation) * zc[i]!;
        prev[i]! += zc[i]!;
        zc[i] = relaxed[i]! + uc[i]!;
      }
      sets[c]!.project(zc);
      for (let i = 0; i < n; i++) {
        uc[i]! += relaxed[i]! - zc[i]!;
        const r = x[i]! - zc[i]!;
        primal += r * r;
        prev[i]! -= zc[i]!;
      }
    }
    for (let i = 0; i < n; i++) dual += prev[i]! ** 2;
    primal = Math.sqrt(primal);
    dual = rho * Math.sqrt(dual);
    if (primal < tol && dual < tol * Math.max(1, rho)) break;
    // Residual balancing (OSQP-style): when primal and dual residuals drift apart by more than 5×, move ρ by the
    // square root of their ratio; checked on a geometric schedule since each change costs one factorisation.
    if (iterations === nextRhoCheck) {
      nextRhoCheck = Math.min(2 * nextRhoCheck, nextRhoCheck + 200);
      const ratio = primal / Math.max(dual, 1e-300);
      if (!(ratio > 0.2 && ratio < 5)) {
        const f = Math.min(1e3, Math.max(1e-3, Math.sqrt(ratio)));
        rho *= f;
        for (const uc of u) for (let i = 0; i < n; i++) uc[i]! /= f;
        system = model.shifted(gamma, k * rho);
      }
    }
  }
  const w = z[0]!;
  const maxViolation = Math.max(0, ...sets.map((s) => s.violation(w)));
  if (maxViolation > 1e-5) {
    const worst = sets.reduce((a, b) => (b.violation(w) > a.violation(w) ? b : a));
    throw new Error(
      `meanVariance: no portfolio found within the ${worst.name} constraint after ${iterations} iterations (violation ${worst.violation(w)}); the constraints may be infeasible together`,
    );
  }
  let expectedReturn = 0;
  for (let i = 0; i < n; i++) expectedReturn += w[i]! * mu[i]!;
  return { weights: Array.from(w), expectedReturn, variance: model.variance(w), iterations, maxViolation };
}

/** The lowest-variance portfolio in the constraints (a net bound is needed, or the answer is w = 0). */
export function minimumVariance(model: RiskModel, constraints: WeightConstraints): OptimisedPortfolio {
  if (!constraints.net)
    throw new Error("constraints.net: minimum variance needs a net exposure bound (e.g. {min: 1, max: 1}), or all weights are 0");
  return meanVariance({ ...model, constraints });
}
