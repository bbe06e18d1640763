import { randomUUID } from "node:crypto";
import { isAbsolute, join, relative } from "node:path";
import type { Worker } from "node:worker_threads";
import { parseRunConfig, type RunConfig, RunConfigError } from "./run-config.ts";
import { storeBacktestReport } from "./report-tables.ts";
import type { BacktestProgress, BacktestResult } from "./runner.ts";
import { typescriptWorker } from "./worker-thread.ts";

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

export interface BacktestRunsOptions {
  /** data files of a configuration are relative to this folder and must stay inside it */
  baseDir: string;
  /** backtests run at once, each on its own worker thread (default 1); the others wait in submission order */
  concurrency?: number;
  /** finished runs kept for their reports (default 100); the oldest go first */
  keep?: number;
  /** where each finished run's report and equity curve are stored (backtest_runs, backtest_equity), by its id */
  questdbUrl?: string;
  /** a report QuestDB did not take: the run stays done, its report in memory */
  onStoreFailed?: (runId: string, error: Error) => void;
}

interface Run {
  status: BacktestRunStatus;
  config: RunConfig;
  result?: BacktestResult;
  worker?: Worker;
  watchers: Set<(s: BacktestRunStatus) => void>;
}

type WorkerMessage = { progress: BacktestProgress } | { result: BacktestResult } | { error: string };

/**
 * Backtests submitted at run time (the gRPC Backtests service): each validated, queued and run on a worker thread
 * of its own, so the node's event loop (gateway, actors) never waits for one. Runs write no files: the report is
 * kept in memory for `keep` runs.
 */
export class BacktestRuns {
  private readonly runs = new Map<string, Run>();
  private readonly queue: Run[] = [];
  private running = 0;
  private closed = false;
  private readonly concurrency: number;
  private readonly keep: number;

  constructor(private readonly o: BacktestRunsOptions) {
    this.concurrency = o.concurrency ?? 1;
    this.keep = o.keep ?? 100;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1))
      throw new RangeError(`backtest concurrency ${this.concurrency} must be a whole number of at least 1`);
    if (!(Number.isInteger(this.keep) && this.keep >= 1))
      throw new RangeError(`backtest keep ${this.keep} must be a whole number of at least 1`);
  }

  /** Validates the configuration (the refusal names the field) and queues the run. */
  submit(input: unknown, submittedBy: string): { ok: true; status: BacktestRunStatus } | { ok: false; error: string } {
    if (this.closed) return { ok: false, error: "the node is stopping: no new backtests" };
    let config: RunConfig;
    try {
      config = parseRunConfig(input);
    } catch (e) {
      if (e instanceof RunConfigError) return { ok: false, error: e.message };
      throw e;
    }
    const files: [string, string][] = [];
    if (config.data.kind === "csv" || config.data.kind === "parquet")
      for (const [i, f] of config.data.files.entries()) files.push([`data.files.${i}`, f]);
    if (typeof config.corporateActions === "string") files.push(["corporateActions", config.corporateActions]);
    for (const [field, f] of files) {
      const inside = relative(this.o.baseDir, isAbsolute(f) ? f : join(this.o.baseDir, f));
      if (inside.startsWith("..") || isAbsolute(inside))
        return { ok: false, error: `run config ${field}: ${f} is outside the backtest folder ${this.o.baseDir}` };
    }
    // nothing is written on the node: the report stays in memory
    const { outDir: _files, ...report } = config.report;
    const run: Run = {
      config: { ...config, report: { ...report, journalFile: false } },
      status: {
        id: randomUUID(),
        name: config.name,
        state: "queued",
        startUs: config.start,
        endUs: config.end,
        simulatedUs: config.start,
        records: 0,
        submittedBy,
        submittedAtUs: Date.now() * 1000,
      },
      watchers: new Set(),
    };
    this.runs.set(run.status.id, run);
    this.queue.push(run);
    this.forgetOldest();
    this.startQueued();
    return { ok: true, status: { ...run.status } };
  }

  status(id: string): BacktestRunStatus | undefined {
    const r = this.runs.get(id);
    return r && { ...r.status };
  }

  /** newest first */
  list(): BacktestRunStatus[] {
    return [...this.runs.values()].reverse().map((r) => ({ ...r.status }));
  }

  report(id: string): BacktestResult | undefined {
    return this.runs.get(id)?.result;
  }

  /** Calls back with the status now and at each change until the run ends; returns the function that stops it. */
  watch(id: string, onStatus: (s: BacktestRunStatus) => void): () => void {
    const r = this.runs.get(id);
    if (!r) return () => {};
    onStatus({ ...r.status });
    if (r.status.state === "done" || r.status.state === "failed") return () => {};
    r.watchers.add(onStatus);
    return () => r.watchers.delete(onStatus);
  }

  /** Ends the running backtests and fails the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.queue.splice(0)) this.end(r, "failed", "the node stopped before it ran");
    await Promise.all([...this.runs.values()].map((r) => r.worker?.terminate()));
  }

  private startQueued(): void {
    while (this.running < this.concurrency && this.queue.length) this.start(this.queue.shift()!);
  }

  private start(run: Run): void {
    this.running++;
    const worker = typescriptWorker(new URL("./run-worker.ts", import.meta.url), {
      workerData: { config: run.config, baseDir: this.o.baseDir },
    });
    run.worker = worker;
    this.change(run, { state: "running" });
    worker.on("message", (m: WorkerMessage) => {
      if ("progress" in m) this.change(run, { simulatedUs: m.progress.simulatedUs, records: m.progress.records });
      else if ("result" in m) {
        run.result = m.result;
        const url = this.o.questdbUrl;
        if (url)
          storeBacktestReport(url, run.status.id, m.result, Date.now() * 1000).catch((e: unknown) =>
            this.o.onStoreFailed?.(run.status.id, e as Error),
          );
        this.end(run, "done");
      } else this.end(run, "failed", m.error);
      if (!("progress" in m)) void worker.terminate();
    });
    worker.on("error", (e) => this.end(run, "failed", e.message));
    worker.on("exit", (code) => {
      run.worker = undefined;
      this.running--;
      if (run.status.state === "running")
        this.end(run, "failed", this.closed ? "the node stopped while it ran" : `its worker exited with ${code}`);
      if (!this.closed) this.startQueued();
    });
  }

  private end(run: Run, state: "done" | "failed", error?: string): void {
    if (run.status.state === "done" || run.status.state === "failed") return;
    const r = run.result;
    this.change(run, {
      state,
      ...(r ? { simulatedUs: r.endUs, records: r.records } : {}),
      ...(error !== undefined ? { error } : {}),
    });
    run.watchers.clear();
  }

  private change(run: Run, to: Partial<BacktestRunStatus>): void {
    Object.assign(run.status, to);
    for (const w of run.watchers) w({ ...run.status });
  }

  /** Past `keep` runs, the oldest finished ones are dropped with their reports. */
  private forgetOldest(): void {
    let excess = this.runs.size - this.keep;
    for (const [id, r] of this.runs) {
      if (excess <= 0) break;
      if (r.status.state === "done" || r.status.state === "failed") {
        this.runs.delete(id);
        excess--;
      }
    }
  }
}
