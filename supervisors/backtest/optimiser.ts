import { BayesianSearch } from "./bayesian-search.ts";
import { type BacktestOverfitting, backtestOverfitting, type DeflatedSharpe, deflatedSharpe, periodSharpe } from "./overfitting.ts";
import { gridPoints, gridValues, type ParameterSet, randomPoints } from "./parameter-space.ts";
import { type Performance, periodReturns } from "./performance.ts";
import type { RunConfig } from "./run-config.ts";
import type { Sweep } from "./sweep-config.ts";
import { trialConfig, type TrialOutcome, type TrialRequest } from "./trial.ts";
import { defaultWorkers, TrialPool } from "./trial-pool.ts";
import { type StitchedResult, stitchOutOfSample, type WalkForwardWindow, walkForwardWindows } from "./walk-forward.ts";

const US_PER_YEAR = 365.25 * 86_400_000_000;

export interface SweepProgress {
  phase: "in-sample" | "out-of-sample";
  done: number;
  total: number;
  best?: { objective: number; parameters: ParameterSet };
}

/** Where trials run: worker threads of this process (TrialPool) or the workers of a JetStream queue (QueuedTrials). */
export interface TrialRunner {
  readonly size: number;
  /** outcomes in request order, whichever worker ran each */
  run(requests: readonly TrialRequest[], onDone?: (outcome: TrialOutcome) => void): Promise<TrialOutcome[]>;
  close(): Promise<void>;
}

export interface SweepOptions {
  /** the run configuration's files are relative to this folder (on every worker, for a queue) */
  baseDir: string;
  /** overrides the sweep's `workers` */
  workers?: number;
  /** run the trials here instead of on worker threads of this process; the caller closes it */
  trials?: TrialRunner;
  onProgress?: (p: SweepProgress) => void;
}

export interface TrialFigures {
  objective: number;
  pnl: number;
  orders: number;
  fills: number;
  performance: Performance;
}

export interface OverfittingGuard {
  deflatedSharpe: DeflatedSharpe;
  /** null where there are fewer than 2 trials or fewer returns than CSCV blocks (`pboUnavailable` says which) */
  pbo: BacktestOverfitting | null;
  pboUnavailable?: string;
}

export interface WindowReport {
  index: number;
  inSample: { from: string; to: string };
  outOfSample: { from: string; to: string };
  parameters: ParameterSet;
  inSampleFigures: TrialFigures;
  outOfSampleFigures: TrialFigures;
  overfitting: OverfittingGuard;
}

export interface SweepReport {
  objective: Sweep["objective"];
  direction: Sweep["direction"];
  search: Sweep["search"];
  strategy: string;
  /** parameter sets tried (per window with a walk-forward) */
  trials: number;
  workers: number;
  /** the best parameters (with a walk-forward: the last window's, the ones to trade next) and their figures */
  best: { parameters: ParameterSet; inSample: TrialFigures; outOfSample?: TrialFigures };
  overfitting: OverfittingGuard;
  walkForward?: { windows: WindowReport[]; outOfSample: StitchedResult };
  wallMs: number;
}

export class SweepRunError extends Error {
  override name = "SweepRunError";
}

/** Which of the run's strategies the sweep varies: the one named, or the only one. */
export function sweptStrategy(sweep: Sweep, run: RunConfig): number {
  const ids = run.strategies.map((s) => s.id);
  if (sweep.strategy === undefined) {
    if (ids.length === 1) return 0;
    throw new SweepRunError(`sweep strategy: the run has ${ids.length} strategies (${ids.join(", ")}); name the one to vary`);
  }
  const i = ids.indexOf(sweep.strategy);
  if (i < 0) throw new SweepRunError(`sweep strategy: ${sweep.strategy} is not a strategy of the run (${ids.join(", ")})`);
  return i;
}

/** the most parameter sets one sweep tries, as random search's `trials` allows */
const MAX_TRIALS = 100_000;

/** Grid or seeded random points of the sweep (a Bayesian search chooses its own as it goes). */
export function sweepPoints(sweep: Sweep): ParameterSet[] {
  if (sweep.search.kind === "bayesian") return [];
  if (sweep.search.kind === "random") return randomPoints(sweep.parameters, sweep.search.trials, sweep.search.seed);
  const size = Object.entries(sweep.parameters).reduce((n, [name, v]) => n * gridValues(name, v).length, 1);
  if (size > MAX_TRIALS) throw new SweepRunError(`sweep parameters: the grid has ${size} points, more than ${MAX_TRIALS}`);
  return gridPoints(sweep.parameters);
}

/**
 * Runs a sweep: every parameter set over the run's range (or each walk-forward window's in-sample range), the best
 * by the objective (ties to the earlier trial, so the result does not depend on which worker finished first), with
 * the deflated Sharpe ratio and PBO of the trials beside it; with a walk-forward, each window's best is then run
 * out of sample and the out-of-sample windows are stitched.
 */
export async function runSweep(sweep: Sweep, run: RunConfig, options: SweepOptions): Promise<SweepReport> {
  const t0 = performance.now();
  const strategyIndex = sweptStrategy(sweep, run);
  const points = sweepPoints(sweep);
  const sampleEveryMs = sweep.sampleEveryMs ?? run.report.sampleEveryMs;
  const wf = sweep.walkForward;
  let windows: WalkForwardWindow[] | undefined;
  try {
    windows = wf
      ? walkForwardWindows({
          startUs: run.start,
          endUs: run.end,
          inSampleUs: wf.inSampleMs * 1000,
          outOfSampleUs: wf.outOfSampleMs * 1000,
          ...(wf.stepMs !== undefined ? { stepUs: wf.stepMs * 1000 } : {}),
          embargoUs: wf.embargoMs * 1000,
        })
      : undefined;
  } catch (e) {
    throw new SweepRunError(`sweep walkForward: ${(e as Error).message}`);
  }
  const inSampleRanges = windows ? windows.map((w) => w.inSample) : [{ fromUs: run.start, toUs: run.end }];
  const request = (id: number, parameters: ParameterSet, range: { fromUs: number; toUs: number }): TrialRequest => ({
    id,
    config: trialConfig(run, strategyIndex, parameters, range, sampleEveryMs),
    baseDir: options.baseDir,
    objective: sweep.objective,
  });
  const better = (a: number, b: number): boolean => {
    if (Number.isNaN(a)) return false;
    if (Number.isNaN(b)) return true;
    return sweep.direction === "maximise" ? a > b : a < b;
  };

  const pool: TrialRunner = options.trials ?? (await TrialPool.open(options.workers ?? sweep.workers ?? defaultWorkers()));
  try {
    const search = sweep.search;
    const n = search.kind === "bayesian" ? search.trials : points.length;
    // the parameter sets each window tried, by trial id (w·n + i)
    const tried: ParameterSet[] = [];
    const total = inSampleRanges.length * n + (windows?.length ?? 0);
    let done = 0;
    let bestSoFar: SweepProgress["best"];
    const onInSample = (o: TrialOutcome): void => {
      done++;
      if (!bestSoFar || better(o.objective, bestSoFar.objective)) bestSoFar = { objective: o.objective, parameters: tried[o.id]! };
      options.onProgress?.({ phase: "in-sample", done, total, ...(bestSoFar ? { best: bestSoFar } : {}) });
    };
    let isOutcomes: TrialOutcome[];
    if (search.kind === "bayesian") {
      isOutcomes = [];
      // window by window, batch by batch: each batch is proposed from the outcomes before it
      for (const [w, range] of inSampleRanges.entries()) {
        const bayes = new BayesianSearch(sweep.parameters, {
          seed: search.seed + w,
          initial: Math.min(search.trials, search.initial ?? Math.max(5, 2 * Object.keys(sweep.parameters).length)),
        });
        for (let i = 0; i < n; ) {
          const batch = bayes.propose(Math.min(search.batch, n - i));
          const requests = batch.map((p, k) => {
            tried[w * n + i + k] = p;
            return request(w * n + i + k, p, range);
          });
          const outcomes = await pool.run(requests, onInSample);
          for (const [k, o] of outcomes.entries()) bayes.observe(batch[k]!, sweep.direction === "maximise" ? o.objective : -o.objective);
          isOutcomes.push(...outcomes);
          i += batch.length;
        }
      }
    } else {
      for (let w = 0; w < inSampleRanges.length; w++) tried.push(...points);
      isOutcomes = await pool.run(
        inSampleRanges.flatMap((range, w) => points.map((p, i) => request(w * n + i, p, range))),
        onInSample,
      );
    }
    const perWindow = inSampleRanges.map((_, w) => isOutcomes.slice(w * n, (w + 1) * n));
    const bests = perWindow.map((outcomes) => outcomes.reduce((b, o) => (better(o.objective, b.objective) ? o : b)));
    const guards = perWindow.map((outcomes, w) => overfittingGuard(outcomes, bests[w]!, sweep.pboBlocks));
    const base = {
      objective: sweep.objective,
      direction: sweep.direction,
      search: sweep.search,
      strategy: run.strategies[strategyIndex]!.id,
      trials: n,
      workers: pool.size,
    };
    if (!windows) {
      const best = bests[0]!;
      return {
        ...base,
        best: { parameters: tried[best.id]!, inSample: figures(best) },
        overfitting: guards[0]!,
        wallMs: Math.round(performance.now() - t0),
      };
    }
    const oosRequests = windows.map((w, i) => request(i, tried[bests[i]!.id]!, w.outOfSample));
    const oosOutcomes = await pool.run(oosRequests, () => {
      done++;
      options.onProgress?.({ phase: "out-of-sample", done, total, ...(bestSoFar ? { best: bestSoFar } : {}) });
    });
    const iso = (us: number): string => new Date(us / 1000).toISOString();
    const reports: WindowReport[] = windows.map((w, i) => ({
      index: w.index,
      inSample: { from: iso(w.inSample.fromUs), to: iso(w.inSample.toUs) },
      outOfSample: { from: iso(w.outOfSample.fromUs), to: iso(w.outOfSample.toUs) },
      parameters: tried[bests[i]!.id]!,
      inSampleFigures: figures(bests[i]!),
      outOfSampleFigures: figures(oosOutcomes[i]!),
      overfitting: guards[i]!,
    }));
    const last = reports[reports.length - 1]!;
    return {
      ...base,
      best: { parameters: last.parameters, inSample: last.inSampleFigures, outOfSample: last.outOfSampleFigures },
      overfitting: last.overfitting,
      walkForward: { windows: reports, outOfSample: stitchOutOfSample(oosOutcomes, US_PER_YEAR / (sampleEveryMs * 1000)) },
      wallMs: Math.round(performance.now() - t0),
    };
  } finally {
    if (!options.trials) await pool.close();
  }
}

const figures = (o: TrialOutcome): TrialFigures => ({
  objective: o.objective,
  pnl: o.pnl,
  orders: o.orders,
  fills: o.fills,
  performance: o.performance,
});

/** The deflated Sharpe ratio of the best among the trials, and their PBO where the returns allow the CSCV split. */
export function overfittingGuard(outcomes: readonly TrialOutcome[], best: TrialOutcome, blocks: number): OverfittingGuard {
  const returns = outcomes.map((o) => periodReturns(o.equity));
  const dsr = deflatedSharpe(periodReturns(best.equity), returns.map(periodSharpe));
  const periods = Math.min(...returns.map((r) => r.length));
  if (outcomes.length < 2) return { deflatedSharpe: dsr, pbo: null, pboUnavailable: "PBO needs at least 2 trials" };
  if (periods < blocks)
    return {
      deflatedSharpe: dsr,
      pbo: null,
      pboUnavailable: `PBO needs at least ${blocks} sampled returns per trial (pboBlocks), the trials have ${periods}`,
    };
  return { deflatedSharpe: dsr, pbo: backtestOverfitting(returns, blocks) };
}
