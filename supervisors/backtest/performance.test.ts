import t from "tap";
import { analytics } from "../../actors/risk-book/index.ts";
import {
  annualisedReturn,
  calmar,
  drawdowns,
  hitRate,
  performance,
  periodReturns,
  profitFactor,
  sharpe,
  sortino,
  totalReturn,
  volatility,
} from "./performance.ts";

// A hand-computed series: equity 100 → 110 → 99 → 108.9 → 119.79, returns +10 %, −10 %, +10 %, +10 %.
const equity = [100, 110, 99, 108.9, 119.79];
const close = (t: { ok(v: boolean, m: string): void }, got: number, want: number, what: string) =>
  t.ok(Math.abs(got - want) < 1e-9, `${what}: ${got} ≈ ${want}`);

t.test("returns, total and annualised return of a known series", async (t) => {
  const r = periodReturns(equity);
  for (const [i, x] of [0.1, -0.1, 0.1, 0.1].entries()) close(t, r[i]!, x, `return ${i}`);
  close(t, totalReturn(equity), 0.1979, "total");
  // 4 periods with 4 periods a year: the annual return is the total
  close(t, annualisedReturn(equity, 4), 0.1979, "annualised over one year");
  // 4 periods with 8 a year (half a year): (1.1979)^2 − 1
  close(t, annualisedReturn(equity, 8), 1.1979 ** 2 - 1, "annualised over half a year");
});

t.test("volatility, Sharpe and Sortino of a known series", async (t) => {
  const r = [0.1, -0.1, 0.1, 0.1];
  // mean 0.05; sample variance Σ(r − 0.05)² / 3 = (3 × 0.0025 + 0.0225) / 3 = 0.01, sd 0.1
  close(t, volatility(r, 1), 0.1, "volatility, one period a year");
  close(t, volatility(r, 4), 0.2, "volatility, annualised by √4");
  close(t, sharpe(r, 4), (0.05 / 0.1) * 2, "Sharpe");
  // downside deviation √(0.01 / 4) = 0.05
  close(t, sortino(r, 4), (0.05 / 0.05) * 2, "Sortino");
  t.equal(sharpe([0.01, 0.01], 252), 0, "no dispersion: Sharpe 0, not Infinity");
  t.equal(sortino([0.01, 0.02], 252), 0, "no losses: Sortino 0, not Infinity");
});

t.test("max drawdown, its duration and Calmar of a known series", async (t) => {
  const d = drawdowns([100, 120, 90, 96, 130, 117, 117]);
  close(t, d.max, 0.25, "deepest fall 120 → 90");
  // under the 120 peak for 2 periods (90, 96); under 130 for 2 periods to the end (117, 117)
  t.equal(d.longestPeriods, 2);
  close(t, d.series[5]!, 0.1, "drawdown series at 117 under 130");
  const long = drawdowns([100, 90, 95, 99, 101]);
  t.equal(long.longestPeriods, 3, "three periods below 100 before the new high");
  close(t, calmar(0.3, 0.25), 1.2, "Calmar");
  t.equal(calmar(0.3, 0), 0, "no drawdown: Calmar 0");
});

t.test("hit rate, profit factor, turnover and exposure of known trades", async (t) => {
  const pnls = [50, -20, 30, -10, 0];
  close(t, hitRate(pnls), 2 / 5, "hit rate: 2 winners of 5 closed trades");
  close(t, profitFactor(pnls), 80 / 30, "profit factor");
  t.equal(profitFactor([5]), Number.POSITIVE_INFINITY, "wins without losses");
  t.equal(profitFactor([-5]), 0, "no wins");
  t.equal(hitRate([]), 0);
  const p = performance({
    equity: [100, 100, 100, 100],
    exposure: [0, 0.5, 1, 0.5],
    tradePnls: [],
    tradedNotional: 250,
    periodsPerYear: 252,
  });
  close(t, p.turnover, 2.5, "turnover: traded notional over mean equity");
  close(t, p.exposure, 0.5, "exposure: mean gross over equity");
  close(t, p.totalReturn, 0, "flat equity");
});

t.test("the backtest report and the risk book give the same figures for the same equity series", async (t) => {
  const curve = [1_000_000, 1_012_000, 1_004_500, 990_100, 1_020_300, 1_031_000, 1_018_700, 1_046_200, 1_039_900, 1_061_500];
  const perYear = 252;
  const report = performance({ equity: curve, exposure: [], tradePnls: [], tradedNotional: 3_500_000, periodsPerYear: perYear });
  const returns = analytics.returnsFromEquity(curve);
  t.same(returns, periodReturns(curve), "the same returns");
  t.equal(report.sharpe, analytics.sharpeRatio(returns, perYear), "Sharpe, bit for bit");
  t.equal(report.sortino, analytics.sortinoRatio(returns, perYear), "Sortino, bit for bit");
  t.equal(report.maxDrawdown, analytics.maxDrawdown(returns), "max drawdown");
  close(t, report.calmar, analytics.calmarRatio(returns, perYear), "Calmar (from the equity here, compounded returns there)");
  const meanEquity = curve.reduce((a, e) => a + e, 0) / curve.length;
  t.equal(report.turnover, analytics.notionalTurnover(3_500_000, meanEquity), "turnover");
  t.ok(Number.isNaN(sharpe([0.1, Number.NaN], 252)), "a run that lost its equity has no Sharpe");
});
