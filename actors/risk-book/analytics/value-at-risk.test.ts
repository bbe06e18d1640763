import tap from "tap";
import { normalQuantile, studentTPdf, studentTQuantile } from "./distributions.ts";
import { fromRows, sampleCovariance } from "./matrix.ts";
import { checkVarLimit, incrementalVar, scenarioContributions, varContributions } from "./var-contributions.ts";
import {
  bayesianRisk,
  correlatedScenarios,
  historicalRisk,
  monteCarloRisk,
  normalRisk,
  parametricNormalRisk,
  parametricStudentTRisk,
  scenarioPnl,
  studentTRisk,
  volatilityScaledReturns,
} from "./value-at-risk.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

t.test("normal VaR and ES are the textbook multiples of sigma", async (t) => {
  const v = normalRisk(0, 1, 0.99);
  near(t, v.valueAtRisk, 2.326348, 1e-6, "VaR 99 %");
  near(t, v.expectedShortfall, 2.665214, 1e-6, "ES 99 %");
  // FRTB calibrates ES at 97.5 % to about VaR at 99 %: 2.3378 σ
  near(t, normalRisk(0, 1, 0.975).expectedShortfall, 2.3378, 1e-5, "ES 97.5 %");
  // Jorion: the mean offsets the quantile; $10M σ, $1M drift, 95 %
  near(t, normalRisk(1, 10, 0.95).valueAtRisk, 15.448536, 1e-6, "with drift");
  t.throws(() => normalRisk(0, 1, 1.2), /confidence: must be in/);
});

t.test("Student t ES equals the tail mean E[X | X > t_c] (numerical integration of the density)", async (t) => {
  const nu = 4;
  const c = 0.99;
  const v = studentTRisk(0, 2, nu, c);
  near(t, v.valueAtRisk, 2 * 3.746947, 2e-6, "VaR = s t_0.99,4");
  // ∫_{t_c}^∞ x f(x) dx / (1 − c), with x = t_c/u mapping the tail onto (0, 1]
  const tc = 3.746947;
  const steps = 200_000;
  let sum = 0;
  for (let k = 0; k < steps; k++) {
    const u = (k + 0.5) / steps;
    const x = tc / u;
    sum += x * studentTPdf(x, nu) * (tc / (u * u));
  }
  near(t, v.expectedShortfall, (2 * sum) / steps / (1 - c), 1e-4, "ES by integration");
  // a t with many degrees of freedom is a normal
  near(t, studentTRisk(0, 1, 1e6, c).expectedShortfall, normalRisk(0, 1, c).expectedShortfall, 1e-4, "ν → ∞");
});

t.test("historical VaR is the m-th worst P&L and ES the mean of the m worst", async (t) => {
  const pnl = Array.from({ length: 100 }, (_, k) => k - 50);
  const v = historicalRisk(pnl, 0.95);
  t.equal(v.valueAtRisk, 46);
  t.equal(v.expectedShortfall, 48);
  t.throws(() => historicalRisk([1, Number.NaN], 0.95), /observation 1 is not finite/);
});

t.test("volatility scaling rescales each day by today's EWMA sigma over that day's", async (t) => {
  const r = [[0.01], [-0.03], [0.02]];
  const lambda = 0.9;
  const seed = (0.01 ** 2 + 0.03 ** 2 + 0.02 ** 2) / 3;
  const v1 = seed;
  const v2 = lambda * v1 + 0.1 * 0.01 ** 2;
  const v3 = lambda * v2 + 0.1 * 0.03 ** 2;
  const v4 = lambda * v3 + 0.1 * 0.02 ** 2;
  const scaled = volatilityScaledReturns(r, lambda);
  near(t, scaled[0]![0]!, 0.01 * Math.sqrt(v4 / v1), 1e-15, "day 1");
  near(t, scaled[1]![0]!, -0.03 * Math.sqrt(v4 / v2), 1e-15, "day 2");
  near(t, scaled[2]![0]!, 0.02 * Math.sqrt(v4 / v3), 1e-15, "day 3");
  t.same(scenarioPnl([[0.01, -0.02]], [100, 50]), [0]);
});

t.test("Monte Carlo VaR converges to the delta-normal figure and repeats under a seed", async (t) => {
  const cov = fromRows([
    [0.0004, 0.00012, 0],
    [0.00012, 0.0009, -0.0001],
    [0, -0.0001, 0.0001],
  ]);
  const exposures = [1e6, -5e5, 2e6];
  const mc = monteCarloRisk({ exposures, covariance: cov, paths: 400_000, seed: 7, confidence: 0.99 });
  const exact = varContributions(exposures, cov, 0.99);
  near(t, mc.valueAtRisk / exact.valueAtRisk, 1, 0.01, "VaR within 1 %");
  near(t, mc.expectedShortfall / exact.expectedShortfall, 1, 0.015, "ES within 1.5 %");
  const again = monteCarloRisk({ exposures, covariance: cov, paths: 1000, seed: 7, confidence: 0.99 });
  t.same(again.pnl.slice(0, 5), mc.pnl.slice(0, 5), "same seed, same paths");
  const scenarios = correlatedScenarios(cov, 100_000, 3);
  const sample = sampleCovariance(scenarios);
  near(t, sample[0]![1]! / 0.00012, 1, 0.03, "simulated covariance");
  t.throws(() => monteCarloRisk({ exposures: [1, 2], covariance: cov, paths: 1000, seed: 1, confidence: 0.99 }), /covariance: must be 2×2/);
});

t.test("parametric fits use the sample moments", async (t) => {
  const pnl = [-3, -1, 0, 2, 1, -2, 4, 0, 1, -2];
  const mean = 0;
  const sd = Math.sqrt(40 / 9);
  near(t, parametricNormalRisk(pnl, 0.99).valueAtRisk, -mean + normalQuantile(0.99) * sd, 1e-12, "normal");
  const st = parametricStudentTRisk(pnl, 0.99, 5);
  near(t, st.valueAtRisk, sd * Math.sqrt(3 / 5) * studentTQuantile(0.99, 5), 1e-12, "t with ν = 5");
});

t.test("Bayesian VaR uses the Normal-Inverse-Gamma posterior predictive", async (t) => {
  // prior (0, 1, 2, 2), data 1, 2, 3: κ = 4, μ = 1.5, α = 3.5, β = 2 + 1 + 1.5 = 4.5 (worked by hand)
  const b = bayesianRisk({ mu0: 0, kappa0: 1, alpha0: 2, beta0: 2 }, [1, 2, 3], 0.99);
  t.same(b.posterior, { mu0: 1.5, kappa0: 4, alpha0: 3.5, beta0: 4.5 });
  const scale = Math.sqrt((4.5 * 5) / (3.5 * 4));
  near(t, b.valueAtRisk, -1.5 + scale * 2.997952, 1e-5, "t_0.99,7 = 2.997952");
  // a vague prior and a long sample give the normal figure
  const pnl = Array.from({ length: 20_000 }, (_, k) => normalQuantile((k + 0.5) / 20_000));
  const vague = bayesianRisk({ mu0: 0, kappa0: 1e-6, alpha0: 1e-3, beta0: 1e-3 }, pnl, 0.99);
  near(t, vague.valueAtRisk, 2.326348, 2e-3, "vague prior");
  t.throws(() => bayesianRisk({ mu0: 0, kappa0: 0, alpha0: 1, beta0: 1 }, [1], 0.99), /prior.kappa0/);
});

t.test("component VaR sums to VaR and marginal VaR is the derivative", async (t) => {
  const cov = fromRows([
    [0.0025, 0.003],
    [0.003, 0.0144],
  ]);
  // Jorion's two-currency book: 5 % and 12 % vols, correlation 0.5, exposures 2 and 1 (millions)
  const e = [2, 1];
  const c = varContributions(e, cov, 0.95);
  near(t, c.sigma, Math.sqrt(4 * 0.0025 + 2 * 2 * 0.003 + 0.0144), 1e-15, "σ_p");
  near(t, c.component[0]! + c.component[1]!, c.valueAtRisk, 1e-12, "Euler sum");
  near(t, c.componentShortfall[0]! + c.componentShortfall[1]!, c.expectedShortfall, 1e-12, "ES Euler sum");
  const h = 1e-6;
  const bumped = varContributions([2 + h, 1], cov, 0.95).valueAtRisk;
  near(t, c.marginal[0]!, (bumped - c.valueAtRisk) / h, 1e-6, "finite difference");
  const exactAfter = varContributions([2.01, 1], cov, 0.95).valueAtRisk;
  near(t, incrementalVar(c, [{ position: 0, delta: 0.01 }]), exactAfter, 1e-4, "incremental ≈ exact for a small trade");
  t.equal(
    checkVarLimit(c, [{ position: 1, delta: 1 }], c.valueAtRisk + 0.01).accepted,
    false,
    "a VaR-raising trade over the limit is refused",
  );
  t.equal(checkVarLimit(c, [{ position: 1, delta: -0.1 }], 0).accepted, true, "a VaR-reducing trade is allowed over the limit");
  t.throws(() => incrementalVar(c, [{ position: 5, delta: 1 }]), /position 5: outside/);
});

t.test("scenario contributions split historical VaR and ES by position", async (t) => {
  const days = Array.from({ length: 100 }, (_, k) => [Math.sin(k) / 50, Math.cos(1.7 * k) / 40, ((k * 13) % 17) / 400 - 0.02]);
  const e = [1e6, -4e5, 7e5];
  const c = scenarioContributions(days, e, 0.95);
  const h = historicalRisk(scenarioPnl(days, e), 0.95);
  near(t, c.valueAtRisk, h.valueAtRisk, 1e-9, "VaR as historicalRisk");
  near(t, c.expectedShortfall, h.expectedShortfall, 1e-9, "ES as historicalRisk");
  near(
    t,
    c.component.reduce((s, v) => s + v, 0),
    c.valueAtRisk,
    1e-6,
    "components sum to VaR",
  );
  near(
    t,
    c.componentShortfall.reduce((s, v) => s + v, 0),
    c.expectedShortfall,
    1e-6,
    "ES components sum to ES",
  );
});
