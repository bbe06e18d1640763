/**
 * The port the Backtests service runs backtests through. The node's implementation is supervisors/backtest's
 * `BacktestRuns` (worker threads); the gateway names its shapes, declared where the runs are. Times are µs since the epoch.
 */
import type { BacktestResult, BacktestRunState, BacktestRunStatus, Performance } from "../supervisors/backtest/index.ts";

export type { BacktestRunState, BacktestRunStatus };
/** A run's statistics (supervisors/backtest/performance.ts). */
export type BacktestPerformance = Performance;

/** A finished run's figures; money in the account currency. */
export type BacktestRunReport = Pick<
  BacktestResult,
  | "initialEquity"
  | "finalEquity"
  | "pnl"
  | "fees"
  | "orders"
  | "fills"
  | "records"
  | "actorSteps"
  | "deadLetters"
  | "journal"
  | "performance"
  | "wallMs"
  | "cpuMs"
>;

export interface BacktestRunner {
  /** Validates the configuration and queues the run; a refusal names the field. */
  submit(config: unknown, submittedBy: string): { ok: true; status: BacktestRunStatus } | { ok: false; error: string };
  status(id: string): BacktestRunStatus | undefined;
  /** newest first */
  list(): BacktestRunStatus[];
  /** Calls back at each change of a run until it ends; returns the function that stops it. */
  watch(id: string, onStatus: (s: BacktestRunStatus) => void): () => void;
  /** The report of a done run. */
  report(id: string): BacktestRunReport | undefined;
}
