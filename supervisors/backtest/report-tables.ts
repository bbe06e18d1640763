import { IlpWriter, questdbSql, type Row, rowsOf, sqlLiteral } from "../../infra/questdb/index.ts";
import type { BacktestResult } from "./runner.ts";

/** Report figures are floats of the account currency; the tables keep money as DECIMAL (whole 1e-8 units). */
const units = (x: number): number => Math.round(x * 1e8);
/** NaN and ±Infinity (a Sharpe of a flat run, a profit factor without losses) are stored as null */
const finite = (x: number): number | undefined => (Number.isFinite(x) ? x : undefined);
const ROWS_PER_FLUSH = 10_000;

/** The run's row of `backtest_runs` and its equity curve's rows of `backtest_equity`. */
export function backtestReportRows(runId: string, r: BacktestResult, finishedUs: number): Row[] {
  const p = r.performance;
  const { samples: _curve, ...report } = r;
  const run: Row = {
    table: "backtest_runs",
    ts: finishedUs,
    symbols: [["name", r.name]],
    decimals: [
      ["fees", units(r.fees)],
      ["initial_equity", units(r.initialEquity)],
      ["final_equity", units(r.finalEquity)],
      ["pnl", units(r.pnl)],
    ],
    longs: [
      ["records", r.records],
      ["orders", r.orders],
      ["fills", r.fills],
      ["wall_ms", r.wallMs],
      ["cpu_ms", r.cpuMs],
    ],
    strings: [
      ["run_id", runId],
      ["journal_sha256", r.journal.sha256],
      ["report", JSON.stringify(report)],
    ],
    doubles: [
      ["total_return", finite(p.totalReturn)],
      ["annualised_return", finite(p.annualisedReturn)],
      ["volatility", finite(p.volatility)],
      ["sharpe", finite(p.sharpe)],
      ["sortino", finite(p.sortino)],
      ["calmar", finite(p.calmar)],
      ["max_drawdown", finite(p.maxDrawdown)],
      ["hit_rate", finite(p.hitRate)],
      ["profit_factor", finite(p.profitFactor)],
      ["turnover", finite(p.turnover)],
      ["exposure", finite(p.exposure)],
    ],
    times: [
      ["start_ts", r.startUs],
      ["end_ts", r.endUs],
    ],
  };
  const curve: Row[] = r.samples.map((s) => ({
    table: "backtest_equity",
    ts: s.tsUs,
    symbols: [],
    decimals: [["equity", units(s.equity)]],
    longs: [],
    strings: [["run_id", runId]],
    doubles: [
      ["drawdown", finite(s.drawdown)],
      ["exposure", finite(s.exposure)],
    ],
    times: [],
  }));
  return [run, ...curve];
}

/** Writes a finished run's report and equity curve to QuestDB (tables declared by declareTables). */
export async function storeBacktestReport(questdbUrl: string, runId: string, r: BacktestResult, finishedUs: number): Promise<void> {
  const writer = new IlpWriter(questdbUrl);
  try {
    for (const row of backtestReportRows(runId, r, finishedUs)) {
      writer.row(row);
      if (writer.pending >= ROWS_PER_FLUSH) await writer.flush();
    }
    await writer.flush();
  } finally {
    await writer.close();
  }
}

export interface StoredBacktest {
  runId: string;
  finishedUs: number;
  /** the report as stored (BacktestResult without its samples) */
  report: Omit<BacktestResult, "samples">;
  equity: { tsUs: number; equity: number; drawdown: number | null; exposure: number | null }[];
}

const micros = (ts: unknown): number => {
  const m = /^(.*?)(?:\.(\d{1,6}))?Z$/.exec(String(ts));
  return m ? Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? "").padEnd(6, "0")) : Number.NaN;
};

/** A stored run's report and equity curve by its run id; undefined when QuestDB has no such run (yet: WAL applies later). */
export async function readBacktestReport(questdbUrl: string, runId: string): Promise<StoredBacktest | undefined> {
  const id = sqlLiteral(runId);
  const run = rowsOf(await questdbSql(questdbUrl, `SELECT ts, report FROM backtest_runs WHERE run_id = ${id} LIMIT -1`))[0];
  if (!run) return undefined;
  const curve = rowsOf(
    await questdbSql(questdbUrl, `SELECT ts, equity, drawdown, exposure FROM backtest_equity WHERE run_id = ${id} ORDER BY ts`),
  );
  return {
    runId,
    finishedUs: micros(run.ts),
    report: JSON.parse(String(run.report)) as StoredBacktest["report"],
    equity: curve.map((c) => ({
      tsUs: micros(c.ts),
      equity: Number(c.equity),
      drawdown: c.drawdown === null ? null : Number(c.drawdown),
      exposure: c.exposure === null ? null : Number(c.exposure),
    })),
  };
}
