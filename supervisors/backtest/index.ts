export { TradingAccount, type AccountSample } from "./account.ts";
export { EventJournal } from "./event-journal.ts";
export { SubscriptionIndex } from "./in-memory-bus.ts";
export { csvRecordChunks, mergeInTimeOrder } from "./market-data.ts";
export * from "./overfitting.ts";
export * from "./performance.ts";
export {
  type OverfittingGuard,
  runSweep,
  type SweepOptions,
  type SweepProgress,
  type SweepReport,
  SweepRunError,
  type TrialRunner,
  sweepPoints,
} from "./optimiser.ts";
export { gridPoints, type ParameterSet, randomPoints } from "./parameter-space.ts";
export { writeReportFiles } from "./report-files.ts";
export { backtestReportRows, readBacktestReport, type StoredBacktest, storeBacktestReport } from "./report-tables.ts";
export { linePlot, reportPage } from "./report-page.ts";
export { parseRunConfig, type RunConfig, RunConfigError, type RunConfigInput, runConfigSchema, time as timeSchema } from "./run-config.ts";
export { Backtest, BacktestError, type BacktestProgress, type BacktestResult, type RunOptions, runBacktest } from "./runner.ts";
export { SimulatedActor } from "./simulated-actor.ts";
export { writeSimulatedBars } from "./simulated-bars.ts";
export { SimulatedTimers } from "./simulated-timers.ts";
export { OBJECTIVES, type Objective, parseSweep, type Sweep, SweepError, type SweepInput, sweepSchema } from "./sweep-config.ts";
export { readSweepFile } from "./sweep-file.ts";
export { defaultWorkers, TrialPool } from "./trial-pool.ts";
export { stitchOutOfSample, type WalkForwardWindow, walkForwardWindows } from "./walk-forward.ts";
export { BayesianSearch } from "./bayesian-search.ts";
export { ContinuousFutures, RollError, type RollRule } from "./continuous-futures.ts";
export { type CorporateAction, CorporateActionError, PriceAdjustments, readCorporateActions } from "./corporate-actions.ts";
export { ParquetRecordError, parquetRecordChunks } from "./parquet-records.ts";
export { csvL2Chunks, L2_COLUMNS, L2RecordError, l2Chunks, parquetL2Chunks } from "./l2-records.ts";
export { type L2OrderAction, type L2QueueReplay, replayL2Queue } from "./l2-queue-replay.ts";
export { declareSweepQueue, QueuedTrials, SWEEP_RESULTS_STREAM, SWEEP_TRIALS_STREAM, SweepWorker } from "./sweep-queue.ts";
export { BacktestRuns, type BacktestRunState, type BacktestRunStatus, type BacktestRunsOptions } from "./backtest-runs.ts";
