import t from "tap";
import {
  backtestOverfitting,
  deflatedSharpe,
  expectedMaxSharpe,
  inverseNormalCdf,
  moments,
  normalCdf,
  periodSharpe,
  probabilisticSharpe,
} from "./overfitting.ts";

t.test("the normal distribution and its inverse match the tables", async (t) => {
  t.ok(Math.abs(normalCdf(1.96) - 0.9750021) < 1e-6);
  t.ok(Math.abs(normalCdf(0) - 0.5) < 2e-7, "erf is good to 1.2e-7");
  t.ok(Math.abs(inverseNormalCdf(0.975) - 1.959963985) < 1e-8);
  t.ok(Math.abs(inverseNormalCdf(0.99) - 2.326347874) < 1e-8);
  t.ok(Math.abs(inverseNormalCdf(0.001) + 3.090232306) < 1e-8, "lower tail");
  t.throws(() => inverseNormalCdf(1), /probability 1 is not inside/);
});

t.test("moments and Sharpe by hand", async (t) => {
  const m = moments([1, 2, 3, 4]);
  t.ok(Math.abs(m.skewness) < 1e-12, "symmetric: no skew");
  t.ok(Math.abs(m.kurtosis - 2.5625 / 1.5625) < 1e-12, "m4 / m2² = 2.5625 / 1.25²");
  t.ok(Math.abs(periodSharpe([0.02, 0.01]) - 0.015 / Math.sqrt(0.00005)) < 1e-9);
  t.equal(periodSharpe([0.01, 0.01]), 0, "flat: no Sharpe");
});

t.test("the deflated Sharpe ratio reproduces the paper's numerical example", async (t) => {
  // Bailey & López de Prado (2014), section 5: N = 100 trials, V[SR] = 1/2 annualised, daily returns over
  // T = 1250 days, skewness −3, kurtosis 10, best annualised SR 2.5: SR₀ ≈ 0.1132 per day and DSR ≈ 0.9004
  const sr0 = expectedMaxSharpe(100, 0.5 / 250);
  t.ok(Math.abs(sr0 - 0.1132) < 1e-4, `SR0 ${sr0}`);
  const dsr = probabilisticSharpe(2.5 / Math.sqrt(250), sr0, 1250, -3, 10);
  t.ok(Math.abs(dsr - 0.9004) < 1e-3, `DSR ${dsr}`);
  t.ok(Math.abs(probabilisticSharpe(0.1, 0.1, 100, 0, 3) - 0.5) < 2e-7, "at the benchmark: one half");
  t.equal(expectedMaxSharpe(1, 0.3), 0, "one trial: nothing to deflate for");
});

t.test("deflatedSharpe takes the trials' Sharpe variance and the best trial's moments", async (t) => {
  const best = [0.01, 0.02, -0.005, 0.015, 0.01, 0.0];
  const sharpes = [0.2, 0.5, 0.8];
  const d = deflatedSharpe(best, sharpes);
  t.equal(d.trials, 3);
  t.ok(Math.abs(d.sharpeVariance - 0.09) < 1e-12, "sample variance of 0.2, 0.5, 0.8");
  t.ok(Math.abs(d.benchmark - expectedMaxSharpe(3, 0.09)) < 1e-12);
  const m = moments(best);
  t.ok(Math.abs(d.deflatedSharpe - probabilisticSharpe(periodSharpe(best), d.benchmark, 6, m.skewness, m.kurtosis)) < 1e-12);
});

t.test("PBO: an in-sample winner that always loses out of sample is overfit every time", async (t) => {
  // two blocks of two periods; each trial wins one block and loses the other
  const r = backtestOverfitting(
    [
      [0.02, 0.01, -0.01, -0.02],
      [-0.01, -0.02, 0.02, 0.01],
    ],
    2,
  );
  t.equal(r.splits, 2);
  t.equal(r.probability, 1);
  // ω = 1 of N = 2: ω̄ = 1/3, λ = ln(1/2)
  for (const l of r.logits) t.ok(Math.abs(l - Math.log(0.5)) < 1e-12);
});

t.test("PBO: a trial that dominates everywhere is never overfit", async (t) => {
  const r = backtestOverfitting(
    [
      [0.02, 0.01, 0.03, 0.02, 0.01, 0.025, 0.02, 0.03],
      [-0.01, -0.02, 0.0, -0.01, -0.02, 0.0, -0.01, 0.005],
      [0.0, 0.005, -0.005, 0.0, 0.005, -0.01, 0.0, 0.0],
    ],
    4,
  );
  t.equal(r.splits, 6, "C(4, 2)");
  t.equal(r.probability, 0);
  for (const l of r.logits) t.ok(Math.abs(l - Math.log(3)) < 1e-12, "ω = 3 of 3: ω̄ = 3/4, λ = ln 3");
  t.throws(() => backtestOverfitting([[0.1, 0.2]], 2), /at least 2 trials/);
  t.throws(
    () =>
      backtestOverfitting(
        [
          [0.1, 0.2],
          [0.1, 0.2],
        ],
        3,
      ),
    /blocks must be even/,
  );
});
