import tap from "tap";
import { binomialCdf, chiSquareSurvival, normalQuantile, studentTCdf, studentTQuantile } from "./distributions.ts";

const t = tap;
const near = (a: Pick<typeof tap, "ok">, got: number, want: number, tol: number, what: string): void => {
  a.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
};

t.test("the normal quantile matches the published table to 1e-9", async (t) => {
  near(t, normalQuantile(0.99), 2.3263478740408408, 1e-12, "z 0.99");
  near(t, normalQuantile(0.975), 1.959963984540054, 1e-12, "z 0.975");
  near(t, normalQuantile(0.05), -1.6448536269514722, 1e-12, "z 0.05");
  near(t, normalQuantile(1e-10), -6.361340902404056, 1e-9, "z 1e-10");
  t.throws(() => normalQuantile(1), /p must be in \(0, 1\)/);
});

t.test("Student t quantiles match the t table", async (t) => {
  near(t, studentTQuantile(0.99, 5), 3.36493, 1e-5, "t 0.99 ν=5");
  near(t, studentTQuantile(0.975, 10), 2.228139, 1e-6, "t 0.975 ν=10");
  near(t, studentTQuantile(0.95, 3), 2.353363, 1e-6, "t 0.95 ν=3");
  near(t, studentTQuantile(0.01, 1), -31.820516, 1e-5, "Cauchy 1 %");
  near(t, studentTCdf(studentTQuantile(0.9, 7.5), 7.5), 0.9, 1e-12, "round trip");
});

t.test("chi-square critical values give their significance levels", async (t) => {
  near(t, chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-10, "χ²(1) 5 %");
  near(t, chiSquareSurvival(6.634896601021213, 1), 0.01, 1e-10, "χ²(1) 1 %");
  near(t, chiSquareSurvival(5.991464547107979, 2), 0.05, 1e-10, "χ²(2) 5 %");
  near(t, chiSquareSurvival(10, 2), Math.exp(-5), 1e-12, "χ²(2) closed form");
  t.equal(chiSquareSurvival(0, 1), 1);
});

t.test("the binomial CDF reproduces the Basel 250-day cumulative probabilities", async (t) => {
  // Basel Committee (1996), Table 1: cumulative probability of 4, 5, 9 exceptions at 99 % over 250 days
  near(t, binomialCdf(4, 250, 0.01), 0.8922, 5e-5, "4");
  near(t, binomialCdf(5, 250, 0.01), 0.9588, 5e-5, "5");
  near(t, binomialCdf(9, 250, 0.01), 0.9997, 5e-5, "9");
});
