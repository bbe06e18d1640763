/**
 * One vendor session behind a uniform face, for a supervisor that owns reconnects itself (the vendor-feed actor):
 * each connector runs with its own breaker out of the way, and a drop is reported (onDown) instead of retried, so
 * the supervisor decides when to try again. A new session resumes after the watermarks of the one before it.
 */
import { sleep, type BreakerPolicy } from "./backoff.ts";
import { AlphaVantageBars } from "./alpha-vantage/bars.ts";
import type { SeriesSpec } from "./alpha-vantage/series.ts";
import { BinanceDepth } from "./binance/depth.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "./feed-error.ts";
import { EdgarFilings } from "./edgar/edgar.ts";
import { FileDrop } from "./file-drop/file-drop.ts";
import type { FileDropSchema } from "./file-drop/schema.ts";
import { PolygonNews } from "./news/polygon-news.ts";
import { PolygonStream, type Watermark } from "./polygon/stream.ts";
import type { AltDataSink, RawFeedSink } from "./record.ts";
import type { Logger } from "../telemetry/index.ts";

export type { Watermark } from "./polygon/stream.ts";
export const FeedId = {
  Polygon: "polygon",
  AlphaVantage: "alpha-vantage",
  Binance: "binance",
  Edgar: "edgar",
  News: "news",
  Files: "files",
} as const;
export type FeedId = (typeof FeedId)[keyof typeof FeedId];

export type VendorSpec =
  | { feed: "polygon"; apiKey: string; restUrl: string; wsUrl: string; tickers: string[]; channels: Array<"T" | "Q" | "AM"> }
  | { feed: "alpha-vantage"; apiKey: string; baseUrl: string; symbols: string[]; series: SeriesSpec; pollMs: number }
  | { feed: "binance"; restUrl: string; wsUrl: string; symbols: string[] }
  | {
      feed: "edgar";
      userAgent: string;
      dataUrl: string;
      wwwUrl: string;
      /** CIK → instruments */
      companies: ReadonlyMap<string, readonly string[]>;
      pollMs: number;
      requestsPerSecond: number;
    }
  | { feed: "news"; apiKey: string; baseUrl: string; tickers: ReadonlyMap<string, string>; pollMs: number }
  | {
      feed: "files";
      dir: string;
      source: string;
      schema: FileDropSchema;
      instruments: ReadonlyMap<string, string>;
      pollMs: number;
    };

export interface SessionHooks {
  onRecord: RawFeedSink;
  /** alternative data feeds (edgar, news, files) deliver here */
  onAltData?: AltDataSink;
  /** the live session ended (dropped, rate limited): reason is a FeedErrorReason, detail redacted */
  onDown: (reason: FeedErrorReason, detail: string) => void;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  random?: () => number;
}

export interface VendorSession {
  /** resolves once live; rejects with a FeedError (AUTH_FAILED, RATE_LIMITED, NETWORK...) */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** where delivery stands, per stream key: the next session's `resume` */
  watermarks(): Record<string, Watermark>;
  /** records dropped as already delivered */
  duplicates(): number;
}

/** The supervisor is the breaker: the connectors' own never opens. */
const noBreaker: BreakerPolicy = { failureThreshold: Number.MAX_SAFE_INTEGER, openMs: 1 };
/** REST retries inside one session (backfill, snapshots); the session itself is retried by the supervisor */
const restBackoff = { initialMs: 100, maxMs: 2_000, factor: 2 };

export function openSession(spec: VendorSpec, resume: Readonly<Record<string, Watermark>>, hooks: SessionHooks): VendorSession {
  switch (spec.feed) {
    case "polygon":
      return polygonSession(spec, resume, hooks);
    case "alpha-vantage":
      return new AlphaVantageSession(spec, resume, hooks);
    case "binance":
      return binanceSession(spec, hooks);
    case "edgar":
    case "news":
    case "files":
      return altDataSession(spec, resume, hooks);
  }
}

/**
 * The alternative data connectors poll on their own timers; a failed start rejects (the supervisor retries) and a
 * failed poll inside a live session is an issue that the next poll repairs from the watermarks.
 */
function altDataSession(
  spec: Extract<VendorSpec, { feed: "edgar" | "news" | "files" }>,
  resume: Readonly<Record<string, Watermark>>,
  hooks: SessionHooks,
): VendorSession {
  const sink: AltDataSink = hooks.onAltData ?? (() => {});
  const common = {
    ...(hooks.onIssue ? { onIssue: hooks.onIssue } : {}),
    ...(hooks.logger ? { logger: hooks.logger } : {}),
  };
  if (spec.feed === "files") {
    const drop = new FileDrop({
      dir: spec.dir,
      source: spec.source,
      schema: spec.schema,
      instruments: spec.instruments,
      pollMs: spec.pollMs,
      onObservation: (o) => sink({ kind: "series", ...o }),
      ...common,
    });
    // the folder is its own watermark: applied files have moved to done/
    return { start: () => drop.start(), stop: () => drop.stop(), watermarks: () => ({}), duplicates: () => 0 };
  }
  const rest = {
    breaker: noBreaker,
    backoff: restBackoff,
    maxRetries: 3,
    resume,
    ...(hooks.random ? { random: hooks.random } : {}),
    ...common,
  };
  const feed =
    spec.feed === "edgar"
      ? new EdgarFilings({
          userAgent: spec.userAgent,
          companies: spec.companies,
          dataUrl: spec.dataUrl,
          wwwUrl: spec.wwwUrl,
          pollMs: spec.pollMs,
          requestsPerSecond: spec.requestsPerSecond,
          onFiling: (f) => sink({ kind: "filing", ...f }),
          ...rest,
        })
      : new PolygonNews({
          apiKey: spec.apiKey,
          tickers: spec.tickers,
          baseUrl: spec.baseUrl,
          pollMs: spec.pollMs,
          onHeadline: (h) => sink({ kind: "news", ...h }),
          ...rest,
        });
  return { start: () => feed.start(), stop: () => feed.stop(), watermarks: () => feed.watermarks(), duplicates: () => feed.duplicates() };
}

function polygonSession(
  spec: Extract<VendorSpec, { feed: "polygon" }>,
  resume: Readonly<Record<string, Watermark>>,
  hooks: SessionHooks,
): VendorSession {
  const stream = new PolygonStream({
    apiKey: spec.apiKey,
    subscriptions: spec.tickers.flatMap((t) => spec.channels.map((c) => `${c}.${t}`)),
    onRecord: hooks.onRecord,
    onDown: (detail) => hooks.onDown(FeedErrorReason.Network, detail),
    wsUrl: spec.wsUrl,
    restUrl: spec.restUrl,
    resume,
    breaker: noBreaker,
    backoff: restBackoff,
    maxRetries: 3,
    ...(hooks.onIssue ? { onIssue: hooks.onIssue } : {}),
    ...(hooks.logger ? { logger: hooks.logger } : {}),
    ...(hooks.random ? { random: hooks.random } : {}),
  });
  return {
    start: () => stream.start(),
    stop: () => stream.stop(),
    watermarks: () => stream.watermarks(),
    duplicates: () => stream.stats().duplicatesDropped,
  };
}

function binanceSession(spec: Extract<VendorSpec, { feed: "binance" }>, hooks: SessionHooks): VendorSession {
  const depth = new BinanceDepth({
    symbols: spec.symbols,
    onRecord: hooks.onRecord,
    onDown: (detail) => hooks.onDown(FeedErrorReason.Network, detail),
    wsUrl: spec.wsUrl,
    restUrl: spec.restUrl,
    breaker: noBreaker,
    backoff: restBackoff,
    maxRetries: 3,
    ...(hooks.onIssue ? { onIssue: hooks.onIssue } : {}),
    ...(hooks.logger ? { logger: hooks.logger } : {}),
    ...(hooks.random ? { random: hooks.random } : {}),
  });
  // a new connection rebuilds every book from a new snapshot (depth-sync.ts): nothing to resume from
  return { start: () => depth.start(), stop: () => depth.stop(), watermarks: () => ({}), duplicates: () => 0 };
}

/**
 * Alpha Vantage has no stream: a session polls each symbol every pollMs and delivers the bars after its watermark
 * (the full series when the compact window no longer reaches it). A rate-limit reply ends the session at once
 * (no retry inside it), so the supervisor's backoff spaces the calls.
 */
class AlphaVantageSession implements VendorSession {
  private readonly bars: AlphaVantageBars;
  private readonly last = new Map<string, number>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly spec: Extract<VendorSpec, { feed: "alpha-vantage" }>,
    resume: Readonly<Record<string, Watermark>>,
    private readonly hooks: SessionHooks,
  ) {
    for (const [symbol, m] of Object.entries(resume)) this.last.set(symbol, m.seq);
    this.bars = new AlphaVantageBars({
      apiKey: spec.apiKey,
      symbols: spec.symbols,
      series: spec.series,
      baseUrl: spec.baseUrl,
      onRecord: () => {},
      maxRetries: 0,
      breaker: noBreaker,
      ...(hooks.onIssue ? { onIssue: hooks.onIssue } : {}),
      ...(hooks.logger ? { logger: hooks.logger } : {}),
      ...(hooks.random ? { random: hooks.random } : {}),
    });
  }

  async start(): Promise<void> {
    await this.pollAll();
    this.loop = (async () => {
      while (await sleep(this.spec.pollMs, this.abort.signal)) {
        try {
          await this.pollAll();
        } catch (e) {
          if (this.abort.signal.aborted) return;
          const err = e instanceof FeedError ? e : new FeedError(FeedErrorReason.Network, String(e));
          this.hooks.onDown(err.reason, err.message);
          return;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  watermarks(): Record<string, Watermark> {
    return Object.fromEntries([...this.last].map(([s, ms]) => [s, { seq: ms, tsMs: ms }]));
  }

  duplicates(): number {
    return this.dropped;
  }

  private async pollAll(): Promise<void> {
    for (const symbol of this.spec.symbols) {
      if (this.abort.signal.aborted) return;
      const last = this.last.get(symbol);
      let bars = await this.bars.fetchBars(symbol, "compact");
      const oldest = bars[0];
      if (last !== undefined && oldest && oldest.seq > last) bars = await this.bars.fetchBars(symbol, "full");
      for (const bar of bars) {
        if (bar.seq <= (this.last.get(symbol) ?? -1)) {
          this.dropped += 1;
          continue;
        }
        this.last.set(symbol, bar.seq);
        this.hooks.onRecord(bar);
      }
    }
  }
}
