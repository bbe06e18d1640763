import t from "tap";
import { Xoshiro128 } from "../feed/simulator/index.ts";
import { type ChangepointSettings, checkChangepointSettings, initialChangepoint, observe, runLengthView } from "./changepoint.ts";

const settings: ChangepointSettings = {
  hazard: 1 / 200,
  prior: { mu: 0, kappa: 1, alpha: 1, beta: 1 },
  maxRunLength: 400,
  window: 5,
};

/** segments of normal draws: [length, mean, standard deviation] */
function series(seed: number, segments: [number, number, number][]): { xs: number[]; changes: number[] } {
  const rng = new Xoshiro128(seed);
  const xs: number[] = [];
  const changes: number[] = [];
  for (const [n, mean, sd] of segments) {
    if (xs.length) changes.push(xs.length);
    for (let i = 0; i < n; i++) xs.push(mean + sd * rng.normal());
  }
  return { xs, changes };
}

/** The first index at or after `change` where the MAP run starts within `slack` bars of the change. */
function detectedAt(xs: number[], change: number, slack = 3): number | undefined {
  let s = initialChangepoint(settings.prior);
  for (let i = 0; i < xs.length; i++) {
    s = observe(s, xs[i]!, settings);
    const v = runLengthView(s, settings.window);
    // after observation i the run of length runLength began at i − runLength + 1
    if (i >= change && Math.abs(i - v.runLength + 1 - change) <= slack) return i;
  }
  return undefined;
}

t.test("a shift in mean is found within a few bars of the true change", async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { xs, changes } = series(seed, [
      [150, 0, 1],
      [150, 3, 1],
      [150, -1, 1],
    ]);
    for (const c of changes) {
      const at = detectedAt(xs, c);
      t.ok(at !== undefined && at - c <= 5, `seed ${seed}: change at ${c} found at ${at}`);
    }
  }
});

t.test("a change in volatility alone is found within a few bars", async (t) => {
  for (const seed of [11, 12, 13]) {
    const { xs, changes } = series(seed, [
      [200, 0, 1],
      [200, 0, 5],
    ]);
    const at = detectedAt(xs, changes[0]!);
    t.ok(at !== undefined && at - changes[0]! <= 8, `seed ${seed}: change at ${changes[0]} found at ${at}`);
  }
});

t.test("a stable series keeps a growing run and a low change probability; a change raises it", async (t) => {
  const { xs } = series(21, [
    [300, 0.5, 2],
    [60, 8, 2],
  ]);
  let s = initialChangepoint(settings.prior);
  const views = xs.map((x) => {
    s = observe(s, x, settings);
    return runLengthView(s, settings.window);
  });
  const stable = views.slice(50, 300);
  t.ok(
    stable.every((v) => v.changeProbability < 0.5),
    "no alarm in the stable run",
  );
  t.ok(views[299]!.runLength > 250, `run length ${views[299]!.runLength} after 300 stable bars`);
  t.ok(Math.abs(views[299]!.mean - 0.5) < 0.5, `the regime's mean ${views[299]!.mean}`);
  t.ok(Math.abs(views[299]!.deviation - 2) < 0.5, `the regime's deviation ${views[299]!.deviation}`);
  t.ok(
    views.slice(300, 304).some((v) => v.changeProbability > 0.9),
    `change probability right after the change: ${views.slice(300, 304).map((v) => v.changeProbability.toFixed(3))}`,
  );
  t.ok(s.logRun.length <= settings.maxRunLength, "the posterior is truncated at maxRunLength");
  const total = s.logRun.reduce((a, l) => a + Math.exp(l), 0);
  t.ok(Math.abs(total - 1) < 1e-9, "the run-length posterior sums to 1");
});

t.test("settings and observations out of range are refused naming the field", async (t) => {
  t.throws(() => checkChangepointSettings({ ...settings, hazard: 0 }), /hazard must be in \(0, 1\)/);
  t.throws(() => checkChangepointSettings({ ...settings, window: 400 }), /window must be an integer in \[0, maxRunLength\)/);
  t.throws(() => checkChangepointSettings({ ...settings, prior: { ...settings.prior, beta: 0 } }), /prior.beta must be positive/);
  t.throws(() => observe(initialChangepoint(settings.prior), Number.NaN, settings), /must be finite/);
});
