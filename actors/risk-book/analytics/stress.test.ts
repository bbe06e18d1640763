import tap from "tap";
import { fromRows, inverseSpd, quadraticForm } from "./matrix.ts";
import {
  historicalScenarios,
  hypotheticalScenario,
  mostLikelyBreach,
  reverseStressBisection,
  reverseStressLinear,
  type StressBook,
  stressTest,
  stressTests,
} from "./stress.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

const book: StressBook = {
  book: "macro",
  positions: [
    { position: "p1", instrument: "SPY", marketValue: 1_000_000, sensitivities: { EQUITY: 1_000_000 } },
    // a bond book: −$850 per +1 bp (DV01), long credit spread duration
    { position: "p2", instrument: "AGG", marketValue: 2_000_000, sensitivities: { RATES: -850, CREDIT: -400 } },
    { position: "p3", instrument: "VXX", marketValue: 100_000, sensitivities: { VOLATILITY: 4_000 } },
  ],
};

t.test("the historical scenarios carry the documented index moves", async (t) => {
  const byName = Object.fromEntries(historicalScenarios.map((s) => [s.name, s]));
  t.same(Object.keys(byName), ["1987-black-monday", "2008-global-financial-crisis", "2020-covid-crash", "2022-rates-shock"]);
  near(t, byName["1987-black-monday"]!.factorShocks.EQUITY!, 224.84 / 282.7 - 1, 1e-3, "S&P 500 on 19 Oct 1987");
  near(t, byName["2020-covid-crash"]!.factorShocks.EQUITY!, 2237 / 3386 - 1, 1e-3, "S&P 500 Feb–Mar 2020");
  t.equal(byName["2022-rates-shock"]!.factorShocks.RATES, 259);
});

t.test("stress P&L is the sum of sensitivity × shock per position, with limits per book", async (t) => {
  const gfc = historicalScenarios[1]!;
  const r = stressTest(book, gfc, [{ limit: "STRESS_LOSS", maxLoss: 300_000 }]);
  const p1 = 1_000_000 * -0.568;
  const p2 = -850 * -175 + -400 * 490;
  const p3 = 4_000 * 62;
  t.same(
    r.positions.map((p) => p.pnl),
    [p1, p2, p3],
  );
  near(t, r.pnl, p1 + p2 + p3, 1e-6, "book P&L");
  t.equal(r.limits[0]!.breached, true);
  near(t, r.limits[0]!.usedPct, (100 * -(p1 + p2 + p3)) / 300_000, 1e-9, "used %");
  t.equal(stressTests([book, { ...book, book: "other" }], historicalScenarios).length, 8, "every book × every scenario");
});

t.test("an instrument shock overrides the factor P&L of that position", async (t) => {
  const s = hypotheticalScenario("spy-gap", "SPY gaps down 10 % alone", { EQUITY: -0.02 }, { SPY: -0.1 });
  t.equal(stressTest(book, s).positions[0]!.pnl, -100_000);
  t.throws(() => hypotheticalScenario("bad", "", { GOLD: 0.1 }), /factor GOLD is not one of/);
  t.throws(() => hypotheticalScenario("bad", "", {}, { SPY: -2 }), /instrument shock for SPY/);
});

t.test("reverse stress: the smallest multiple of a scenario that breaches the limit", async (t) => {
  const covid = historicalScenarios[2]!;
  const unitLoss = -stressTest(book, covid).pnl;
  const r = reverseStressLinear(book, covid, 1_000_000);
  near(t, r.scale, 1_000_000 / unitLoss, 1e-12, "closed form");
  near(
    t,
    -stressTest(book, { ...covid, factorShocks: r.factorShocks }).pnl,
    1_000_000,
    1e-6,
    "the scaled scenario loses exactly the limit",
  );
  t.equal(
    reverseStressLinear(book, hypotheticalScenario("rally", "", { EQUITY: 0.1 }), 1).scale,
    Number.POSITIVE_INFINITY,
    "a gain never breaches",
  );
  // a short put's convex loss: bisection finds the root of the full revaluation
  const loss = (k: number) => 1e6 * (0.3 * k) ** 2;
  near(t, reverseStressBisection(loss, 40_000), Math.sqrt(0.04) / 0.3, 1e-8, "bisection");
});

t.test("the most plausible breach is −L Σe / eᵀΣe at L/σ standard deviations", async (t) => {
  const cov = fromRows([
    [0.04, 0.01],
    [0.01, 0.09],
  ]);
  const e = [100, 50];
  const r = mostLikelyBreach(e, cov, 30);
  near(t, e[0]! * r.factorMoves[0]! + e[1]! * r.factorMoves[1]!, -30, 1e-9, "loses the limit");
  near(t, Math.sqrt(quadraticForm(inverseSpd(cov), r.factorMoves)), r.mahalanobisDistance, 1e-9, "Mahalanobis distance");
});
