import { linearRegression } from "simple-statistics";
import tap from "tap";
import {
  annualisedReturn,
  calmarRatio,
  factorAttribution,
  informationRatio,
  maxDrawdown,
  returnsFromEquity,
  sharpeRatio,
  sortinoRatio,
  turnover,
} from "./performance.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

const r = [0.01, -0.02, 0.015, 0.005, -0.01];

t.test("Sharpe and Sortino match a hand computation", async (t) => {
  // mean 0; sample sd √(0.00085/4); downside √((0.0004 + 0.0001)/5)
  const m = 0;
  near(
    t,
    sharpeRatio(
      r.map((x) => x + 0.001),
      252,
    ),
    ((m + 0.001) / Math.sqrt(0.00085 / 4)) * Math.sqrt(252),
    1e-12,
    "Sharpe",
  );
  near(
    t,
    sharpeRatio(r, 252, -0.001),
    sharpeRatio(
      r.map((x) => x + 0.001),
      252,
    ),
    1e-12,
    "risk-free rate",
  );
  near(
    t,
    sortinoRatio(
      r.map((x) => x + 0.002),
      12,
      0.002,
    ),
    0,
    1e-12,
    "zero excess",
  );
  near(t, sortinoRatio(r, 1, -0.005), 0.005 / Math.sqrt((0.015 ** 2 + 0.005 ** 2) / 5), 1e-12, "Sortino with target");
});

t.test("drawdown, CAGR and Calmar on a known path", async (t) => {
  // 100 → 110 → 88 → 99 → 121: peak 110, trough 88, drawdown 20 %
  const rets = returnsFromEquity([100, 110, 88, 99, 121]);
  near(t, maxDrawdown(rets), 0.2, 1e-12, "max drawdown");
  near(t, annualisedReturn(rets, 4), 0.21, 1e-12, "one year of quarters");
  near(t, calmarRatio(rets, 4), 0.21 / 0.2, 1e-12, "Calmar");
  t.throws(() => returnsFromEquity([0, 1]), /equity\[0\]: must be positive/);
});

t.test("information ratio and turnover", async (t) => {
  const bench = r.map((x) => x - 0.001);
  t.throws(() => informationRatio(r, bench), /informationRatio: tracking error is 0/);
  const noisy = r.map((x, k) => x - (k % 2 ? 0.002 : 0));
  const active = r.map((x, k) => x - noisy[k]!);
  const ma = active.reduce((s, x) => s + x, 0) / 5;
  const sd = Math.sqrt(active.reduce((s, x) => s + (x - ma) ** 2, 0) / 4);
  near(t, informationRatio(r, noisy, 252), (ma / sd) * Math.sqrt(252), 1e-9, "IR");
  near(
    t,
    turnover([
      [0.5, 0.5],
      [0.7, 0.3],
      [0.7, 0.3],
    ]),
    0.1,
    1e-12,
    "0.2 then 0, averaged",
  );
});

t.test("factor attribution recovers the loadings and agrees with a one-factor regression", async (t) => {
  const f = Array.from({ length: 60 }, (_, k) => [Math.sin(k) / 50, Math.cos(3 * k) / 80]);
  const exact = f.map(([a, b]) => 0.001 + 1.2 * a! - 0.5 * b!);
  const fit = factorAttribution(exact, f);
  near(t, fit.alpha, 0.001, 1e-12, "alpha");
  near(t, fit.betas[0]!, 1.2, 1e-9, "β market");
  near(t, fit.betas[1]!, -0.5, 1e-9, "β value");
  near(t, fit.rSquared, 1, 1e-9, "R²");
  const noisy = f.map(([a], k) => 0.0005 + 0.8 * a! + ((k * 7) % 11) / 1000 - 0.005);
  const one = factorAttribution(
    noisy,
    f.map(([a]) => [a!]),
  );
  const ref = linearRegression(f.map(([a], k) => [a!, noisy[k]!]));
  near(t, one.betas[0]!, ref.m, 1e-9, "slope as simple-statistics");
  near(t, one.alpha, ref.b, 1e-9, "intercept as simple-statistics");
  near(t, one.contributions[0]!, one.betas[0]! * (f.reduce((s, [a]) => s + a!, 0) / 60), 1e-15, "contribution");
  t.throws(() => factorAttribution([0.1, 0.2], [[1], [2]]), /need more than 2 periods/);
});
