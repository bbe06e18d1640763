import tap from "tap";
import { christoffersenTest, exceptions, kupiecTest, trafficLight } from "./var-backtest.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

t.test("Kupiec's test reproduces Jorion's non-rejection regions for 99 % VaR at 5 % significance", async (t) => {
  // Jorion, Value at Risk, Table 6-3: T = 255: N < 7; T = 510: 1 < N < 11; T = 1000: 4 < N < 17
  const rejected = (x: number, n: number) => kupiecTest(x, n, 0.99).rejected;
  t.same([rejected(6, 255), rejected(7, 255)], [false, true], "255 days");
  t.same([rejected(1, 510), rejected(2, 510), rejected(10, 510), rejected(11, 510)], [true, false, false, true], "510 days");
  t.same([rejected(4, 1000), rejected(5, 1000), rejected(16, 1000), rejected(17, 1000)], [true, false, false, true], "1000 days");
  // no exception in 250 days: LR = −2 × 250 ln 0.99
  near(t, kupiecTest(0, 250, 0.99).statistic, -500 * Math.log(0.99), 1e-12, "x = 0");
  near(t, kupiecTest(0, 250, 0.99).pValue, 0.02498, 1e-5, "p-value");
  t.equal(kupiecTest(3, 300, 0.99).statistic, 0, "exactly the expected count");
  t.throws(() => kupiecTest(11, 10, 0.99), /exceptions: must be an integer in \[0, 10\]/);
});

t.test("Christoffersen's independence statistic matches a hand computation", async (t) => {
  const hits = [0, 0, 1, 1, 0, 0, 0, 0, 0, 0].map((h) => h === 1);
  const r = christoffersenTest(hits, 0.95);
  t.same(r.transitions, { n00: 6, n01: 1, n10: 1, n11: 1 });
  // restricted: π = 2/9; unrestricted: π0 = 1/7, π1 = 1/2
  const restricted = 7 * Math.log(7 / 9) + 2 * Math.log(2 / 9);
  const unrestricted = 6 * Math.log(6 / 7) + Math.log(1 / 7) + 2 * Math.log(1 / 2);
  near(t, r.independence.statistic, 1.020494, 1e-6, "LR_ind");
  near(t, r.independence.statistic, -2 * (restricted - unrestricted), 1e-12, "LR_ind formula");
  near(t, r.conditionalCoverage.statistic, r.proportionOfFailures.statistic + r.independence.statistic, 1e-12, "LR_cc = LR_pof + LR_ind");
  t.equal(r.conditionalCoverage.degreesOfFreedom, 2);
});

t.test("clustered exceptions fail independence; scattered ones pass", async (t) => {
  const clustered = Array.from({ length: 500 }, (_, k) => k >= 100 && k < 105);
  const scattered = Array.from({ length: 500 }, (_, k) => k % 100 === 50);
  t.equal(christoffersenTest(clustered, 0.99).independence.rejected, true);
  t.equal(christoffersenTest(scattered, 0.99).independence.rejected, false);
  t.same(exceptions([-5, 3, -1], [4, 4, 4]), [true, false, false]);
});

t.test("the Basel traffic light zones and plus factors for 250 days at 99 %", async (t) => {
  // Basel Committee (1996), Table 2
  const zones = Array.from({ length: 12 }, (_, x) => trafficLight(x).zone);
  t.same(zones, ["GREEN", "GREEN", "GREEN", "GREEN", "GREEN", "YELLOW", "YELLOW", "YELLOW", "YELLOW", "YELLOW", "RED", "RED"]);
  t.same(
    [4, 5, 6, 7, 8, 9, 10].map((x) => trafficLight(x).plusFactor),
    [0, 0.4, 0.5, 0.65, 0.75, 0.85, 1],
  );
  t.equal(trafficLight(3, 500).plusFactor, undefined, "plus factors are defined for 250 days only");
});
