import { Worker } from "node:worker_threads";
import type { ChildHandle, ExitReason } from "../supervision/index.ts";
import { type CellData, type CellMessage, type CellRequest, HEARTBEAT_MS } from "./protocol.ts";
import type { Config } from "../../infra/config/index.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";
import { addThreadFigures } from "../../infra/telemetry/prometheus-endpoint.ts";
import type { ScopeMetrics } from "@opentelemetry/sdk-metrics";

/** A scrape waits this long for a cell's figures: a hung cell leaves them out rather than stalling the scrape. */
const FIGURES_TIMEOUT_MS = 2_000;

/** A cell ended because of what one actor's handler did: `culprit` is the actor that was running (kind/id). */
export abstract class CellEndedByActorError extends Error {
  /** what the cell did, for the quarantine reason: "hung", "went over its heap budget" */
  abstract readonly what: string;
  /** the budget it broke, e.g. "watchdog budget 1000 ms" */
  abstract readonly budget: string;
  constructor(
    readonly cell: number,
    readonly culprit: string | undefined,
    message: string,
  ) {
    super(`${message}${culprit ? ` in ${culprit}` : ""}`);
  }
}

export class HungCellError extends CellEndedByActorError {
  override name = "HungCellError";
  readonly what = "hung";
  readonly budget: string;
  constructor(
    cell: number,
    culprit: string | undefined,
    readonly silentMs: number,
    budgetMs: number,
  ) {
    super(cell, culprit, `cell ${cell} hung for ${Math.round(silentMs)} ms`);
    this.budget = `watchdog budget ${budgetMs} ms`;
  }
}

/** V8 ended the cell's thread when its heap went over the budget (AM_CELL_HEAP_MB). */
export class CellOutOfMemoryError extends CellEndedByActorError {
  override name = "CellOutOfMemoryError";
  readonly what = "went over its heap budget";
  readonly budget: string;
  constructor(cell: number, culprit: string | undefined, budgetMb: number) {
    super(cell, culprit, `cell ${cell} went over its heap budget of ${budgetMb} MB (AM_CELL_HEAP_MB)`);
    this.budget = `heap budget ${budgetMb} MB`;
  }
}

export interface CellOptions {
  cell: number;
  node: string;
  natsUrl: string;
  kindsModule: string;
  /** the node's settings, handed to the kinds module's createKinds in the cell */
  config: Config;
  /** the watchdog ends a cell whose heartbeat is older than this */
  hangBudgetMs: number;
  logLevel: CellData["logLevel"];
  onLifecycle: (e: LifecycleEvent) => void;
}

/** A cell did not answer a request in time; it may still do it (see Cell.request's `late`). */
export class CellRequestTimeout extends Error {
  override name = "CellRequestTimeout";
}

const outOfMemory = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";

/** The node's handle on one worker-thread cell: requests, lifecycle reports, and the watchdog. */
export class Cell implements ChildHandle {
  private worker: Worker | undefined;
  private readonly shared = new SharedArrayBuffer(24);
  private readonly beat = new Float64Array(this.shared, 0, 1);
  private readonly busy = new Int32Array(this.shared, 8, 1);
  /** the node's lease fence (see Placement): open until the node's placement says otherwise */
  private readonly actUntil = new Float64Array(this.shared, 16, 1).fill(Number.POSITIVE_INFINITY);
  private readonly slots = new Map<number, string>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** requests that timed out whose asker wants to hear if the cell did them after all */
  private readonly late = new Map<number, (ok: boolean) => void>();
  private rid = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastCheckAt = 0;
  /** the heartbeat seen at the last check, and how late the checks have come since it last moved */
  private lastBeat = 0;
  private starvedMs = 0;
  private exitListeners: ((r: ExitReason) => void)[] = [];
  private exitReason: ExitReason | undefined;
  private stopping = false;
  private removeFigures: (() => void) | undefined;

  constructor(private readonly o: CellOptions) {}

  get index(): number {
    return this.o.cell;
  }

  async start(): Promise<void> {
    const data: CellData = {
      entry: new URL("./cell-worker.ts", import.meta.url).href,
      cell: this.o.cell,
      node: this.o.node,
      natsUrl: this.o.natsUrl,
      kindsModule: this.o.kindsModule,
      config: this.o.config,
      shared: this.shared,
      logLevel: this.o.logLevel,
    };
    this.beat[0] = performance.timeOrigin + performance.now();
    // A heap budget per cell: a cell over it ends alone (its actors restart, the node lives on); and under 1 GB V8
    // grows a heap by a smaller factor of what it keeps, so a cell's memory settles near its live set. A young
    // generation 4x V8's default (48 MB): a round's messages, decisions and encodings die there rather than being
    // copied and promoted, 10-20 % less node CPU per tick at 25 000 ticks/s in `ticks`.
    const w = new Worker(new URL("./boot.mjs", import.meta.url), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.o.config.cellHeapMb, maxYoungGenerationSizeMb: this.o.config.cellYoungMb },
    });
    this.worker = w;
    const ready = new Promise<void>((resolve, reject) => {
      w.once("error", reject);
      w.on("message", (m: CellMessage) => {
        if (m.t === "ready") resolve();
        else this.onMessage(m);
      });
      w.once("exit", (code) => reject(new Error(`cell ${this.o.cell} exited with code ${code} while starting`)));
    });
    await ready;
    w.on("error", (e) =>
      this.end({ error: outOfMemory(e) ? new CellOutOfMemoryError(this.o.cell, this.running(), this.o.config.cellHeapMb) : e }),
    );
    w.on("exit", (code) => this.end(this.stopping ? "shutdown" : { error: new Error(`cell ${this.o.cell} exited with code ${code}`) }));
    const everyMs = Math.max(HEARTBEAT_MS, this.o.hangBudgetMs / 4);
    this.lastCheckAt = performance.now();
    this.watchdog = setInterval(() => this.check(everyMs), everyMs);
    this.watchdog.unref();
    this.removeFigures = addThreadFigures(() => this.request<ScopeMetrics[]>({ op: "metrics" }, FIGURES_TIMEOUT_MS));
  }

  /**
   * A cell is hung when its heartbeat is older than the budget, less the time this thread's own checks came late:
   * on a starved machine (more runnable threads than cores) every thread waits for a core, and a cell that waited
   * is not a cell that hung. On a machine with cores to spare the checks are on time and nothing is discounted.
   */
  private check(everyMs: number): void {
    const now = performance.now();
    const late = Math.max(0, now - this.lastCheckAt - everyMs);
    this.lastCheckAt = now;
    const beat = this.beat[0]!;
    // at most one budget: a starved cell gets twice the budget, a hung one is still ended in bounded time
    this.starvedMs = beat === this.lastBeat ? Math.min(this.o.hangBudgetMs, this.starvedMs + late) : 0;
    this.lastBeat = beat;
    const silent = performance.timeOrigin + now - beat;
    if (silent - this.starvedMs <= this.o.hangBudgetMs || !this.worker) return;
    const w = this.worker;
    this.end({ error: new HungCellError(this.o.cell, this.running(), silent, this.o.hangBudgetMs) });
    void w.terminate();
  }

  /** The cell's actors act until this moment (ms since the epoch) and hold their mail after it. */
  fence(actUntilMs: number): void {
    this.actUntil[0] = actUntilMs;
  }

  /** The actor whose handler the cell is in (its busy slot), if any. */
  private running(): string | undefined {
    const slot = Atomics.load(this.busy, 0);
    return slot ? this.slots.get(slot) : undefined;
  }

  private onMessage(m: CellMessage): void {
    if (m.t === "reply") {
      const p = this.pending.get(m.rid);
      this.pending.delete(m.rid);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
      const late = this.late.get(m.rid);
      this.late.delete(m.rid);
      late?.(m.ok);
    } else if (m.t === "lifecycle") this.o.onLifecycle(m.event);
    else if (m.t === "slot") this.slots.set(m.slot, m.key);
  }

  /**
   * Asks the cell; rejects after `timeoutMs` without an answer. The cell may still do it later: `late` hears whether
   * it did, when its answer comes after the timeout (a spawn given up on may have started the actor all the same).
   */
  request<T = unknown>(req: CellRequest, timeoutMs = 10_000, late?: (ok: boolean) => void): Promise<T> {
    const w = this.worker;
    if (!w || this.exitReason) return Promise.reject(new Error(`cell ${this.o.cell} is not running`));
    const rid = ++this.rid;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        if (late) this.late.set(rid, late);
        reject(new CellRequestTimeout(`cell ${this.o.cell} did not answer ${req.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      w.postMessage({ rid, req });
    });
  }

  private end(reason: ExitReason): void {
    if (this.exitReason) return;
    this.exitReason = reason;
    this.removeFigures?.();
    if (this.watchdog) clearInterval(this.watchdog);
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error(`cell ${this.o.cell} ended`));
    this.pending.clear();
    this.late.clear(); // what the cell did ended with it
    for (const l of this.exitListeners) l(reason);
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.stopping = true;
    const exited = new Promise<void>((r) => w.once("exit", () => r()));
    await this.request({ op: "shutdown" }, 15_000).catch(() => w.terminate());
    await exited;
  }

  kill(): void {
    this.stopping = true;
    void this.worker?.terminate();
  }

  onExit(listener: (r: ExitReason) => void): void {
    if (this.exitReason) listener(this.exitReason);
    else this.exitListeners.push(listener);
  }
}
