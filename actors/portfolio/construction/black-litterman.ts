/**
 * Black-Litterman expected returns: equilibrium returns π = δΣw_mkt blended with investor views P μ = Q.
 * Posterior mean μ = π + τΣPᵀ(PτΣPᵀ + Ω)⁻¹(Q − Pπ), posterior covariance Σ + τΣ − τΣPᵀ(PτΣPᵀ + Ω)⁻¹PτΣ
 * (He and Litterman 1999). This form stays defined for a view held with full confidence (Ω_kk = 0).
 *
 * Confidence c_k in (0, 1] sets Ω_kk = (1/c_k − 1)(PτΣPᵀ)_kk: c = 1 imposes the view, c = ½ moves a lone view halfway
 * from the prior to Q (Ω equal to the prior's uncertainty of the view, the He-Litterman choice), c → 0 ignores it.
 */
import { inverseSpd, type Matrix, matVec, requireSquare, zeros } from "../../risk-book/analytics/index.ts";

export interface InvestorView {
  /** the view's portfolio: asset index → weight (e.g. {0: 1, 1: −1} for "asset 0 beats asset 1") */
  portfolio: Record<number, number>;
  /** expected return of that portfolio */
  expectedReturn: number;
  /** in (0, 1] */
  confidence: number;
}

export interface BlackLittermanInput {
  covariance: Matrix;
  marketWeights: readonly number[];
  /** δ, the market's risk aversion (e.g. 2.5) */
  riskAversion: number;
  /** τ, the uncertainty of the prior relative to Σ (e.g. 0.05) */
  tau: number;
  views: readonly InvestorView[];
}

export interface BlackLittermanPosterior {
  equilibriumReturns: number[];
  expectedReturns: number[];
  covariance: Matrix;
  /** unconstrained optimal weights (δΣ_post)⁻¹μ */
  weights: number[];
}

export function blackLitterman(input: BlackLittermanInput): BlackLittermanPosterior {
  const { covariance: s, marketWeights, riskAversion: delta, tau, views } = input;
  const n = requireSquare(s, "covariance");
  if (marketWeights.length !== n) throw new Error(`marketWeights: ${marketWeights.length} weights for ${n} assets`);
  if (!(delta > 0)) throw new Error(`riskAversion: must be positive, got ${delta}`);
  if (!(tau > 0)) throw new Error(`tau: must be positive, got ${tau}`);
  const pi = Array.from(matVec(s, marketWeights), (v) => v * delta);
  const k = views.length;
  const p = zeros(k, n);
  views.forEach((v, r) => {
    if (!(v.confidence > 0 && v.confidence <= 1)) throw new Error(`views[${r}].confidence: must be in (0, 1], got ${v.confidence}`);
    if (!Number.isFinite(v.expectedReturn)) throw new Error(`views[${r}].expectedReturn: must be finite, got ${v.expectedReturn}`);
    for (const [asset, w] of Object.entries(v.portfolio)) {
      const i = Number(asset);
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`views[${r}].portfolio: asset ${asset} is outside 0..${n - 1}`);
      p[r]![i] = w;
    }
  });
  // τΣPᵀ (n × k) and PτΣPᵀ (k × k)
  const tsPt = zeros(n, k);
  for (let r = 0; r < k; r++) {
    const col = matVec(s, p[r]!);
    for (let i = 0; i < n; i++) tsPt[i]![r] = tau * col[i]!;
  }
  const m = zeros(k, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let i = 0; i < n; i++) m[a]![b]! += p[a]![i]! * tsPt[i]![b]!;
  views.forEach((v, r) => {
    m[r]![r]! *= 1 / v.confidence;
  });
  const mInv = k > 0 ? inverseSpd(m, "view covariance PτΣPᵀ + Ω (are two views the same portfolio?)") : [];
  const surprise = views.map((v, r) => v.expectedReturn - p[r]!.reduce((acc, w, i) => acc + w * pi[i]!, 0));
  const gain = k > 0 ? matVec(mInv, surprise) : new Float64Array(0);
  const expectedReturns = pi.map((v, i) => v + tsPt[i]!.reduce((acc, x, r) => acc + x * gain[r]!, 0));
  const covariance = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let adj = 0;
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) adj += tsPt[i]![a]! * mInv[a]![b]! * tsPt[j]![b]!;
      covariance[i]![j] = (1 + tau) * s[i]![j]! - adj;
    }
  }
  const weights = Array.from(matVec(inverseSpd(covariance, "posterior covariance"), expectedReturns), (v) => v / delta);
  return { equilibriumReturns: pi, expectedReturns, covariance, weights };
}
