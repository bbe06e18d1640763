import { assign, emit, enqueueActions, setup } from "xstate";
import { type Emitted, subjects } from "../../contract/index.ts";
import { backoffMs, nextRandom } from "../../domain/index.ts";
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

const adapter = (c: FeedConnectionContext) => subjects.cmd("feed-adapter", c.config.feed);
const stamp = (nowUs: number) => ({ tsEvent: nowUs, tsInit: nowUs });

/** Later watermarks win, key by key: a report never moves a stream backwards. */
export function mergeMarks(a: Watermarks, b: Watermarks | undefined): Watermarks {
  if (!b) return a;
  const out: Watermarks = { ...a };
  for (const [k, m] of Object.entries(b)) {
    const old = out[k];
    if (!old || m.seq > old.seq || (m.seq === old.seq && m.tsMs > old.tsMs)) out[k] = m;
  }
  return out;
}

/** The operator's view of a feed connection (admin status, GetFeedConnection reply). */
export function feedConnectionSummary(c: FeedConnectionContext): Record<string, unknown> {
  return { feed: c.config.feed, breaker: c.breaker, consecutiveFailures: c.failures, nextDelayMs: c.nextDelayMs, ...c.counters, marks: Object.keys(c.marks).length, ...(c.lastError ? { lastError: c.lastError } : {}) };
}

/**
 * One vendor feed session, pure: idle → connecting → streaming; a failure (refused, dropped, rate limited, no
 * answer in time) backs off exponentially with seeded jitter, and after `breakerThreshold` consecutive failures the
 * circuit opens for `breakerCooldownMs`, then one half-open try: success closes it, failure reopens it. The I/O
 * lives in the adapter (am.cmd.feed-adapter.<feed>); the machine keeps the watermarks the adapter reports so that a
 * reconnect, even by a new incarnation from its snapshot, resumes after the last record delivered.
 */
/** A connect in progress (first try, retry, or the half-open try): it ends connected, failed or timed out. */
const connectAttempt = {
  on: {
    FeedConnected: { target: "streaming", actions: ["clock", "live"] },
    FeedConnectFailed: { target: "failed", actions: ["clock", "failure"] },
    FeedDisconnected: { target: "failed", actions: ["clock", "failure"] },
  },
  after: { connectTimeout: { target: "failed", actions: ["elapseConnect", "timeoutDisconnect", "failure"] } },
} as const;

export const feedConnectionMachine = setup({
  types: {
    context: {} as FeedConnectionContext,
    events: {} as FeedConnectionEvent,
    emitted: {} as Emitted,
    input: {} as Partial<FeedConnectionConfig> & { feed: string },
  },
  guards: {
    breakerOpen: ({ context }) => context.breaker === "open",
  },
  delays: {
    backoff: ({ context }) => context.nextDelayMs,
    cooldown: ({ context }) => context.config.breakerCooldownMs,
    connectTimeout: ({ context }) => context.config.connectTimeoutMs,
  },
  actions: {
    clock: assign({ nowUs: ({ context, event }) => (typeof event.nowUs === "number" ? Math.max(context.nowUs, event.nowUs) : context.nowUs) }),
    connect: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ counters: { ...context.counters, connects: context.counters.connects + 1 } });
      enqueue.emit({ type: "publish", subject: adapter(context), message: { type: "FeedAdapterConnect", feed: context.config.feed, attempt: context.failures, resume: context.marks } });
    }),
    disconnect: emit(({ context }) => ({ type: "publish" as const, subject: adapter(context), message: { type: "FeedAdapterDisconnect", feed: context.config.feed, reason: "stopped" } })),
    timeoutDisconnect: emit(({ context }) => ({ type: "publish" as const, subject: adapter(context), message: { type: "FeedAdapterDisconnect", feed: context.config.feed, reason: "connect timeout" } })),
    live: enqueueActions(({ context, enqueue }) => {
      const wasOpen = context.breaker !== "closed";
      enqueue.assign({ failures: 0, breaker: "closed" });
      if (wasOpen) enqueue.emit({ type: "domain", event: { type: "FeedCircuitClosed", feed: context.config.feed, ...stamp(context.nowUs) } });
    }),
    progress: assign(({ context, event }) => {
      if (event.type !== "FeedProgress") return {};
      const c = context.counters;
      return {
        marks: mergeMarks(context.marks, event.marks),
        counters: { ...c, delivered: c.delivered + event.delivered, duplicates: c.duplicates + event.duplicates, gaps: c.gaps + event.gaps, resyncs: c.resyncs + event.resyncs },
      };
    }),
    dropped: assign(({ context, event }) => ({
      counters: { ...context.counters, reconnects: context.counters.reconnects + 1 },
      marks: event.type === "FeedDisconnected" ? mergeMarks(context.marks, event.marks) : context.marks,
    })),
    failure: enqueueActions(({ context, event, enqueue }) => {
      const cfg = context.config;
      const failures = context.failures + 1;
      const [r, rng] = nextRandom(context.rng);
      const open = context.breaker === "half-open" || failures >= cfg.breakerThreshold;
      const reason = "reason" in event ? event.reason : "TIMEOUT";
      const detail = "detail" in event ? event.detail : `no answer from the ${cfg.feed} adapter within ${cfg.connectTimeoutMs} ms`;
      enqueue.assign({
        failures,
        rng,
        nextDelayMs: backoffMs(failures, cfg.backoffBaseMs, cfg.backoffMaxMs, r),
        breaker: open ? "open" : "closed",
        lastError: { reason, detail, atUs: context.nowUs },
        counters: { ...context.counters, failures: context.counters.failures + 1, circuitOpened: context.counters.circuitOpened + (open ? 1 : 0) },
      });
      if (open) enqueue.emit({ type: "domain", event: { type: "FeedCircuitOpened", feed: cfg.feed, failures, reason, ...stamp(context.nowUs) } });
    }),
    halfOpen: assign({ breaker: "half-open" as const }),
    /** timers move the connection's clock by their delay, so records and events carry time that passed */
    elapseBackoff: assign({ nowUs: ({ context }) => context.nowUs + context.nextDelayMs * 1000 }),
    elapseCooldown: assign({ nowUs: ({ context }) => context.nowUs + context.config.breakerCooldownMs * 1000 }),
    elapseConnect: assign({ nowUs: ({ context }) => context.nowUs + context.config.connectTimeoutMs * 1000 }),
    status: emit(({ context }) => ({ type: "reply" as const, ok: true as const, result: feedConnectionSummary(context) })),
  },
}).createMachine({
  id: "feedConnection",
  context: ({ input }) => {
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
  },
  initial: "idle",
  on: {
    // A new incarnation (restart, move) starts over from `connecting`: the old session died with the old process.
    StartFeed: { target: ".connecting", actions: "clock" },
    StopFeed: { target: ".idle", actions: ["clock", "disconnect", emit({ type: "reply", ok: true, result: { stopped: true } })] },
    GetFeedConnection: { actions: ["clock", "status"] },
    FeedProgress: { actions: ["clock", "progress"] },
  },
  states: {
    idle: {},
    connecting: { entry: "connect", ...connectAttempt },
    streaming: {
      on: {
        FeedDisconnected: { target: "failed", actions: ["clock", "dropped", "failure"] },
      },
    },
    /** A failure was recorded: back off, or open the circuit. */
    failed: {
      always: [{ guard: "breakerOpen", target: "circuitOpen" }, { target: "backoff" }],
    },
    backoff: {
      after: { backoff: { target: "connecting", actions: "elapseBackoff" } },
    },
    /** No connects until the cool-off ends, then one half-open try. */
    circuitOpen: {
      after: { cooldown: { target: "halfOpen", actions: ["elapseCooldown", "halfOpen"] } },
    },
    /** One try: success closes the circuit, failure opens it again. */
    halfOpen: { entry: "connect", ...connectAttempt },
  },
});

export type FeedConnectionMachine = typeof feedConnectionMachine;
