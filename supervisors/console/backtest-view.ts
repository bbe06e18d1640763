import type { BacktestResult, BacktestRunStatus } from "../backtest/index.ts";
import { readBacktestReport } from "../backtest/index.ts";
import type { BacktestReportView, BacktestsFrame } from "./protocol.ts";

/** What the console reads of the node's backtests (BacktestRuns): the runs and the reports kept in memory. */
export interface BacktestSource {
  list(): BacktestRunStatus[];
  report(id: string): BacktestResult | undefined;
}

/** the most points of an equity curve sent to a browser: a year of minute samples would be megabytes */
const MAX_POINTS = 600;

/** Every k-th sample and the last, so the curve keeps its shape and its end in at most MAX_POINTS points. */
function thinned<T>(xs: readonly T[]): T[] {
  if (xs.length <= MAX_POINTS) return [...xs];
  const k = Math.ceil(xs.length / MAX_POINTS);
  const out = xs.filter((_, i) => i % k === 0);
  if ((xs.length - 1) % k !== 0) out.push(xs[xs.length - 1]!);
  return out;
}

/**
 * The backtests panel's data: the runs with their status and progress (pushed when they change), and a run's report
 * on request, from memory or, once the node has forgotten it (restart, `keep`), from QuestDB.
 */
export class BacktestView {
  private last = "";
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly o: { source?: BacktestSource; questdbUrl?: string; intervalMs: number },
    private readonly push: (frame: BacktestsFrame & { type: "backtests" }) => void,
  ) {}

  frame(): BacktestsFrame {
    return { runs: this.o.source?.list() ?? [], at: Date.now() };
  }

  start(): void {
    if (!this.o.source) return;
    this.timer = setInterval(() => {
      const f = this.frame();
      const text = JSON.stringify(f.runs);
      if (text === this.last) return;
      this.last = text;
      this.push({ type: "backtests", ...f });
    }, this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A run's report and its equity curve (thinned), or why there is none. */
  async report(id: string): Promise<{ report: BacktestReportView } | { error: string }> {
    const kept = this.o.source?.report(id);
    if (kept) {
      const { samples, ...figures } = kept;
      return {
        report: {
          ...figures,
          performance: { ...figures.performance },
          equity: thinned(samples).map((s) => [s.tsUs / 1000, s.equity]),
          drawdown: thinned(samples).map((s) => [s.tsUs / 1000, s.drawdown]),
        },
      };
    }
    if (this.o.questdbUrl) {
      try {
        const stored = await readBacktestReport(this.o.questdbUrl, id);
        if (stored) {
          const curve = thinned(stored.equity);
          return {
            report: {
              ...stored.report,
              performance: { ...stored.report.performance },
              equity: curve.map((s) => [s.tsUs / 1000, s.equity]),
              drawdown: curve.map((s) => [s.tsUs / 1000, s.drawdown ?? 0]),
            },
          };
        }
      } catch (e) {
        return { error: `backtest ${id}: QuestDB could not be read (${(e as Error).message})` };
      }
    }
    const run = this.o.source?.list().find((r) => r.id === id);
    if (run && run.state !== "done") return { error: `backtest ${id} is ${run.state}${run.error ? `: ${run.error}` : ""}` };
    return { error: `no report of backtest ${id} on this node${this.o.questdbUrl ? " or in QuestDB" : ""}` };
  }
}
