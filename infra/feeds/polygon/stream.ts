/**
 * Polygon.io real-time stocks over WebSocket. Protocol: the server greets with status "connected", we send
 * {"action":"auth","params":KEY}, it answers auth_success or auth_failed, we subscribe ("T.AAPL,Q.AAPL,AM.AAPL"),
 * and events arrive as JSON arrays. Polygon does not replay what a dropped connection missed, so after a
 * reconnect the connector holds live events back, fetches the gap window over REST (from the last record seen
 * per channel and ticker), delivers it, then releases the held events; sequence numbers drop the overlap.
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
import type { RawFeedRecord, RawFeedSink } from "../record.ts";
import { SocketLink } from "../socket-link.ts";
import { barFromStream, quoteFromStream, tradeFromStream } from "./convert.ts";
import { PolygonRest } from "./rest.ts";

export interface PolygonStreamOptions {
  apiKey: string;
  /** Polygon subscription params: "T.AAPL", "Q.AAPL", "AM.AAPL", "A.AAPL" */
  subscriptions: string[];
  onRecord: RawFeedSink;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** default wss://socket.polygon.io/stocks */
  wsUrl?: string;
  /** default https://api.polygon.io */
  restUrl?: string;
  /** the venue of the instrument ids (Polygon's stream is the consolidated tape); default "POLYGON" */
  venue?: string;
  /** fetch what a dropped connection missed over REST; default true */
  backfill?: boolean;
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  random?: () => number;
  clock?: Clock;
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * Where an earlier session stopped, per "T.AAPL" key: the first live session backfills from there over REST and
   * drops what it already delivered (a new connector instance resuming an old one's stream).
   */
  resume?: Readonly<Record<string, Watermark>>;
  /** the socket went away (before the link schedules its own reconnect); a supervisor may stop() here instead */
  onDown?: (detail: string) => void;
}

type Channel = "T" | "Q" | "AM" | "A";
const CHANNELS = new Set<string>(["T", "Q", "AM", "A"]);

export interface Watermark {
  seq: number;
  /** ms of the last record, the start of the next backfill window */
  tsMs: number;
}

export class PolygonStream {
  private readonly link: SocketLink;
  private readonly rest: PolygonRest;
  private readonly venue: string;
  private readonly clock: Clock;
  private readonly counters: FeedStats = emptyStats();
  private readonly marks = new Map<string, Watermark>();
  private readonly subs: Array<{ channel: Channel; ticker: string }>;
  private held: Record<string, unknown>[] | undefined;
  private liveSinceMs = 0;
  private started: { resolve: () => void; reject: (e: FeedError) => void } | undefined;
  private readonly abort = new AbortController();
  private breakerState: FeedBreakerState = "closed";

  constructor(private readonly opts: PolygonStreamOptions) {
    if (!opts.apiKey) throw new FeedError(FeedErrorReason.AuthFailed, "Polygon: apiKey is empty (set it in the feed configuration)");
    this.venue = opts.venue ?? "POLYGON";
    this.clock = opts.clock ?? systemClock;
    this.subs = opts.subscriptions.map((s) => {
      const dot = s.indexOf(".");
      const channel = s.slice(0, dot);
      if (dot <= 0 || !CHANNELS.has(channel))
        throw new FeedError(FeedErrorReason.VendorError, `Polygon subscription ${JSON.stringify(s)}: channel must be T, Q, AM or A`);
      return { channel: channel as Channel, ticker: s.slice(dot + 1) };
    });
    for (const [key, mark] of Object.entries(opts.resume ?? {})) this.marks.set(key, { ...mark });
    // a resumed stream backfills on its first login, from the oldest watermark for keys without one
    if (this.marks.size > 0) this.liveSinceMs = Math.min(...[...this.marks.values()].map((m) => m.tsMs));
    const random = opts.random ?? Math.random;
    const nowMs = (): number => Math.floor(this.clock.nowUs() / 1000);
    this.rest = new PolygonRest({
      apiKey: opts.apiKey,
      venue: this.venue,
      backoff: opts.backoff ?? defaultBackoff,
      maxRetries: opts.maxRetries ?? 5,
      random,
      nowMs,
      signal: this.abort.signal,
      onIssue: (i) => this.issue(i),
      ...(opts.restUrl ? { baseUrl: opts.restUrl } : {}),
      ...(opts.breaker ? { breaker: opts.breaker } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const breaker = new CircuitBreaker(opts.breaker ?? defaultBreaker, nowMs, (s) => {
      this.breakerState = s;
      opts.logger?.warn("polygon circuit breaker", { state: s });
    });
    this.link = new SocketLink({
      url: opts.wsUrl ?? "wss://socket.polygon.io/stocks",
      redactor: this.rest.redactor,
      backoff: opts.backoff ?? defaultBackoff,
      breaker,
      random,
      idleTimeoutMs: opts.idleTimeoutMs ?? 0,
      onOpen: (isReconnect) => {
        if (isReconnect) this.counters.reconnects += 1;
      },
      onMessage: (text) => this.onMessage(text),
      onDown: (detail) => {
        this.opts.logger?.warn("polygon stream down", { detail });
        this.opts.onDown?.(detail);
      },
      onClosed: (error) => {
        if (error) this.started?.reject(error);
        else this.started?.reject(new FeedError(FeedErrorReason.Network, "Polygon stream stopped before it was live"));
        this.started = undefined;
      },
      onIssue: (i) => this.issue(i),
    });
  }

  /** Resolves once authenticated and subscribed; rejects with FeedError AUTH_FAILED when the key is refused. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      this.link.start();
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.link.stop();
  }

  stats(): FeedStats & { breaker: FeedBreakerState } {
    const rest = this.rest.stats();
    return {
      ...this.counters,
      malformed: this.counters.malformed + rest.malformed,
      rateLimited: rest.rateLimited,
      breaker: this.breakerState,
    };
  }

  /** The last record delivered per "T.AAPL" key: what a successor instance takes as `resume`. */
  watermarks(): Record<string, Watermark> {
    return Object.fromEntries([...this.marks].map(([k, m]) => [k, { ...m }]));
  }

  private onMessage(text: string): void {
    let batch: unknown;
    try {
      batch = JSON.parse(text);
    } catch {
      this.malformed(`message is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    if (!Array.isArray(batch)) {
      this.malformed(`message is not a JSON array: ${text.slice(0, 80)}`);
      return;
    }
    for (const m of batch) {
      if (typeof m !== "object" || m === null) {
        this.malformed(`array element is not an object: ${JSON.stringify(m)}`);
        continue;
      }
      const msg = m as Record<string, unknown>;
      if (msg.ev === "status") this.onStatus(msg);
      else if (typeof msg.ev === "string" && CHANNELS.has(msg.ev)) {
        if (this.held) this.held.push(msg);
        else this.deliverLive(msg);
      } else this.malformed(`unknown event ${JSON.stringify(msg.ev)}`);
    }
  }

  private onStatus(msg: Record<string, unknown>): void {
    const status = msg.status;
    const text = this.rest.redactor.text(String(msg.message ?? ""));
    if (status === "connected") {
      this.link.send({ action: "auth", params: this.opts.apiKey });
    } else if (status === "auth_success") {
      this.link.send({ action: "subscribe", params: this.opts.subscriptions.join(",") });
      this.link.markReady();
      const nowMs = Math.floor(this.clock.nowUs() / 1000);
      if (this.liveSinceMs === 0) {
        this.liveSinceMs = nowMs;
      } else if (this.opts.backfill !== false) {
        this.held = [];
        void this.backfill(nowMs);
      }
      this.started?.resolve();
      this.started = undefined;
    } else if (status === "auth_failed") {
      this.link.fail(new FeedError(FeedErrorReason.AuthFailed, `Polygon refused the API key: ${text || "auth_failed"}`));
    } else if (status === "error" || status === "max_connections") {
      this.issue({ reason: FeedErrorReason.VendorError, detail: `Polygon status ${String(status)}: ${text}` });
    }
  }

  /** The gap window per subscription, from the last record seen (or the first connect) to now, over REST. */
  private async backfill(untilMs: number): Promise<void> {
    for (const { channel, ticker } of this.subs) {
      if (ticker === "*" || this.abort.signal.aborted) continue;
      const fromMs = this.marks.get(`${channel}.${ticker}`)?.tsMs ?? this.liveSinceMs;
      try {
        const rows: RawFeedRecord[] =
          channel === "T"
            ? await this.rest.trades(ticker, fromMs, untilMs)
            : channel === "Q"
              ? await this.rest.quotes(ticker, fromMs, untilMs)
              : await this.rest.aggregates(ticker, 1, channel === "A" ? "second" : "minute", fromMs, untilMs);
        for (const r of rows) if (this.deliver(channel, ticker, r)) this.counters.backfilled += 1;
      } catch (e) {
        const detail = e instanceof FeedError ? e.message : this.rest.redactor.error(e);
        this.issue({
          reason: FeedErrorReason.Gap,
          detail: `Polygon backfill of ${channel}.${ticker} from ${fromMs} failed, records may be missing: ${detail}`,
        });
      }
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.deliverLive(m);
  }

  private deliverLive(msg: Record<string, unknown>): void {
    let record: RawFeedRecord;
    try {
      record =
        msg.ev === "T"
          ? tradeFromStream(msg, this.venue)
          : msg.ev === "Q"
            ? quoteFromStream(msg, this.venue)
            : barFromStream(msg, this.venue);
    } catch (e) {
      this.malformed(this.rest.redactor.error(e));
      return;
    }
    this.deliver(msg.ev as Channel, msg.sym as string, record);
  }

  /** Delivers unless the sequence was already seen for this channel and ticker; true when delivered. */
  private deliver(channel: Channel, ticker: string, record: RawFeedRecord): boolean {
    const key = `${channel}.${ticker}`;
    const mark = this.marks.get(key);
    if (mark && record.seq <= mark.seq) {
      this.counters.duplicatesDropped += 1;
      return false;
    }
    this.marks.set(key, { seq: record.seq, tsMs: Math.floor((record.kind === "bar" ? record.tsOpen : record.tsEvent) / 1000) });
    this.counters.delivered += 1;
    this.opts.onRecord(record);
    return true;
  }

  private malformed(detail: string): void {
    this.counters.malformed += 1;
    this.issue({ reason: FeedErrorReason.Malformed, detail: `Polygon: ${this.rest.redactor.text(detail)}` });
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("polygon feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}
