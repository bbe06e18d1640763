import tap from "tap";
import { fromRows, inverseSpd, type Matrix, matVec } from "../../risk-book/analytics/index.ts";
import { factorModelCovariance } from "./covariance.ts";
import { meanVariance, minimumVariance } from "./mean-variance.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

// four assets: vols 20 %, 25 %, 15 %, 30 %, correlations 0.3 / 0.1 / 0.5 …
const vols = [0.2, 0.25, 0.15, 0.3];
const corr = [
  [1, 0.3, 0.1, 0.5],
  [0.3, 1, 0.2, 0.4],
  [0.1, 0.2, 1, 0.1],
  [0.5, 0.4, 0.1, 1],
];
const cov: Matrix = fromRows(corr.map((row, i) => row.map((c, j) => c * vols[i]! * vols[j]!)));
const mu = [0.08, 0.1, 0.05, 0.12];

t.test("with only a budget, minimum variance is Σ⁻¹1 / 1ᵀΣ⁻¹1", async (t) => {
  const inv = inverseSpd(cov);
  const raw = matVec(inv, [1, 1, 1, 1]);
  const total = raw.reduce((s, v) => s + v, 0);
  const mv = await minimumVariance({ covariance: cov }, { net: { min: 1, max: 1 } });
  mv.weights.forEach((w, i) => {
    near(t, w, raw[i]! / total, 1e-6, `w${i}`);
  });
  await t.rejects(() => minimumVariance({ covariance: cov }, {}), /constraints.net: minimum variance needs/);
});

t.test("with only a budget, mean-variance is Σ⁻¹(μ − η1)/γ", async (t) => {
  const inv = inverseSpd(cov);
  const a = matVec(inv, mu);
  const b = matVec(inv, [1, 1, 1, 1]);
  const gamma = 4;
  // 1ᵀw = 1 ⇒ η = (1ᵀΣ⁻¹μ − γ)/1ᵀΣ⁻¹1
  const eta = (a.reduce((s, v) => s + v, 0) - gamma) / b.reduce((s, v) => s + v, 0);
  const p = await meanVariance({ covariance: cov, expectedReturns: mu, riskAversion: gamma, constraints: { net: { min: 1, max: 1 } } });
  p.weights.forEach((w, i) => {
    near(t, w, (a[i]! - eta * b[i]!) / gamma, 1e-6, `w${i}`);
  });
});

t.test("long-only with a box satisfies the KKT conditions", async (t) => {
  const gamma = 2;
  const p = await meanVariance({
    covariance: cov,
    expectedReturns: mu,
    riskAversion: gamma,
    constraints: { lower: 0, upper: 0.4, net: { min: 1, max: 1 } },
  });
  const w = p.weights;
  near(
    t,
    w.reduce((s, v) => s + v, 0),
    1,
    1e-9,
    "fully invested",
  );
  // gradient g = γΣw − μ; interior weights share −η, those at 0 have g ≥ −η, those at the cap g ≤ −η
  const g = Array.from(matVec(cov, w)).map((v, i) => gamma * v - mu[i]!);
  const interior = w.flatMap((v, i) => (v > 1e-6 && v < 0.4 - 1e-6 ? [i] : []));
  t.ok(interior.length > 0, "some weight is interior");
  const minusEta = g[interior[0]!]!;
  w.forEach((v, i) => {
    if (v <= 1e-6) t.ok(g[i]! >= minusEta - 1e-6, `asset ${i} at 0`);
    else if (v >= 0.4 - 1e-6) t.ok(g[i]! <= minusEta + 1e-6, `asset ${i} at the cap`);
    else near(t, g[i]!, minusEta, 1e-6, `asset ${i} interior`);
  });
});

t.test("a gross limit of 1 with a full budget is the long-only portfolio", async (t) => {
  const longOnly = await meanVariance({
    covariance: cov,
    expectedReturns: mu,
    riskAversion: 1,
    constraints: { lower: 0, net: { min: 1, max: 1 } },
  });
  const gross = await meanVariance({
    covariance: cov,
    expectedReturns: mu,
    riskAversion: 1,
    constraints: { net: { min: 1, max: 1 }, gross: 1 },
  });
  gross.weights.forEach((w, i) => {
    near(t, w, longOnly.weights[i]!, 1e-5, `w${i}`);
  });
});

t.test("a one-asset sector cap is that asset's upper bound", async (t) => {
  const boxed = await meanVariance({
    covariance: cov,
    expectedReturns: mu,
    riskAversion: 1,
    constraints: { upper: [1e9, 1e9, 1e9, 0.1], net: { min: 1, max: 1 } },
  });
  const sector = await meanVariance({
    covariance: cov,
    expectedReturns: mu,
    riskAversion: 1,
    constraints: { net: { min: 1, max: 1 }, sectors: { ofAsset: ["A", "A", "B", "C"], bounds: { C: { max: 0.1 }, A: { min: -5 } } } },
  });
  sector.weights.forEach((w, i) => {
    near(t, w, boxed.weights[i]!, 1e-5, `w${i}`);
  });
});

t.test("turnover: zero keeps the current portfolio, a tighter limit costs utility", async (t) => {
  const current = [0.25, 0.25, 0.25, 0.25];
  const base = { covariance: cov, expectedReturns: mu, riskAversion: 3 };
  const utility = (w: number[]) =>
    mu.reduce((s, m, i) => s + m * w[i]!, 0) - 1.5 * Array.from(matVec(cov, w)).reduce((s, v, i) => s + v * w[i]!, 0);
  const frozen = await meanVariance({ ...base, constraints: { lower: 0, net: { min: 1, max: 1 }, turnover: { current, max: 0 } } });
  frozen.weights.forEach((w, i) => {
    near(t, w, current[i]!, 1e-6, `w${i}`);
  });
  const loose = await meanVariance({ ...base, constraints: { lower: 0, net: { min: 1, max: 1 } } });
  const limited = await meanVariance({ ...base, constraints: { lower: 0, net: { min: 1, max: 1 }, turnover: { current, max: 0.05 } } });
  t.ok(loose.weights.reduce((s, w, i) => s + Math.abs(w - current[i]!), 0) > 0.05, "unconstrained turnover exceeds the limit");
  near(
    t,
    limited.weights.reduce((s, w, i) => s + Math.abs(w - current[i]!), 0),
    0.05,
    1e-6,
    "turnover binds",
  );
  t.ok(
    utility(loose.weights) > utility(limited.weights) && utility(limited.weights) > utility(frozen.weights),
    "utility falls as turnover tightens",
  );
});

t.test("impossible constraints fail with the field named", async (t) => {
  await t.rejects(
    () => meanVariance({ covariance: cov, constraints: { lower: 0, upper: 0.2, net: { min: 1, max: 1 } } }),
    /constraints.net: \[1, 1\] is out of reach of the box bounds \[0, 0.8/,
  );
  await t.rejects(
    () => meanVariance({ covariance: cov, constraints: { lower: [0, 0], net: { min: 1, max: 1 } } }),
    /constraints.lower: 2 bounds for 4 assets/,
  );
  await t.rejects(
    () =>
      meanVariance({
        covariance: cov,
        constraints: {
          lower: 0,
          net: { min: 1, max: 1 },
          sectors: { ofAsset: ["A", "A", "B", "B"], bounds: { A: { max: 0.1 }, B: { max: 0.1 } } },
        },
      }),
    /constraints.sectors: the sector bounds allow net exposure in \[0, 0.2\], outside constraints.net \[1, 1\]/,
  );
});

t.test("a factor model gives the same portfolio as its dense covariance", async (t) => {
  const factorModel = {
    loadings: fromRows([
      [1.1, 0.2],
      [0.9, -0.3],
      [0.5, 0.1],
      [1.4, 0.4],
    ]),
    factorCovariance: fromRows([
      [0.03, 0.002],
      [0.002, 0.01],
    ]),
    specificVariance: [0.01, 0.02, 0.005, 0.04],
  };
  const dense = factorModelCovariance(factorModel.loadings, factorModel.factorCovariance, factorModel.specificVariance);
  const constraints = {
    lower: -0.1,
    upper: 0.6,
    net: { min: 1, max: 1 },
    gross: 1.2,
    turnover: { current: [0.25, 0.25, 0.25, 0.25], max: 0.5 },
  };
  const a = await meanVariance({ factorModel, expectedReturns: mu, riskAversion: 2, constraints });
  const b = await meanVariance({ covariance: dense, expectedReturns: mu, riskAversion: 2, constraints });
  a.weights.forEach((w, i) => {
    near(t, w, b.weights[i]!, 1e-6, `w${i}`);
  });
  near(t, a.variance, b.variance, 1e-12, "variance");
});

t.test("two-asset minimum variance is w1 = (σ2² − σ12)/(σ1² + σ2² − 2σ12)", async (t) => {
  const [s1, s2, s12] = [0.04, 0.09, 0.012];
  const p = await minimumVariance(
    {
      covariance: fromRows([
        [s1, s12],
        [s12, s2],
      ]),
    },
    { net: { min: 1, max: 1 } },
  );
  const w1 = (s2 - s12) / (s1 + s2 - 2 * s12);
  near(t, p.weights[0]!, w1, 1e-6, "w1");
  near(t, p.weights[1]!, 1 - w1, 1e-6, "w2");
  near(t, p.variance, (s1 * s2 - s12 ** 2) / (s1 + s2 - 2 * s12), 1e-12, "variance");
});

t.test("constraints that cannot hold together fail naming the constraint set and HiGHS's status", async (t) => {
  // a budget of 1 with gross exposure at most 0.5: each set alone is fine, together they are not
  await t.rejects(
    () => meanVariance({ covariance: cov, expectedReturns: mu, constraints: { net: { min: 1, max: 1 }, gross: 0.5 } }),
    /meanVariance: infeasible constraints \(HiGHS status Infeasible\): the gross exposure constraints cannot hold together with box and net exposure/,
  );
  // long-only, fully invested and within 0.1 of a portfolio that is 80 % in cash
  await t.rejects(
    () =>
      meanVariance({
        covariance: cov,
        constraints: { lower: 0, net: { min: 1, max: 1 }, turnover: { current: [0.05, 0.05, 0.05, 0.05], max: 0.1 } },
      }),
    /infeasible constraints \(HiGHS status Infeasible\): the turnover constraints cannot hold/,
  );
});

t.test("bad input fails with the field named", async (t) => {
  const indefinite = fromRows([
    [0.04, 0.1],
    [0.1, 0.04],
  ]);
  await t.rejects(
    () => minimumVariance({ covariance: indefinite }, { net: { min: 1, max: 1 } }),
    /covariance \(must be positive semi-definite\)/,
  );
  const withNaN = fromRows([
    [0.04, Number.NaN],
    [Number.NaN, 0.09],
  ]);
  await t.rejects(
    () => minimumVariance({ covariance: withNaN }, { net: { min: 1, max: 1 } }),
    /covariance\[0\]\[1\]: must be finite, got NaN/,
  );
  await t.rejects(
    () => meanVariance({ covariance: cov, expectedReturns: [0.1, Number.NaN, 0, 0], constraints: { net: { min: 1, max: 1 } } }),
    /expectedReturns\[1\]: must be finite, got NaN/,
  );
  // a singular but valid covariance (two identical assets) is accepted
  const singular = fromRows([
    [0.04, 0.04],
    [0.04, 0.04],
  ]);
  const p = await minimumVariance({ covariance: singular }, { net: { min: 1, max: 1 } });
  near(t, p.variance, 0.04, 1e-12, "variance of the singular pair");
});
