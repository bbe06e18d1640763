import t from "tap";
import { SCALE, asPrice } from "../domain/index.ts";
import { AAPL, MSFT, money } from "./testing.ts";
import { emptyReturnWindow, pnlSeries, sampleReturns, valueAtRisk } from "./var.ts";

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

t.test("the P&L series reads each sample's returns by column, bit for bit as the samples give them", async (t) => {
  const w = emptyReturnWindow({ confidence: 0.99, window: 4, sampleUs: 1 });
  // an instrument first seen in a later sample, one that stops being marked, and one never marked at all
  w.samples.push({ A: 0.01, B: -0.02 }, { A: -0.03 }, { A: 0.1 / 3, C: 0.07 }, { B: 1e-9, C: -0.2 / 7 });
  const held = [
    ["C", -1234.5],
    ["A", 1e6 / 3],
    ["Z", 42],
    ["B", 7],
  ] as const;
  const byLookup = w.samples.map((s) => held.reduce((sum, [i, v]) => sum + v * (s[i] ?? 0), 0));
  t.strictSame(pnlSeries(w, held), byLookup);
  // the window moves on: a sample taken later (and one that left) is read as it is, with the same columns
  w.samples.splice(0, 1);
  w.samples.push({ Z: 0.5, A: -0.01 });
  t.strictSame(
    pnlSeries(w, held),
    w.samples.map((s) => held.reduce((sum, [i, v]) => sum + v * (s[i] ?? 0), 0)),
  );
  t.strictSame(pnlSeries(w, []), [0, 0, 0, 0], "no holdings, no P&L");
});
