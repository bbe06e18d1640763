import t from "tap";
import { estimateImpact, ImpactEstimateError, type ImpactSlice, type ImpactTrade } from "./impact-estimate.ts";

const SLICE = 60_000_000;

/** A seeded uniform stream (mulberry32), so the known answers hold run after run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mid changes = γ·net + noise; trade costs = ε + η·size + noise. */
function market(gamma: number, eta: number, n: number, seed = 7): { slices: ImpactSlice[]; trades: ImpactTrade[] } {
  const u = uniform(seed);
  const slices: ImpactSlice[] = [];
  let mid = 100;
  for (let i = 0; i < n; i++) {
    const net = Math.round((u() - 0.5) * 2_000);
    mid += gamma * net + (u() - 0.5) * 0.002;
    slices.push({ atUs: i * SLICE, mid, spread: 0.02, netVolume: net, volume: Math.abs(net) + 500 });
  }
  const trades: ImpactTrade[] = [];
  for (let i = 0; i < n; i++) {
    const size = 1 + Math.floor(u() * 500);
    const buy = u() < 0.5;
    const costPerShare = 0.01 + eta * size + (u() - 0.5) * 0.001;
    trades.push({ size, aggressor: buy ? "BUY" : "SELL", mid: 100, price: buy ? 100 + costPerShare : 100 - costPerShare });
  }
  return { slices, trades };
}

t.test("impacts written into a market are found again by the regressions", async (t) => {
  const { slices, trades } = market(2e-5, 4e-5, 400);
  const e = estimateImpact(slices, trades, SLICE);
  t.equal(e.permanentMethod, "regression");
  t.equal(e.temporaryMethod, "regression");
  t.ok(Math.abs(e.permanentImpact / 2e-5 - 1) < 0.05, `γ ${e.permanentImpact} within 5 % of 2e-5`);
  t.ok(Math.abs(e.temporaryImpact / 4e-5 - 1) < 0.05, `η ${e.temporaryImpact} within 5 % of 4e-5`);
  t.ok(Math.abs(e.halfSpread - 0.01) < 1e-12, "half the quoted spread");
  t.equal(e.slices, 399);
  t.equal(e.trades, 400);
});

t.test("volatility is the standard deviation of the mid's change from slice to slice; gaps break the chain", async (t) => {
  const mids = [100, 101, 99, 102, 50, 51];
  const slices = mids.map((mid, i) => ({ atUs: (i < 4 ? i : i + 10) * SLICE, mid, spread: 0.02, netVolume: 0, volume: 10 }));
  const e = estimateImpact(slices, [], SLICE);
  // changes 1, −2, 3 (then a gap), 1: mean 0.75, sample variance ((0.25)² + (2.75)² + (2.25)² + (0.25)²) / 3
  t.equal(e.slices, 4);
  t.ok(Math.abs(e.volatility - Math.sqrt((0.0625 + 7.5625 + 5.0625 + 0.0625) / 3)) < 1e-12);
});

t.test("where the data do not determine an impact, Almgren and Chriss's rule gives it, and says so", async (t) => {
  // no relation between flow and price, and every trade costs the same: no slope to measure
  const { slices } = market(0, 0, 100, 3);
  const flat = slices.map((s, i) => ({ ...s, mid: 100 + (i % 2) * 0.01 }));
  const trades: ImpactTrade[] = Array.from({ length: 50 }, (_, i) => ({ size: 10 + i, aggressor: "BUY", mid: 100, price: 100.01 }));
  const e = estimateImpact(flat, trades, SLICE);
  t.equal(e.permanentMethod, "almgren-chriss-rule");
  t.equal(e.temporaryMethod, "almgren-chriss-rule");
  const perSlice = flat.reduce((s, x) => s + x.volume, 0) / flat.length;
  t.ok(Math.abs(e.temporaryImpact - 0.02 / (0.01 * perSlice)) < 1e-15, "1 % of the volume costs a spread");
  t.ok(Math.abs(e.permanentImpact - 0.02 / (0.1 * perSlice * 1440)) < 1e-15, "10 % of a day's volume moves it a spread");
  t.ok(e.temporaryImpact > e.permanentImpact / 2, "a trajectory exists for the rule's figures");
});

t.test("a record without enough slices or without trades is refused with the reason", async (t) => {
  const one = [{ atUs: 0, mid: 100, spread: 0.02, netVolume: 0, volume: 1 }];
  t.throws(
    () => estimateImpact(one, [], SLICE),
    new ImpactEstimateError("volatility: 0 consecutive recorded slices of 60000000 µs; at least 3 are needed"),
  );
  const quiet = [0, 1, 2].map((i) => ({ atUs: i * SLICE, mid: 100 + i, spread: 0.02, netVolume: 0, volume: 0 }));
  t.throws(() => estimateImpact(quiet, [], SLICE), /volume: no trade recorded/);
  t.throws(() => estimateImpact(quiet, [], 0), /sliceUs 0 must be positive/);
});
