/**
 * Risk budgeting: long-only weights whose risk contributions w_i (Σw)_i are proportional to the budgets b_i (equal
 * risk contribution when every b_i = 1/n). Solved by cyclical coordinate descent on the log-barrier form
 * (Griveau-Billion, Richard and Roncalli 2013): each coordinate has a closed-form root, and the problem is convex.
 */
import { type Matrix, requireSquare } from "../../risk-book/analytics/index.ts";

export interface RiskParityPortfolio {
  weights: number[];
  /** w_i (Σw)_i / wᵀΣw: each asset's share of the variance */
  riskContributions: number[];
  iterations: number;
}

export function riskParity(
  covariance: Matrix,
  budgets?: readonly number[],
  tolerance = 1e-12,
  maxIterations = 10_000,
): RiskParityPortfolio {
  const n = requireSquare(covariance, "covariance");
  const b = budgets ? Float64Array.from(budgets) : new Float64Array(n).fill(1 / n);
  if (b.length !== n) throw new Error(`budgets: ${b.length} values for ${n} assets`);
  b.forEach((v, i) => {
    if (!(v > 0)) throw new Error(`budgets[${i}]: must be positive, got ${v}`);
  });
  for (let i = 0; i < n; i++)
    if (!(covariance[i]![i]! > 0)) throw new Error(`covariance[${i}][${i}]: variance must be positive, got ${covariance[i]![i]}`);
  // y solves min ½yᵀΣy − Σ b_i ln y_i; w = y / Σy. Keep Σy current as coordinates change.
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(covariance[i]![i]!);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sy[i]! += covariance[i]![j]! * y[j]!;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let change = 0;
    for (let i = 0; i < n; i++) {
      const sii = covariance[i]![i]!;
      const others = sy[i]! - sii * y[i]!;
      const next = (-others + Math.sqrt(others * others + 4 * sii * b[i]!)) / (2 * sii);
      const d = next - y[i]!;
      if (d !== 0) {
        for (let k = 0; k < n; k++) sy[k]! += covariance[k]![i]! * d;
        y[i] = next;
        change = Math.max(change, Math.abs(d) / next);
      }
    }
    if (change < tolerance) break;
  }
  const total = y.reduce((s, v) => s + v, 0);
  const weights = Array.from(y, (v) => v / total);
  const sw = Array.from(sy, (v) => v / total);
  const variance = weights.reduce((s, w, i) => s + w * sw[i]!, 0);
  return { weights, riskContributions: weights.map((w, i) => (w * sw[i]!) / variance), iterations };
}
