/**
 * Mean-variance and minimum-variance portfolios under box, net, gross, sector and turnover constraints:
 * minimise ½ γ wᵀΣw − μᵀw subject to w in every constraint set.
 *
 * Solver: consensus ADMM (Boyd et al. 2011, §7) with one copy of w per constraint set, so each step is one solve
 * with the fixed matrix γΣ + KρI (Cholesky, refactored only when ρ is rebalanced) and one exact projection per set.
 * Why hand-written: no QP solver (highs, OSQP) is a dependency, and this form handles the gross and turnover
 * ℓ1 balls exactly without splitting every weight into long and short parts.
 */
import { cholesky, choleskySolve, type Matrix, matVec } from "../../risk-book/analytics/index.ts";
import { constraintSets, type WeightConstraints } from "./weight-constraints.ts";

export interface MeanVarianceInput {
  covariance: Matrix;
  /** expected returns; omitted for minimum variance */
  expectedReturns?: readonly number[];
  /** γ, the risk aversion (default 1) */
  riskAversion?: number;
  constraints: WeightConstraints;
  /** stop when primal and dual residuals are below this (default 1e-8 per asset) */
  tolerance?: number;
  maxIterations?: number;
}

export interface OptimisedPortfolio {
  weights: number[];
  expectedReturn: number;
  variance: number;
  iterations: number;
  /** largest constraint violation of the returned weights */
  maxViolation: number;
}

export function meanVariance(input: MeanVarianceInput): OptimisedPortfolio {
  const { covariance } = input;
  const n = covariance.length;
  const gamma = input.riskAversion ?? 1;
  if (!(gamma > 0)) throw new Error(`riskAversion: must be positive, got ${gamma}`);
  const mu = Float64Array.from(input.expectedReturns ?? new Array<number>(n).fill(0));
  if (mu.length !== n) throw new Error(`expectedReturns: ${mu.length} values for a ${n}×${n} covariance`);
  const sets = constraintSets(n, input.constraints);
  const k = sets.length;
  const tol = (input.tolerance ?? 1e-8) * Math.sqrt(n);
  const maxIterations = input.maxIterations ?? 20_000;

  let trace = 0;
  for (let i = 0; i < n; i++) trace += covariance[i]![i]!;
  let rho = Math.max((gamma * trace) / n, 1e-12);
  const factor = () => cholesky(covariance.map((row, i) => row.map((v, j) => gamma * v + (i === j ? k * rho : 0))), "covariance");
  let l = factor();

  const x = new Float64Array(n);
  const z = sets.map(() => new Float64Array(n));
  const u = sets.map(() => new Float64Array(n));
  const rhs = new Float64Array(n);
  const prev = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    for (let i = 0; i < n; i++) {
      let s = mu[i]!;
      for (let c = 0; c < k; c++) s += rho * (z[c]![i]! - u[c]![i]!);
      rhs[i] = s;
    }
    x.set(choleskySolve(l, rhs));
    let primal = 0;
    let dual = 0;
    prev.fill(0);
    for (let c = 0; c < k; c++) {
      const zc = z[c]!;
      const uc = u[c]!;
      for (let i = 0; i < n; i++) prev[i]! += zc[i]!;
      for (let i = 0; i < n; i++) zc[i] = x[i]! + uc[i]!;
      sets[c]!.project(zc);
      for (let i = 0; i < n; i++) {
        const r = x[i]! - zc[i]!;
        uc[i]! += r;
        primal += r * r;
        prev[i]! -= zc[i]!;
      }
    }
    for (let i = 0; i < n; i++) dual += prev[i]! ** 2;
    primal = Math.sqrt(primal);
    dual = rho * Math.sqrt(dual);
    if (primal < tol && dual < tol * Math.max(1, rho)) break;
    // Residual balancing: keep primal and dual progress within a factor of 10 (refactoring costs one Cholesky).
    if (iterations % 50 === 49 && (primal > 10 * dual || dual > 10 * primal)) {
      const f = primal > dual ? 2 : 0.5;
      rho *= f;
      for (const uc of u) for (let i = 0; i < n; i++) uc[i]! /= f;
      l = factor();
    }
  }
  const w = z[0]!;
  const maxViolation = Math.max(0, ...sets.map((s) => s.violation(w)));
  if (maxViolation > 1e-5) {
    const worst = sets.reduce((a, b) => (b.violation(w) > a.violation(w) ? b : a));
    throw new Error(`meanVariance: no portfolio found within the ${worst.name} constraint after ${iterations} iterations (violation ${worst.violation(w)}); the constraints may be infeasible together`);
  }
  const sw = matVec(covariance, w);
  let variance = 0;
  let expectedReturn = 0;
  for (let i = 0; i < n; i++) {
    variance += w[i]! * sw[i]!;
    expectedReturn += w[i]! * mu[i]!;
  }
  return { weights: Array.from(w), expectedReturn, variance, iterations, maxViolation };
}

/** The lowest-variance portfolio in the constraints (a net bound is needed, or the answer is w = 0). */
export function minimumVariance(covariance: Matrix, constraints: WeightConstraints): OptimisedPortfolio {
  if (!constraints.net) throw new Error("constraints.net: minimum variance needs a net exposure bound (e.g. {min: 1, max: 1}), or all weights are 0");
  return meanVariance({ covariance, constraints });
}
