import type { Emitted } from "../../contract/index.ts";
import type { Watermarks } from "./protocol.ts";

export interface FeedConnectionConfig {
  /** the feed id: "polygon", "alpha-vantage", "binance"; also the source token of am.feed.<source>.… */
  feed: string;
  /** seed of the jitter stream: the same seed gives the same reconnect schedule */
  seed: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** a Connect unanswered this long counts as a failure */
  connectTimeoutMs: number;
  /** consecutive failures (no live session in between) that open the circuit */
  breakerThreshold: number;
  /** how long the circuit stays open before one half-open try */
  breakerCooldownMs: number;
}

export const defaultFeedConnectionConfig: Omit<FeedConnectionConfig, "feed"> = {
  seed: 1,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  connectTimeoutMs: 15_000,
  breakerThreshold: 5,
  breakerCooldownMs: 60_000,
};

type D<T> = T & { nowUs: number };
export type FeedConnectionEvent =
  | D<{ type: "StartFeed" }>
  | D<{ type: "StopFeed" }>
  | D<{ type: "GetFeedConnection" }>
  | D<{ type: "FeedConnected"; feed: string }>
  | D<{ type: "FeedConnectFailed"; feed: string; reason: string; detail: string }>
  | D<{ type: "FeedDisconnected"; feed: string; reason: string; detail: string; marks?: Watermarks }>
  | D<{ type: "FeedProgress"; feed: string; marks: Watermarks; delivered: number; duplicates: number; gaps: number; resyncs: number }>;

export interface FeedConnectionCounters {
  connects: number;
  reconnects: number;
  failures: number;
  delivered: number;
  duplicates: number;
  gaps: number;
  resyncs: number;
  circuitOpened: number;
}

export interface FeedConnectionContext {
  config: FeedConnectionConfig;
  nowUs: number;
  rng: number;
  /** consecutive failures since the last live session */
  failures: number;
  nextDelayMs: number;
  /** how the breaker stands, for operators: closed, open or half-open */
  breaker: "closed" | "open" | "half-open";
  marks: Watermarks;
  counters: FeedConnectionCounters;
  lastError?: { reason: string; detail: string; atUs: number };
}

/** What a decision produces: the context fields it changes and what the connection emits, in order. */
export interface Outcome {
  patch: Partial<FeedConnectionContext>;
  emitted: Emitted[];
}

export function initialContext(input: Partial<FeedConnectionConfig> & { feed: string }): FeedConnectionContext {
  const config: FeedConnectionConfig = { ...defaultFeedConnectionConfig, ...input };
  return {
    config,
    nowUs: 0,
    rng: config.seed,
    failures: 0,
    nextDelayMs: 0,
    breaker: "closed",
    marks: {},
    counters: { connects: 0, reconnects: 0, failures: 0, delivered: 0, duplicates: 0, gaps: 0, resyncs: 0, circuitOpened: 0 },
  };
}

/** The operator's view of a feed connection (admin status, GetFeedConnection reply). */
export function feedConnectionSummary(c: FeedConnectionContext): Record<string, unknown> {
  return {
    feed: c.config.feed,
    breaker: c.breaker,
    consecutiveFailures: c.failures,
    nextDelayMs: c.nextDelayMs,
    ...c.counters,
    marks: Object.keys(c.marks).length,
    ...(c.lastError ? { lastError: c.lastError } : {}),
  };
}
