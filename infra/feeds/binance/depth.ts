/**
 * Binance spot L2 depth: the `<symbol>@depth@100ms` diff streams (combined into one socket) plus REST
 * /api/v3/depth snapshots, kept in sequence by DepthSync. After a dropped connection or a sequence break the book
 * is rebuilt from a new snapshot, delivered as a `snapshot` record that replaces the old book: consumers never see
 * a gap or a delta twice.
 */
import { type Clock, systemClock } from "../../../actors/contract/index.ts";
import type { Logger } from "../../telemetry/index.ts";
import {
  type FeedBackoffPolicy,
  type BreakerPolicy,
  type FeedBreakerState,
  CircuitBreaker,
  defaultBackoff,
  defaultBreaker,
} from "../backoff.ts";
import { emptyStats, FeedError, FeedErrorReason, type FeedIssue, type FeedStats } from "../feed-error.ts";
import type { RawFeedSink } from "../record.ts";
import { Redactor } from "../redact.ts";
import { type BodyVerdict, RestClient } from "../rest.ts";
import { SocketLink } from "../socket-link.ts";
import { DepthSync, parseDepthEvent, parseDepthSnapshot, type SyncStep } from "./depth-sync.ts";

export const SOURCE = "binance";

export interface BinanceDepthOptions {
  /** Binance symbols, e.g. "BTCUSDT" */
  symbols: string[];
  onRecord: RawFeedSink;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** default wss://stream.binance.com:9443 */
  wsUrl?: string;
  /** default https://api.binance.com */
  restUrl?: string;
  venue?: string;
  /** snapshot depth: 5, 10, 20, 50, 100, 500, 1000 or 5000; default 1000 */
  snapshotLimit?: number;
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  random?: () => number;
  clock?: Clock;
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  /** the socket went away (before the link schedules its own reconnect); a supervisor may stop() here instead */
  onDown?: (detail: string) => void;
}

/** Binance error bodies are {"code": -1121, "msg": "Invalid symbol."}. */
function classify(redactor: Redactor) {
  return (body: unknown, status: number): BodyVerdict => {
    if (status < 400 || typeof body !== "object" || body === null) return { ok: true };
    const b = body as { code?: unknown; msg?: unknown };
    if (b.code === undefined) return { ok: true };
    const reason = status === 401 || status === 403 ? FeedErrorReason.AuthFailed : FeedErrorReason.VendorError;
    return {
      error: new FeedError(reason, `Binance error ${String(b.code)} (HTTP ${status}): ${redactor.text(String(b.msg ?? ""))}`, status),
    };
  };
}

export class BinanceDepth {
  private readonly link: SocketLink;
  private readonly rest: RestClient;
  private readonly redactor = new Redactor([]);
  private readonly syncs = new Map<string, DepthSync>();
  private readonly counters: FeedStats = emptyStats();
  private readonly clock: Clock;
  private readonly restBase: URL;
  private readonly abort = new AbortController();
  private readonly failed = new Set<string>();
  private breakerState: FeedBreakerState = "closed";
  private opened: (() => void) | undefined;

  constructor(private readonly opts: BinanceDepthOptions) {
    if (opts.symbols.length === 0) throw new FeedError(FeedErrorReason.VendorError, "Binance depth: symbols is empty");
    this.clock = opts.clock ?? systemClock;
    const venue = opts.venue ?? "BINANCE";
    for (const s of opts.symbols) this.syncs.set(s.toUpperCase(), new DepthSync(`${s.toUpperCase()}.${venue}`, SOURCE));
    this.restBase = new URL(opts.restUrl ?? "https://api.binance.com");
    const random = opts.random ?? Math.random;
    const nowMs = (): number => Math.floor(this.clock.nowUs() / 1000);
    this.rest = new RestClient({
      redactor: this.redactor,
      backoff: opts.backoff ?? defaultBackoff,
      maxRetries: opts.maxRetries ?? 5,
      random,
      classify: classify(this.redactor),
      signal: this.abort.signal,
      onIssue: (i) => this.issue(i),
      onRateLimited: () => {
        this.counters.rateLimited += 1;
      },
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const streams = opts.symbols.map((s) => `${s.toLowerCase()}@depth@100ms`).join("/");
    const wsBase = (opts.wsUrl ?? "wss://stream.binance.com:9443").replace(/\/$/, "");
    this.link = new SocketLink({
      url: `${wsBase}/stream?streams=${streams}`,
      redactor: this.redactor,
      backoff: opts.backoff ?? defaultBackoff,
      breaker: new CircuitBreaker(opts.breaker ?? defaultBreaker, nowMs, (s) => {
        this.breakerState = s;
        opts.logger?.warn("binance circuit breaker", { state: s });
      }),
      random,
      idleTimeoutMs: opts.idleTimeoutMs ?? 0,
      onOpen: (isReconnect) => {
        // a new connection has no history: every book is rebuilt from a new snapshot
        for (const sync of this.syncs.values()) sync.reset();
        if (isReconnect) this.counters.reconnects += 1;
        this.link.markReady();
        this.opened?.();
        this.opened = undefined;
      },
      onMessage: (text) => this.onMessage(text),
      onDown: (detail) => {
        opts.logger?.warn("binance depth stream down", { detail });
        opts.onDown?.(detail);
      },
      onIssue: (i) => this.issue(i),
    });
  }

  /** Resolves when the stream socket is open; books follow as snapshots arrive. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.opened = resolve;
      this.link.start();
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.link.stop();
  }

  stats(): FeedStats & { breaker: FeedBreakerState } {
    return { ...this.counters, breaker: this.breakerState };
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.malformed(`message is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    const wrapped = msg as { stream?: unknown; data?: unknown };
    const data = (typeof wrapped === "object" && wrapped !== null && "data" in wrapped ? wrapped.data : msg) as Record<
      string,
      unknown
    > | null;
    if (typeof data !== "object" || data === null) {
      this.malformed(`message is not an object: ${text.slice(0, 80)}`);
      return;
    }
    const symbol = typeof data.s === "string" ? data.s.toUpperCase() : "";
    const sync = this.syncs.get(symbol);
    if (!sync) {
      this.malformed(`depth event for unknown symbol ${JSON.stringify(data.s)}`);
      return;
    }
    if (this.failed.has(symbol)) return;
    let step: SyncStep;
    try {
      step = sync.onEvent(parseDepthEvent(data));
    } catch (e) {
      this.malformed(`${symbol}: ${this.redactor.error(e)}`);
      return;
    }
    this.act(symbol, sync, step);
  }

  private act(symbol: string, sync: DepthSync, step: SyncStep): void {
    if (step.kind === "deliver") {
      for (const r of step.records) {
        this.counters.delivered += 1;
        this.opts.onRecord(r);
      }
    } else if (step.kind === "snapshot") {
      void this.snapshot(symbol, sync);
    } else if (step.kind === "resync") {
      this.counters.resyncs += 1;
      this.issue({ reason: FeedErrorReason.Gap, detail: `Binance ${symbol}: ${step.reason}; resyncing from a snapshot` });
      if (sync.wantsSnapshot) void this.snapshot(symbol, sync);
    }
  }

  private async snapshot(symbol: string, sync: DepthSync): Promise<void> {
    const url = new URL("/api/v3/depth", this.restBase);
    url.searchParams.set("symbol", symbol);
    url.searchParams.set("limit", String(this.opts.snapshotLimit ?? 1000));
    let step: SyncStep;
    try {
      const body = await this.rest.getJson(url);
      step = sync.onSnapshot(parseDepthSnapshot(body), this.clock.nowUs());
    } catch (e) {
      if (this.abort.signal.aborted) return;
      const err =
        e instanceof FeedError ? e : new FeedError(FeedErrorReason.Malformed, `Binance ${symbol} snapshot: ${this.redactor.error(e)}`);
      if (err.reason === FeedErrorReason.Malformed) this.counters.malformed += 1;
      if (err.reason === FeedErrorReason.VendorError || err.reason === FeedErrorReason.AuthFailed) {
        // Binance said no (bad symbol): retrying will not help, so this symbol stops until restart
        this.failed.add(symbol);
        this.issue({ reason: err.reason, detail: `${err.message}; ${symbol} stopped` });
        return;
      }
      this.issue({ reason: err.reason, detail: err.message });
      sync.reset();
      this.link.recycle(`Binance ${symbol}: no snapshot (${err.reason}); reconnecting to start over`);
      return;
    }
    this.act(symbol, sync, step);
  }

  private malformed(detail: string): void {
    this.counters.malformed += 1;
    this.issue({ reason: FeedErrorReason.Malformed, detail: `Binance: ${this.redactor.text(detail)}` });
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("binance feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}
