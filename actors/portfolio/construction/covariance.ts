/**
 * Covariance estimates for portfolio construction: Ledoit-Wolf shrinkage of the sample covariance toward a scaled
 * identity, and the covariance implied by a factor model.
 */
import { type Matrix, matMul, transpose, zeros } from "../../risk-book/analytics/index.ts";

export interface ShrunkCovariance {
  covariance: Matrix;
  /** δ in [0, 1]: weight on the target m I */
  shrinkage: number;
  /** m = tr(S)/n */
  target: number;
}

/**
 * Ledoit and Wolf (2004), "A well-conditioned estimator for large-dimensional covariance matrices": Σ̂ = δ m I +
 * (1 − δ) S with S = XᵀX/T of the demeaned returns (divisor T, as in the paper), d² = ‖S − mI‖²/n,
 * b̄² = Σ_t ‖x_t x_tᵀ − S‖²/(n T²), δ = min(b̄², d²)/d². b̄² is computed as (Σ_t ‖x_t‖⁴ − T‖S‖²)/(n T²), which is the same
 * sum without forming T outer products.
 */
export function ledoitWolfCovariance(returns: readonly (readonly number[])[]): ShrunkCovariance {
  const t = returns.length;
  if (t < 2) throw new Error(`ledoitWolfCovariance: need at least 2 observations, got ${t}`);
  const n = returns[0]!.length;
  const means = new Float64Array(n);
  returns.forEach((r, k) => {
    if (r.length !== n) throw new Error(`ledoitWolfCovariance: observation ${k} has ${r.length} assets, expected ${n}`);
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(r[j])) throw new Error(`ledoitWolfCovariance: return [${k}][${j}] is not finite (${r[j]})`);
      means[j]! += r[j]! / t;
    }
  });
  const s = zeros(n, n);
  const x = new Float64Array(n);
  let fourth = 0;
  for (const r of returns) {
    let norm2 = 0;
    for (let j = 0; j < n; j++) {
      x[j] = r[j]! - means[j]!;
      norm2 += x[j]! ** 2;
    }
    fourth += norm2 * norm2;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const si = s[i]!;
      for (let j = 0; j <= i; j++) si[j]! += xi * x[j]!;
    }
  }
  let trace = 0;
  let frob = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = s[i]![j]! / t;
      s[i]![j] = v;
      s[j]![i] = v;
      frob += i === j ? v * v : 2 * v * v;
    }
    trace += s[i]![i]!;
  }
  const m = trace / n;
  const d2 = (frob - 2 * m * trace + m * m * n) / n;
  const b2bar = (fourth - t * frob) / (n * t * t);
  const shrinkage = d2 > 0 ? Math.min(b2bar, d2) / d2 : 1;
  const covariance = s.map((row, i) => row.map((v, j) => (1 - shrinkage) * v + (i === j ? shrinkage * m : 0)));
  return { covariance, shrinkage, target: m };
}

/** Σ = B F Bᵀ + diag(specific): loadings B (assets × factors), factor covariance F, specific variances. */
export function factorModelCovariance(loadings: Matrix, factorCovariance: Matrix, specificVariance: readonly number[]): Matrix {
  const n = loadings.length;
  const k = factorCovariance.length;
  if (specificVariance.length !== n) throw new Error(`specificVariance: ${specificVariance.length} values for ${n} assets`);
  loadings.forEach((row, i) => {
    if (row.length !== k) throw new Error(`loadings row ${i}: ${row.length} factors, factor covariance is ${k}×${k}`);
  });
  specificVariance.forEach((v, i) => {
    if (!(v >= 0)) throw new Error(`specificVariance[${i}]: must be non-negative, got ${v}`);
  });
  const cov = matMul(matMul(loadings, factorCovariance), transpose(loadings));
  for (let i = 0; i < n; i++) cov[i]![i]! += specificVariance[i]!;
  return cov;
}
