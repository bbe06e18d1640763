import { Worker } from "node:worker_threads";
import { errorMessage } from "../../actors/contract/index.ts";
import type { ScopeMetrics } from "@opentelemetry/sdk-metrics";
import { addThreadFigures, type Logger, type LogLevel, type TelemetrySettings } from "../../infra/telemetry/index.ts";

export interface RecorderThreadOptions {
  natsUrl: string;
  questdbUrl: string;
  node: string;
  logLevel: LogLevel;
  /** V8 old-generation budget of the thread (AM_CELL_HEAP_MB) */
  heapMb: number;
  /**
   * V8 young generation of the thread, MB (AM_CELL_YOUNG_MB). A batch (up to 5 000 messages, their rows and the ILP
   * text) lives for the linger and the flush: with V8's default (16 MB semi-spaces) most of it was copied by two
   * scavenges and promoted before it died, a third of the thread's CPU at 25 000 ticks/s.
   */
  youngMb: number;
  /** a closed order's journal leaves AM_EVT this long after it closed (AM_ARCHIVE_CLOSED_ORDERS_AFTER_MS); 0 = never */
  archiveClosedOrdersAfterMs: number;
  telemetry: TelemetrySettings;
  /** told when the thread ended by itself and is started again */
  log: Logger;
}

export interface RecorderThread {
  stop(): Promise<void>;
}

/** How long the node waits before it starts an ended recorder thread again. */
const restartDelayMs = 1_000;
/** A scrape waits this long for the recorder's figures before leaving them out. */
const figuresTimeoutMs = 2_000;

interface Running {
  worker: Worker;
  exited: Promise<{ code: number; error?: unknown }>;
}

/** The recorder thread's figures, asked for at each scrape of the node's endpoint, while the thread runs. */
function serveFigures(worker: Worker, exited: Promise<unknown>): void {
  const waiting = new Map<number, (figures: ScopeMetrics[]) => void>();
  let rid = 0;
  worker.on("message", (m: { t: string; rid?: number; figures?: ScopeMetrics[] }) => {
    if (m.t !== "metrics" || m.rid === undefined) return;
    waiting.get(m.rid)?.(m.figures ?? []);
    waiting.delete(m.rid);
  });
  const remove = addThreadFigures(
    () =>
      new Promise((resolve, reject) => {
        const id = ++rid;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`recorder thread did not give its figures within ${figuresTimeoutMs} ms`));
        }, figuresTimeoutMs);
        waiting.set(id, (figures) => {
          clearTimeout(timer);
          resolve(figures);
        });
        worker.postMessage({ t: "metrics", rid: id });
      }),
  );
  void exited.then(remove);
}

async function spawn(o: RecorderThreadOptions): Promise<Running> {
  const { log: _log, heapMb, youngMb, ...data } = o;
  const worker = new Worker(new URL("../cells/boot.mjs", import.meta.url), {
    workerData: { entry: new URL("./recorder-worker.ts", import.meta.url).href, ...data },
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: youngMb },
  });
  let error: unknown;
  worker.on("error", (e) => {
    error = e;
  });
  const exited = new Promise<{ code: number; error?: unknown }>((resolve) => worker.once("exit", (code) => resolve({ code, error })));
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: { t: string; error?: string }) => {
      if (m.t === "ready") resolve();
      else if (m.t === "failed") reject(new Error(`recorder did not start: ${m.error}`));
    });
    serveFigures(worker, exited);
    void exited.then(({ code, error }) =>
      reject(new Error(`recorder thread exited with code ${code} while starting${error ? `: ${errorMessage(error)}` : ""}`)),
    );
  });
  return { worker, exited };
}

/**
 * The recorder (infra/questdb Recorder) on its own worker thread and NATS connection. At market data rates it
 * decodes and writes every message; on the node's main thread that work delayed the placement's lease renewals
 * and the admin API, so it runs beside them instead. Resolves once its consumers are declared and pulling. A
 * thread that ends by itself (e.g. over its heap budget) is started again: its durable consumers resume where the
 * last acknowledged batch left off, so nothing is lost.
 */
export async function startRecorderThread(o: RecorderThreadOptions): Promise<RecorderThread> {
  let current = await spawn(o);
  let stopping = false;
  const watch = async (r: Running): Promise<void> => {
    const { code, error } = await r.exited;
    if (stopping) return;
    o.log.error("recorder thread ended; starting it again", {
      code,
      ...(error ? { reason: errorMessage(error) } : {}),
      heapBudgetMb: o.heapMb,
    });
    while (!stopping) {
      await new Promise((resolve) => setTimeout(resolve, restartDelayMs));
      if (stopping) return;
      try {
        const next = await spawn(o);
        if (stopping) return void next.worker.terminate();
        current = next;
        return void watch(next);
      } catch (e) {
        o.log.error("recorder thread did not start again; trying again", { error: errorMessage(e) });
      }
    }
  };
  void watch(current);
  return {
    async stop() {
      stopping = true;
      const { worker, exited } = current;
      worker.postMessage({ t: "stop" });
      const timeout = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
