import type { ParameterSet } from "./parameter-space.ts";
import type { Performance } from "./performance.ts";
import type { RunConfig } from "./run-config.ts";
import { runBacktest } from "./runner.ts";
import type { Objective } from "./sweep-config.ts";

/** One backtest of a sweep: the run configuration with one strategy's parameters set, over one time range. */
export interface TrialRequest {
  /** the trial's place in the sweep: results are kept in this order, whichever worker ran it */
  id: number;
  config: RunConfig;
  baseDir: string;
  objective: Objective;
}

export interface TrialOutcome {
  id: number;
  objective: number;
  pnl: number;
  orders: number;
  fills: number;
  performance: Performance;
  /** sampled equity, the return series the overfitting statistics and the walk-forward stitching take */
  equity: number[];
}

/** The run configuration of a trial: parameters over the strategy's own, the range and sampling of the trial, no files. */
export function trialConfig(
  run: RunConfig,
  strategyIndex: number,
  parameters: ParameterSet,
  range: { fromUs: number; toUs: number },
  sampleEveryMs: number,
): RunConfig {
  const { outDir: _files, ...report } = run.report;
  return {
    ...run,
    start: range.fromUs,
    end: range.toUs,
    strategies: run.strategies.map((s, i) => (i === strategyIndex ? { ...s, parameters: { ...s.parameters, ...parameters } } : s)),
    report: { ...report, sampleEveryMs, journalFile: false },
  };
}

export async function runTrial(req: TrialRequest): Promise<TrialOutcome> {
  const r = await runBacktest(req.config, { baseDir: req.baseDir });
  return {
    id: req.id,
    objective: req.objective === "pnl" ? r.pnl : r.performance[req.objective],
    pnl: r.pnl,
    orders: r.orders,
    fills: r.fills,
    performance: r.performance,
    equity: r.samples.map((s) => s.equity),
  };
}
