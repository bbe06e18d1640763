import t from "tap";
import { runSweep } from "./optimiser.ts";
import { runBacktest } from "./runner.ts";
import { parseSweep } from "./sweep-config.ts";
import { barsRun } from "./testing.ts";

const parameters = { fastPeriod: { values: [3, 5] }, slowPeriod: { min: 10, max: 15, step: 5 } };

t.test("a grid sweep finds the parameters that running each backtest by hand finds best", async (t) => {
  const { dir, config } = await barsRun(t, { instruments: 1, minutes: 120 });
  const sweep = parseSweep({ run: "unused.json", parameters, search: { kind: "grid" }, objective: "pnl", pboBlocks: 4 });
  const report = await runSweep(sweep, config, { baseDir: dir, workers: 1 });
  let best: { pnl: number; fastPeriod: number; slowPeriod: number } | undefined;
  for (const fastPeriod of [3, 5])
    for (const slowPeriod of [10, 15]) {
      const s = config.strategies[0]!;
      const r = await runBacktest(
        { ...config, strategies: [{ ...s, parameters: { ...s.parameters, fastPeriod, slowPeriod } }] },
        { baseDir: dir },
      );
      if (!best || r.pnl > best.pnl) best = { pnl: r.pnl, fastPeriod, slowPeriod };
    }
  t.equal(report.trials, 4);
  t.same(report.best.parameters, { fastPeriod: best!.fastPeriod, slowPeriod: best!.slowPeriod });
  t.equal(report.best.inSample.pnl, best!.pnl, "the same P&L as by hand");
  t.equal(report.overfitting.deflatedSharpe.trials, 4);
  t.ok(report.overfitting.pbo && report.overfitting.pbo.splits === 6, "PBO over C(4, 2) splits");
});

t.test("a walk-forward sweep gives the same result with 1 worker and with 2", async (t) => {
  const { dir, config } = await barsRun(t, { instruments: 1, minutes: 120 });
  const sweep = parseSweep({
    run: "unused.json",
    parameters,
    search: { kind: "random", trials: 3, seed: 7 },
    objective: "sharpe",
    sampleEveryMs: 300_000,
    walkForward: { inSampleMs: 40 * 60_000, outOfSampleMs: 40 * 60_000 },
    pboBlocks: 4,
  });
  const progress: number[] = [];
  const one = await runSweep(sweep, config, { baseDir: dir, workers: 1, onProgress: (p) => progress.push(p.done) });
  const two = await runSweep(sweep, config, { baseDir: dir, workers: 2 });
  t.same(
    progress,
    Array.from({ length: 2 * 3 + 2 }, (_, i) => i + 1),
    "progress counts every trial, in-sample and out-of-sample",
  );
  t.equal(one.walkForward!.windows.length, 2);
  t.equal(two.workers, 2);
  const strip = (r: typeof one): unknown => ({ ...r, workers: 0, wallMs: 0 });
  t.same(strip(two), strip(one), "identical reports");
  t.same(one.best.parameters, one.walkForward!.windows[1]!.parameters, "the last window's best is the one to trade next");
  t.equal(one.walkForward!.outOfSample.windows, 2);
});

t.test("a Bayesian sweep gives the same report with 1 worker and with 2, its best the best of the sets it tried", async (t) => {
  const { dir, config } = await barsRun(t, { instruments: 1, minutes: 120 });
  const sweep = parseSweep({
    run: "unused.json",
    parameters: { fastPeriod: { min: 2, max: 8, integer: true }, slowPeriod: { values: [10, 15, 20] } },
    search: { kind: "bayesian", trials: 6, seed: 3, initial: 3, batch: 3 },
    objective: "pnl",
    pboBlocks: 4,
  });
  const progress: number[] = [];
  const one = await runSweep(sweep, config, { baseDir: dir, workers: 1, onProgress: (p) => progress.push(p.done) });
  const two = await runSweep(sweep, config, { baseDir: dir, workers: 2 });
  t.same(progress, [1, 2, 3, 4, 5, 6]);
  t.equal(one.trials, 6);
  const strip = (r: typeof one): unknown => ({ ...r, workers: 0, wallMs: 0 });
  t.same(strip(two), strip(one), "identical reports");
  const s = config.strategies[0]!;
  const byHand = await runBacktest(
    { ...config, strategies: [{ ...s, parameters: { ...s.parameters, ...one.best.parameters } }] },
    { baseDir: dir },
  );
  t.equal(one.best.inSample.pnl, byHand.pnl, "the best set's P&L, as by hand");
  t.equal(one.overfitting.deflatedSharpe.trials, 6);
});
