/**
 * The covariance the optimiser sees: dense, or a factor model Σ = BFBᵀ + D. A factor model enters the quadratic
 * program through k exposure columns f = Bᵀw, so its risk term γ(fᵀFf + Σ d_i w_i²) has k² + n entries instead of
 * n², which is why large universes are optimised on factor risk models.
 */
import { cholesky, type Matrix, matVec } from "../../risk-book/analytics/index.ts";
import type { LinearRow, QuadraticProgram, QuadraticTerm } from "./quadratic-program.ts";
import { weightColumn } from "./weight-constraints.ts";

export interface FactorRiskModel {
  /** assets × factors */
  loadings: Matrix;
  /** factors × factors, positive definite */
  factorCovariance: Matrix;
  /** per asset, positive */
  specificVariance: readonly number[];
}

export type RiskModel = { covariance: Matrix } | { factorModel: FactorRiskModel };

/** The risk term ½γ wᵀΣw as quadratic program pieces: extra columns and their defining rows, and Q's entries. */
export interface RiskTerm {
  columns: QuadraticProgram["variables"];
  rows: LinearRow[];
  quadratic: QuadraticTerm[];
}

export interface RiskModelOps {
  assets: number;
  variance(w: ArrayLike<number>): number;
  riskTerm(gamma: number): RiskTerm;
}

const requireFinite = (x: number, what: string): void => {
  if (!Number.isFinite(x)) throw new Error(`${what}: must be finite, got ${x}`);
};

/**
 * Positive semi-definite up to rounding: Cholesky of Σ + εI with ε a 1e-10 share of the mean variance, so a
 * singular but valid Σ (a redundant asset) passes and an indefinite one fails with its name.
 */
function requirePsd(a: Matrix, name: string): void {
  const n = a.length;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i]![i]!;
  const eps = Math.max(1e-10 * (trace / n), 1e-300);
  cholesky(
    a.map((row, i) => row.map((v, j) => v + (i === j ? eps : 0))),
    `${name} (must be positive semi-definite)`,
  );
}

function denseOps(covariance: Matrix): RiskModelOps {
  const n = covariance.length;
  for (let i = 0; i < n; i++) {
    if (covariance[i]!.length !== n) throw new Error(`covariance: must be ${n}×${n}, row ${i} has ${covariance[i]!.length} columns`);
    for (let j = 0; j < n; j++) {
      requireFinite(covariance[i]![j]!, `covariance[${i}][${j}]`);
      if (j < i && Math.abs(covariance[i]![j]! - covariance[j]![i]!) > 1e-12 * Math.sqrt(Math.abs(covariance[i]![i]! * covariance[j]![j]!)))
        throw new Error(`covariance: not symmetric at [${i}][${j}] (${covariance[i]![j]} vs ${covariance[j]![i]})`);
    }
  }
  requirePsd(covariance, "covariance");
  return {
    assets: n,
    variance: (w) => {
      const sw = matVec(covariance, w);
      let v = 0;
      for (let i = 0; i < n; i++) v += w[i]! * sw[i]!;
      return v;
    },
    riskTerm(gamma) {
      const quadratic: QuadraticTerm[] = [];
      for (let i = 0; i < n; i++)
        for (let j = i; j < n; j++) {
          const c = gamma * covariance[i]![j]!;
          if (c !== 0 || i === j) quadratic.push({ first: weightColumn(i), second: weightColumn(j), coefficient: c });
        }
      return { columns: [], rows: [], quadratic };
    },
  };
}

function factorOps(m: FactorRiskModel): RiskModelOps {
  const n = m.loadings.length;
  const k = m.factorCovariance.length;
  if (m.specificVariance.length !== n) throw new Error(`factorModel.specificVariance: ${m.specificVariance.length} values for ${n} assets`);
  m.loadings.forEach((row, i) => {
    if (row.length !== k) throw new Error(`factorModel.loadings row ${i}: ${row.length} factors, the factor covariance is ${k}×${k}`);
    for (let a = 0; a < k; a++) requireFinite(row[a]!, `factorModel.loadings[${i}][${a}]`);
  });
  m.specificVariance.forEach((v, i) => {
    if (!(v > 0)) throw new Error(`factorModel.specificVariance[${i}]: must be positive, got ${v}`);
  });
  m.factorCovariance.forEach((row, a) => {
    for (let b = 0; b < row.length; b++) requireFinite(row[b]!, `factorModel.factorCovariance[${a}][${b}]`);
  });
  cholesky(m.factorCovariance, "factorModel.factorCovariance");
  const factorColumn = (a: number) => `f${a}`;
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
    variance(w) {
      const f = exposures(w);
      let v = 0;
      const ff = matVec(m.factorCovariance, f);
      for (let a = 0; a < k; a++) v += f[a]! * ff[a]!;
      for (let i = 0; i < n; i++) v += m.specificVariance[i]! * w[i]! ** 2;
      return v;
    },
    riskTerm(gamma) {
      const quadratic: QuadraticTerm[] = [];
      for (let a = 0; a < k; a++)
        for (let b = a; b < k; b++) {
          const c = gamma * m.factorCovariance[a]![b]!;
          if (c !== 0 || a === b) quadratic.push({ first: factorColumn(a), second: factorColumn(b), coefficient: c });
        }
      for (let i = 0; i < n; i++)
        quadratic.push({ first: weightColumn(i), second: weightColumn(i), coefficient: gamma * m.specificVariance[i]! });
      // f_a − Σ B_ia w_i = 0 defines each factor exposure column
      const rows: LinearRow[] = Array.from({ length: k }, (_, a) => ({
        name: `exposure${a}`,
        terms: [
          { variable: factorColumn(a), coefficient: 1 },
          ...m.loadings.flatMap((row, i) => (row[a] === 0 ? [] : [{ variable: weightColumn(i), coefficient: -row[a]! }])),
        ],
        lower: 0,
        upper: 0,
      }));
      return { columns: Array.from({ length: k }, (_, a) => ({ name: factorColumn(a) })), rows, quadratic };
    },
  };
}

export const riskModelOps = (model: RiskModel): RiskModelOps =>
  "covariance" in model ? denseOps(model.covariance) : factorOps(model.factorModel);
