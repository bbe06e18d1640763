import t from "tap";
import { SCALE, asPrice } from "../domain/index.ts";
import { AAPL, MSFT, money } from "./testing.ts";
import { emptyReturnWindow, sampleReturns, valueAtRisk } from "./var.ts";

t.test("historical VaR is the negated tail quantile of today's exposure times past returns", async (t) => {
  const w = emptyReturnWindow({ confidence: 0.9, window: 10, sampleUs: 100 });
  // Prices 100, then returns −5 %, +1 %, ... sampled every 100 µs.
  const path = [100, 95, 95.95, 96.9095, 92.064025, 92.98466525];
  path.forEach((p, k) => {
    sampleReturns(w, { [AAPL]: { last: asPrice(Math.round(p * SCALE)) } }, "LAST", k * 100);
  });
  t.equal(w.samples.length, 5);
  const v = valueAtRisk(w, { [AAPL]: money("1000") });
  // P&Ls ≈ −50, +10, +10, −50, +10; the 10 % quantile of five values is the lowest
  t.ok(Math.abs((v.historical ?? 0) - 50) < 1e-6, `historical ${v.historical}`);
  t.ok((v.parametric ?? 0) > 0);
  t.equal(v.method, "historical-simulation");
});

t.test("samples are taken at most once per interval and the window is bounded", async (t) => {
  const w = emptyReturnWindow({ confidence: 0.99, window: 3, sampleUs: 1_000 });
  for (let k = 0; k < 50; k++) sampleReturns(w, { [MSFT]: { last: asPrice((100 + (k % 7)) * SCALE) } }, "LAST", k * 250);
  t.equal(w.samples.length, 3, "window of 3");
  t.equal(w.lastSampleUs, 12_000);
});

t.test("VaR is undefined until there are two samples", async (t) => {
  const v = valueAtRisk(emptyReturnWindow(), { [AAPL]: money("1000") });
  t.equal(v.historical, undefined);
  t.equal(v.samples, 0);
});
