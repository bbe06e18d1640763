/**
 * The port the Backtests service runs backtests through. The node's implementation is supervisors/backtest's
 * `BacktestRuns` (worker threads); the gateway needs only this shape. Times are µs since the epoch.
 */
export type BacktestRunState = "queued" | "running" | "done" | "failed";

export interface BacktestRunStatus {
  id: string;
  name: string;
  state: BacktestRunState;
  startUs: number;
  endUs: number;
  simulatedUs: number;
  records: number;
  error?: string;
  submittedBy: string;
  submittedAtUs: number;
}

/** A run's statistics (supervisors/backtest/performance.ts). */
export interface BacktestPerformance {
  totalReturn: number;
  annualisedReturn: number;
  volatility: number;
  sharpe: number;
  sortino: number;
  calmar: number;
  maxDrawdown: number;
  maxDrawdownPeriods: number;
  hitRate: number;
  profitFactor: number;
  turnover: number;
  exposure: number;
}

/** A finished run's figures; money in the account currency. */
export interface BacktestRunReport {
  initialEquity: number;
  finalEquity: number;
  pnl: number;
  fees: number;
  orders: number;
  fills: number;
  records: number;
  actorSteps: number;
  deadLetters: number;
  journal: { sha256: string; events: number };
  performance: BacktestPerformance;
  wallMs: number;
  cpuMs: number;
}

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
