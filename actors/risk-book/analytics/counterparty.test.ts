import tap from "tap";
import { normalCdf, normalQuantile, orderStatistic } from "./distributions.ts";
import { collateralisedPath, creditValuationAdjustment, exposureProfile, hazardFromSpread } from "./counterparty.ts";
import { fromRows } from "./matrix.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

const times = [0.25, 0.5, 1, 2];
const oneFactor = fromRows([[1]]);

t.test("an at-the-money trade of sd σ√t has EE = σ√t/√(2π) and PFE95 = 1.645 σ√t", async (t) => {
  const sigma = 1_000_000;
  const p = exposureProfile({
    trades: [{ trade: "swap", nettingSet: "isda-1", value: 0, sensitivities: [sigma], maturity: 5 }],
    factorCovariance: oneFactor,
    times,
    paths: 40_000,
    seed: 11,
  });
  times.forEach((tt, k) => {
    near(t, p.expectedExposure[k]! / ((sigma * Math.sqrt(tt)) / Math.sqrt(2 * Math.PI)), 1, 0.02, `EE at ${tt}`);
    near(t, p.potentialFutureExposure[k]! / (normalQuantile(0.95) * sigma * Math.sqrt(tt)), 1, 0.02, `PFE at ${tt}`);
  });
});

t.test("netting offsets trades in one set; a matured trade drops out", async (t) => {
  const trades = [
    { trade: "a", nettingSet: "isda-1", value: 0, sensitivities: [1, 0], maturity: 5 },
    { trade: "b", nettingSet: "isda-1", value: 0, sensitivities: [0, 1], maturity: 0.75 },
  ];
  const p = exposureProfile({
    trades,
    factorCovariance: fromRows([
      [1, 0],
      [0, 1],
    ]),
    times,
    paths: 40_000,
    seed: 5,
  });
  // independent: netted sd √2 √t, gross 2 × √t/√(2π)
  near(t, p.expectedExposure[1]! / ((Math.sqrt(2) * Math.sqrt(0.5)) / Math.sqrt(2 * Math.PI)), 1, 0.02, "netted EE");
  near(t, p.expectedExposureGross[1]! / ((2 * Math.sqrt(0.5)) / Math.sqrt(2 * Math.PI)), 1, 0.02, "gross EE");
  near(t, p.expectedExposure[3]! / (Math.sqrt(2) / Math.sqrt(2 * Math.PI)), 1, 0.02, "after b matures only a remains");
  const offset = exposureProfile({
    trades: [
      { ...trades[0]!, maturity: 5 },
      { trade: "c", nettingSet: "isda-1", value: 0, sensitivities: [-1, 0], maturity: 5 },
    ],
    factorCovariance: fromRows([
      [1, 0],
      [0, 1],
    ]),
    times,
    paths: 1000,
    seed: 5,
  });
  t.same(offset.expectedExposure, [0, 0, 0, 0], "opposite trades net to nothing");
});

t.test("collateral cuts exposure to the move over one margin period; a threshold leaves more", async (t) => {
  const trade = { trade: "a", nettingSet: "isda-1", value: 0, sensitivities: [1], maturity: 5 };
  const grid = Array.from({ length: 40 }, (_, k) => (k + 1) / 40);
  const run = (threshold: number, mta: number) =>
    exposureProfile({
      trades: [trade],
      factorCovariance: oneFactor,
      times: grid,
      paths: 20_000,
      seed: 3,
      collateral: { "isda-1": { threshold, minimumTransfer: mta } },
    }).expectedExposure.at(-1)!;
  const bare = exposureProfile({ trades: [trade], factorCovariance: oneFactor, times: grid, paths: 20_000, seed: 3 }).expectedExposure.at(
    -1,
  )!;
  const full = run(0, 0);
  // independent: with a = V(t−δ) ~ N(0, t−δ) and b = V(t) − a ~ N(0, δ), EE = E max(a + b − max(a, 0), 0):
  // √δ φ(0) when a > 0 (half the time), and E[max(a + b, 0)] = √δ φ(a/√δ) + a Φ(a/√δ) integrated over a < 0
  const d = 1 / 40;
  const sa = Math.sqrt(1 - d);
  const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let negative = 0;
  const step = 1e-4;
  for (let a = -8 * sa + step / 2; a < 0; a += step)
    negative += (Math.sqrt(d) * phi(a / Math.sqrt(d)) + a * normalCdf(a / Math.sqrt(d))) * (phi(a / sa) / sa) * step;
  const expected = 0.5 * Math.sqrt(d) * phi(0) + negative;
  t.ok(full < 0.25 * bare, `fully collateralised ${full} vs ${bare}`);
  near(t, full / expected, 1, 0.03, "one-margin-period exposure");
  t.ok(run(0.5, 0) > full, "a threshold leaves more exposure");
  t.ok(run(0, 0.2) > full, "a minimum transfer leaves more exposure");
  near(t, run(1e9, 0), bare, 1e-9, "an unreachable threshold is no collateral");
});

t.test("CSA terms: zero threshold and MPoR leave nothing, an infinite threshold is the bare profile, MPoR in days", async (t) => {
  const trades = [
    { trade: "a", nettingSet: "isda-1", value: 200_000, sensitivities: [1_000_000, 0], maturity: 5 },
    { trade: "b", nettingSet: "isda-1", value: -50_000, sensitivities: [0, 600_000], maturity: 0.75 },
  ];
  const factorCovariance = fromRows([
    [0.04, 0.01],
    [0.01, 0.09],
  ]);
  const grid = Array.from({ length: 12 }, (_, k) => (k + 1) / 12);
  const run = (collateral?: Parameters<typeof exposureProfile>[0]["collateral"]) =>
    exposureProfile({ trades, factorCovariance, times: grid, paths: 4_000, seed: 9, ...(collateral ? { collateral } : {}) });
  const bare = run();
  const none = run({ "isda-1": { threshold: 0, minimumTransfer: 0, marginPeriodOfRisk: 0 } });
  t.same(
    none.expectedExposure,
    grid.map(() => 0),
    "zero threshold and MPoR: fully collateralised at every time",
  );
  t.same(
    none.potentialFutureExposure,
    grid.map(() => 0),
  );
  const infinite = run({ "isda-1": { threshold: Number.POSITIVE_INFINITY, minimumTransfer: 0, marginPeriodOfRisk: 10 / 365 } });
  t.same(infinite.expectedExposure, bare.expectedExposure, "an infinite threshold calls nothing: the uncollateralised EE");
  t.same(infinite.potentialFutureExposure, bare.potentialFutureExposure);
  // 10 business days against 20: the exposure over the MPoR grows like √MPoR (one factor, far from the threshold)
  const ee = (days: number) =>
    exposureProfile({
      trades: [{ trade: "a", nettingSet: "s", value: 0, sensitivities: [1], maturity: 5 }],
      factorCovariance: oneFactor,
      times: [0.5, 1],
      paths: 40_000,
      seed: 2,
      collateral: { s: { threshold: 0, minimumTransfer: 0, marginPeriodOfRisk: days / 365 } },
    }).expectedExposure[1]!;
  // independent: a = V(1 − δ) ~ N(0, 1 − δ), b ~ N(0, δ); EE(1) = √δ φ(0) / 2 + ∫_{a<0} [√δ φ(a/√δ) + a Φ(a/√δ)] dN(a)
  const expected = (days: number) => {
    const d = days / 365;
    const sa = Math.sqrt(1 - d);
    const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    let negative = 0;
    const step = 1e-4;
    for (let a = -8 * sa + step / 2; a < 0; a += step)
      negative += (Math.sqrt(d) * phi(a / Math.sqrt(d)) + a * normalCdf(a / Math.sqrt(d))) * (phi(a / sa) / sa) * step;
    return 0.5 * Math.sqrt(d) * phi(0) + negative;
  };
  near(t, ee(10) / expected(10), 1, 0.03, "EE with a 10-day MPoR");
  near(t, ee(20) / expected(20), 1, 0.03, "EE with a 20-day MPoR");
  const ia = exposureProfile({
    trades: [{ trade: "a", nettingSet: "s", value: 0, sensitivities: [1], maturity: 5 }],
    factorCovariance: oneFactor,
    times: [0.5, 1],
    paths: 4_000,
    seed: 2,
    collateral: { s: { threshold: 0, minimumTransfer: 0, marginPeriodOfRisk: 10 / 365, independentAmount: 10 } },
  });
  t.same(ia.expectedExposure, [0, 0], "an independent amount of 10 σ covers the move over the MPoR");
  t.throws(() => run({ "isda-1": { threshold: -1, minimumTransfer: 0 } }), /collateral\.isda-1\.threshold: must be non-negative/);
});

t.test("a two-step path by hand: threshold, MTA, the look-back and the independent amount", async (t) => {
  const csa = { threshold: 100, minimumTransfer: 30, independentAmount: 20 };
  // t1: V = 250, V(t1 − MPoR) = 220 → call 120 (≥ MTA 30 from 0): exposure 250 − 120 − 20 = 110
  // t2: V = 300, V(t2 − MPoR) = 240 → target 140, change 20 < MTA: still 120 held, exposure 300 − 120 − 20 = 160
  t.same(collateralisedPath([250, 300], [220, 240], csa), [110, 160]);
  // t2 with the value fallen to 120 and V(t2 − MPoR) = 90: target 0, return 120 ≥ MTA, exposure max(120 − 0 − 20, 0) = 100
  t.same(collateralisedPath([250, 120], [220, 90], csa), [110, 100]);
  // a value under the collateral and IA is no exposure (the counterparty is over-collateralised)
  t.same(collateralisedPath([250, 130], [220, 240], csa), [110, 0]);
});

t.test("CVA with a constant EE is (1 − R) EE PD(T) without discounting", async (t) => {
  const lambda = hazardFromSpread(0.012, 0.4);
  t.equal(lambda, 0.02);
  const profile = { times: [1, 2, 3, 4, 5], expectedExposure: [1e6, 1e6, 1e6, 1e6, 1e6] };
  near(
    t,
    creditValuationAdjustment(profile, { hazardRate: lambda, recoveryRate: 0.4, riskFreeRate: 0 }),
    0.6 * 1e6 * (1 - Math.exp(-0.1)),
    1e-6,
    "no discounting",
  );
  const discounted =
    0.6 * 1e6 * [1, 2, 3, 4, 5].reduce((s, k) => s + (Math.exp(-0.02 * (k - 1)) - Math.exp(-0.02 * k)) * Math.exp(-0.03 * k), 0);
  near(
    t,
    creditValuationAdjustment(profile, { hazardRate: lambda, recoveryRate: 0.4, riskFreeRate: 0.03 }),
    discounted,
    1e-6,
    "discounted",
  );
  t.throws(() => creditValuationAdjustment(profile, { hazardRate: 0.02, recoveryRate: 1, riskFreeRate: 0 }), /recoveryRate/);
});

t.test("the order statistic behind PFE is the sorted array's, ties and all", async (t) => {
  const rng = {
    s: 17,
    next() {
      this.s = (this.s * 48271) % 2147483647;
      return this.s / 2147483647;
    },
  };
  for (const n of [1, 2, 3, 10, 101, 2_000]) {
    const xs = Float64Array.from({ length: n }, () => Math.floor(rng.next() * 50) / 7);
    const sorted = Float64Array.from(xs).sort();
    for (const k of [0, n >> 1, Math.ceil(0.95 * n) - 1, n - 1])
      t.equal(orderStatistic(Float64Array.from(xs), k), sorted[k], `n ${n}, k ${k}`);
  }
});
