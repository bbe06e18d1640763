import t from "tap";
import { Xoshiro128 } from "../../actors/feed/simulator/index.ts";
import type { DatasetRow } from "./dataset.ts";
import { forecastMetrics } from "./forecast-metrics.ts";
import { fitRidge, predictRidge, RidgeError } from "./ridge-forecaster.ts";
import { validateRidge } from "./validation.ts";

t.test("ridge without a penalty recovers an exact linear relation", async (t) => {
  const rng = new Xoshiro128(1);
  const x = Array.from({ length: 50 }, () => [rng.normal(), rng.normal() * 10, rng.normal() + 3]);
  const y = x.map((r) => 0.5 + 2 * r[0]! - 0.1 * r[1]! + 0 * r[2]!);
  const m = fitRidge(x, y, 0);
  for (let i = 0; i < 5; i++) t.ok(Math.abs(predictRidge(m, x[i]!) - y[i]!) < 1e-9, `row ${i}`);
  t.ok(Math.abs(predictRidge(m, [1, 1, 1]) - 2.4) < 1e-9);
  const shrunk = fitRidge(x, y, 10);
  t.ok(Math.abs(predictRidge(shrunk, [3, 0, 3]) - 0.5) < Math.abs(predictRidge(m, [3, 0, 3]) - 0.5), "a penalty shrinks towards the mean");
  t.throws(() => fitRidge([[1]], [1], 0), RidgeError);
  t.throws(() => fitRidge(x, y.slice(1), 0), /50 feature rows for 49 targets/);
  t.throws(
    () =>
      fitRidge(
        x.map((r) => [r[0]!, r[0]! * 2]),
        y,
        0,
      ),
    /collinear/,
  );
});

/** rows one minute apart whose return is `signal` × the first feature plus noise; labels span 5 bars */
function rowsOf(n: number, signal: number, seed: number): DatasetRow[] {
  const rng = new Xoshiro128(seed);
  return Array.from({ length: n }, (_, i) => {
    const features = [rng.normal(), rng.normal(), rng.normal(), rng.normal(), 1 + rng.normal() * 0.1];
    return {
      instrument: "A.SIM",
      t0: i * 60_000_000,
      t1: (i + 5) * 60_000_000,
      features,
      ret: (signal * features[0]! + rng.normal()) * 1e-3,
    };
  });
}

const options = { folds: 5, groups: 6, testGroups: 2, embargoUs: 5 * 60_000_000, lambda: 1e-3, walkForwardWindows: 4 };

t.test("purged CV of a ridge finds a planted signal out of sample, on every CPCV path", async (t) => {
  const progress: number[] = [];
  const r = validateRidge(rowsOf(1200, 0.8, 2), options, (p) => progress.push(p.done));
  t.equal(r.kFold.folds.length, 5);
  t.equal(r.cpcv.splits, 15);
  t.equal(r.cpcv.paths.length, 5);
  t.same(
    progress,
    Array.from({ length: 24 }, (_, i) => i + 1),
    "progress once per fitted split",
  );
  t.ok(r.kFold.pooled.ic > 0.5, `pooled IC ${r.kFold.pooled.ic}`);
  t.equal(r.kFold.pooled.samples, 1200, "every row is forecast once out of sample");
  for (const p of r.cpcv.paths) {
    t.equal(p.metrics.samples, 1200, `path ${p.path} covers every row`);
    t.ok(p.metrics.ic > 0.5, `path ${p.path} IC ${p.metrics.ic}`);
  }
  // an inner fold loses the rows whose labels reach into it on each side and its embargo after it
  t.equal(r.kFold.folds[2]!.purged, 5 + 5 + 5, "5 rows before the fold, 5 after it, 5 more by the embargo");
  t.equal(r.kFold.folds[0]!.purged, 5 + 5);
  // walk-forward: the first half (599.5 minutes) trains, the 5-minute embargo keeps every label of it clear of the
  // first out-of-sample window (rows 605 to 753), 148.6 minutes long like the three after it
  t.equal(r.walkForward.windows.length, 4);
  t.match(r.walkForward.windows[0], { window: 0, train: 600, test: 149 });
  t.ok(r.walkForward.stitched.ic > 0.5, `walk-forward IC ${r.walkForward.stitched.ic}`);
});

t.test("noise gives no out-of-sample skill", async (t) => {
  const r = validateRidge(rowsOf(1200, 0, 3), options);
  t.ok(Math.abs(r.kFold.pooled.ic) < 0.1, `pooled IC ${r.kFold.pooled.ic}`);
  t.ok(Math.abs(r.cpcv.meanIc) < 0.1, `mean path IC ${r.cpcv.meanIc}`);
});

t.test("forecast metrics: a perfect forecast and its mirror", async (t) => {
  t.same(forecastMetrics([1, 2, 3, -1], [1, 2, 3, -1]), { ic: 1, rankIc: 1, hitRate: 1, rmse: 0, samples: 4 });
  t.match(forecastMetrics([-1, -2, -3, 1], [1, 2, 3, -1]), { ic: -1, rankIc: -1, hitRate: 0 });
  t.throws(() => forecastMetrics([1, 2], [1, 2]), /at least 3 rows/);
});
