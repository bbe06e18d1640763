/**
 * The covariance the optimiser sees: dense, or a factor model Σ = BFBᵀ + D. The solver needs (γΣ + cI)⁻¹r for a
 * fixed c many times; for a factor model, Woodbury's identity makes that O(n k) instead of O(n²), which is why large
 * universes are optimised on factor risk models.
 */
import { cholesky, choleskySolve, type Matrix, matVec } from "../../risk-book/analytics/index.ts";

export interface FactorRiskModel {
  /** assets × factors */
  loadings: Matrix;
  /** factors × factors, positive definite */
  factorCovariance: Matrix;
  /** per asset, positive */
  specificVariance: readonly number[];
}

export type RiskModel = { covariance: Matrix } | { factorModel: FactorRiskModel };

export interface ShiftedSolve {
  /** x = (γΣ + cI)⁻¹ r */
  solve(r: Float64Array, out: Float64Array): void;
}

export interface RiskModelOps {
  assets: number;
  /** mean diagonal of Σ, to scale the solver's step */
  meanVariance: number;
  variance(w: ArrayLike<number>): number;
  shifted(gamma: number, c: number): ShiftedSolve;
}

function denseOps(covariance: Matrix): RiskModelOps {
  const n = covariance.length;
  let trace = 0;
  for (let i = 0; i < n; i++) {
    if (covariance[i]!.length !== n) throw new Error(`covariance: must be ${n}×${n}, row ${i} has ${covariance[i]!.length} columns`);
    trace += covariance[i]![i]!;
  }
  return {
    assets: n,
    meanVariance: trace / n,
    variance: (w) => {
      const sw = matVec(covariance, w);
      let v = 0;
      for (let i = 0; i < n; i++) v += w[i]! * sw[i]!;
      return v;
    },
    shifted(gamma, c) {
      const l = cholesky(
        covariance.map((row, i) => row.map((v, j) => gamma * v + (i === j ? c : 0))),
        "covariance",
      );
      return { solve: (r, out) => out.set(choleskySolve(l, r)) };
    },
  };
}

function factorOps(m: FactorRiskModel): RiskModelOps {
  const n = m.loadings.length;
  const k = m.factorCovariance.length;
  if (m.specificVariance.length !== n) throw new Error(`factorModel.specificVariance: ${m.specificVariance.length} values for ${n} assets`);
  m.loadings.forEach((row, i) => {
    if (row.length !== k) throw new Error(`factorModel.loadings row ${i}: ${row.length} factors, the factor covariance is ${k}×${k}`);
  });
  m.specificVariance.forEach((v, i) => {
    if (!(v > 0)) throw new Error(`factorModel.specificVariance[${i}]: must be positive, got ${v}`);
  });
  const fl = cholesky(m.factorCovariance, "factorModel.factorCovariance");
  const fInv = Array.from({ length: k }, (_, j) => {
    const e = new Float64Array(k);
    e[j] = 1;
    return choleskySolve(fl, e);
  });
  let trace = 0;
  for (let i = 0; i < n; i++) {
    const fb = matVec(m.factorCovariance, m.loadings[i]!);
    trace += m.specificVariance[i]! + m.loadings[i]!.reduce((s, b, a) => s + b * fb[a]!, 0);
  }
  const exposures = (w: ArrayLike<number>): Float64Array => {
    const f = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const row = m.loadings[i]!;
      const wi = w[i]!;
      for (let a = 0; a < k; a++) f[a]! += row[a]! * wi;
    }
    return f;
  };
  return {
    assets: n,
    meanVariance: trace / n,
    variance(w) {
      const f = exposures(w);
      let v = 0;
      const ff = matVec(m.factorCovariance, f);
      for (let a = 0; a < k; a++) v += f[a]! * ff[a]!;
      for (let i = 0; i < n; i++) v += m.specificVariance[i]! * w[i]! ** 2;
      return v;
    },
    shifted(gamma, c) {
      // (A + B(γF)Bᵀ)⁻¹ = A⁻¹ − A⁻¹B((γF)⁻¹ + BᵀA⁻¹B)⁻¹BᵀA⁻¹ with A = γD + cI diagonal
      const aInv = Float64Array.from(m.specificVariance, (d) => 1 / (gamma * d + c));
      const inner = fInv.map((row) => row.map((v) => v / gamma));
      for (let i = 0; i < n; i++) {
        const row = m.loadings[i]!;
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) inner[a]![b]! += row[a]! * aInv[i]! * row[b]!;
      }
      const il = cholesky(inner, "factor model capacitance");
      const y = new Float64Array(n);
      return {
        solve(r, out) {
          for (let i = 0; i < n; i++) y[i] = aInv[i]! * r[i]!;
          const s = choleskySolve(il, exposures(y));
          for (let i = 0; i < n; i++) {
            const row = m.loadings[i]!;
            let bs = 0;
            for (let a = 0; a < k; a++) bs += row[a]! * s[a]!;
            out[i] = y[i]! - aInv[i]! * bs;
          }
        },
      };
    },
  };
}

export const riskModelOps = (model: RiskModel): RiskModelOps =>
  "covariance" in model ? denseOps(model.covariance) : factorOps(model.factorModel);
