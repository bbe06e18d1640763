import tap from "tap";
import { fromRows, type Matrix, matVec } from "../../risk-book/analytics/index.ts";
import { blackLitterman } from "./black-litterman.ts";
import { factorModelCovariance, ledoitWolfCovariance } from "./covariance.ts";
import { hierarchicalRiskParity } from "./hierarchical-risk-parity.ts";
import { riskParity } from "./risk-parity.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

const covOf = (vols: number[], corr: (i: number, j: number) => number): Matrix =>
  fromRows(vols.map((a, i) => vols.map((b, j) => (i === j ? 1 : corr(i, j)) * a * b)));
const vols = [0.2, 0.25, 0.15, 0.3];
const cov = covOf(
  vols,
  (i, j) =>
    [
      [1, 0.3, 0.1, 0.5],
      [0.3, 1, 0.2, 0.4],
      [0.1, 0.2, 1, 0.1],
      [0.5, 0.4, 0.1, 1],
    ][i]![j]!,
);

t.test("Ledoit-Wolf matches the paper's formulas computed with explicit outer products", async (t) => {
  const returns = Array.from({ length: 30 }, (_, k) => [
    Math.sin(k) / 50,
    Math.cos(2 * k) / 40 + Math.sin(k) / 100,
    ((k * 7) % 5) / 200 - 0.01,
  ]);
  const r = ledoitWolfCovariance(returns);
  const n = 3;
  const T = 30;
  const means = [0, 1, 2].map((j) => returns.reduce((s, x) => s + x[j]!, 0) / T);
  const x = returns.map((row) => row.map((v, j) => v - means[j]!));
  const s = [0, 1, 2].map((i) => [0, 1, 2].map((j) => x.reduce((acc, row) => acc + row[i]! * row[j]!, 0) / T));
  const m = (s[0]![0]! + s[1]![1]! + s[2]![2]!) / n;
  let d2 = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d2 += (s[i]![j]! - (i === j ? m : 0)) ** 2 / n;
  let b2 = 0;
  for (const row of x) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b2 += (row[i]! * row[j]! - s[i]![j]!) ** 2 / n / (T * T);
  const delta = Math.min(b2, d2) / d2;
  near(t, r.shrinkage, delta, 1e-12, "δ");
  near(t, r.target, m, 1e-15, "m");
  near(t, r.covariance[0]![1]!, (1 - delta) * s[0]![1]!, 1e-15, "off-diagonal shrinks toward 0");
  near(t, r.covariance[2]![2]!, delta * m + (1 - delta) * s[2]![2]!, 1e-15, "diagonal shrinks toward m");
  t.ok(r.shrinkage > 0 && r.shrinkage < 1);
});

t.test("a factor model's covariance is B F Bᵀ + D", async (t) => {
  const c = factorModelCovariance(fromRows([[1.2], [0.8]]), fromRows([[0.04]]), [0.01, 0.02]);
  near(t, c[0]![0]!, 1.44 * 0.04 + 0.01, 1e-15, "var 0");
  near(t, c[0]![1]!, 1.2 * 0.8 * 0.04, 1e-15, "cov");
  near(t, c[1]![1]!, 0.64 * 0.04 + 0.02, 1e-15, "var 1");
  t.throws(() => factorModelCovariance(fromRows([[1]]), fromRows([[0.04]]), [-1]), /specificVariance\[0\]/);
});

t.test("equal risk contribution: inverse volatility when correlations are equal, equal shares in general", async (t) => {
  const two = riskParity(covOf([0.1, 0.3], () => 0.7));
  near(t, two.weights[0]!, 0.75, 1e-10, "two assets: 1/σ");
  const equalCorr = riskParity(covOf(vols, () => 0.35));
  const inv = vols.map((v) => 1 / v);
  const total = inv.reduce((s, v) => s + v, 0);
  equalCorr.weights.forEach((w, i) => {
    near(t, w, inv[i]! / total, 1e-10, `constant correlation w${i}`);
  });
  const erc = riskParity(cov);
  erc.riskContributions.forEach((rc, i) => {
    near(t, rc, 0.25, 1e-10, `RC${i}`);
  });
  const budgets = [0.4, 0.3, 0.2, 0.1];
  riskParity(cov, budgets).riskContributions.forEach((rc, i) => {
    near(t, rc, budgets[i]!, 1e-10, `budget ${i}`);
  });
  t.throws(() => riskParity(cov, [1, 1, 1, 0]), /budgets\[3\]: must be positive/);
});

t.test("Black-Litterman: no views give π and w_mkt/(1 + τ); full confidence imposes a view, half goes halfway", async (t) => {
  const wMkt = [0.3, 0.2, 0.4, 0.1];
  const base = { covariance: cov, marketWeights: wMkt, riskAversion: 2.5, tau: 0.05 };
  const none = blackLitterman({ ...base, views: [] });
  const pi = Array.from(matVec(cov, wMkt), (v) => 2.5 * v);
  none.expectedReturns.forEach((m, i) => {
    near(t, m, pi[i]!, 1e-15, `μ${i} = π${i}`);
  });
  // He and Litterman (1999): without views the optimal weights are the market's scaled by 1/(1 + τ)
  none.weights.forEach((w, i) => {
    near(t, w, wMkt[i]! / 1.05, 1e-12, `w${i}`);
  });
  const view = { portfolio: { 0: 1, 1: -1 }, expectedReturn: 0.03 };
  const prior = pi[0]! - pi[1]!;
  const sure = blackLitterman({ ...base, views: [{ ...view, confidence: 1 }] });
  near(t, sure.expectedReturns[0]! - sure.expectedReturns[1]!, 0.03, 1e-12, "c = 1");
  const half = blackLitterman({ ...base, views: [{ ...view, confidence: 0.5 }] });
  near(t, half.expectedReturns[0]! - half.expectedReturns[1]!, (prior + 0.03) / 2, 1e-12, "c = ½");
  const faint = blackLitterman({ ...base, views: [{ ...view, confidence: 1e-9 }] });
  near(t, faint.expectedReturns[0]! - faint.expectedReturns[1]!, prior, 1e-9, "c → 0");
  t.ok(sure.weights[0]! > none.weights[0]! && sure.weights[1]! < none.weights[1]!, "the view tilts weights toward asset 0");
  t.throws(
    () => blackLitterman({ ...base, views: [{ portfolio: { 7: 1 }, expectedReturn: 0.1, confidence: 0.5 }] }),
    /views\[0\].portfolio: asset 7 is outside/,
  );
});

t.test("HRP: inverse variance for uncorrelated assets; clusters ordered together and split by hand", async (t) => {
  const diag = hierarchicalRiskParity(covOf(vols, () => 0));
  const iv = vols.map((v) => 1 / (v * v));
  const sum = iv.reduce((s, v) => s + v, 0);
  diag.weights.forEach((w, i) => {
    near(t, w, iv[i]! / sum, 1e-12, `IVP w${i}`);
  });
  // assets 0 and 2 move together, 1 and 3 together
  const blocks = covOf(vols, (i, j) => ((i + j) % 2 === 0 ? 0.9 : 0.1));
  const h = hierarchicalRiskParity(blocks);
  const pos = (a: number) => h.order.indexOf(a);
  t.equal(Math.abs(pos(0) - pos(2)), 1, "0 and 2 adjacent");
  t.equal(Math.abs(pos(1) - pos(3)), 1, "1 and 3 adjacent");
  // by hand: the halves are the two clusters; each half's variance is that of its inverse-variance portfolio
  const [a, b, c, d] = h.order as [number, number, number, number];
  const ivp = (i: number, j: number) => {
    const wi = 1 / blocks[i]![i]! / (1 / blocks[i]![i]! + 1 / blocks[j]![j]!);
    const wj = 1 - wi;
    return { wi, wj, v: wi * wi * blocks[i]![i]! + wj * wj * blocks[j]![j]! + 2 * wi * wj * blocks[i]![j]! };
  };
  const left = ivp(a, b);
  const right = ivp(c, d);
  const alpha = 1 - left.v / (left.v + right.v);
  near(t, h.weights[a]!, alpha * left.wi, 1e-12, "first");
  near(t, h.weights[b]!, alpha * left.wj, 1e-12, "second");
  near(t, h.weights[c]!, (1 - alpha) * right.wi, 1e-12, "third");
  near(t, h.weights[d]!, (1 - alpha) * right.wj, 1e-12, "fourth");
  near(
    t,
    h.weights.reduce((s, w) => s + w, 0),
    1,
    1e-12,
    "sums to 1",
  );
});
