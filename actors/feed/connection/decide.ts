import { backoffMs, nextRandom } from "../../domain/retry.ts";
import { subjects } from "../../contract/index.ts";
import type { FeedConnectionContext, FeedConnectionEvent, Outcome } from "./state.ts";

/*
 * The decisions of a feed connection: what a connect, a live session and a failure change and what goes out
 * (adapter commands, circuit events). Pure; the machine decides only which apply in which state and when its
 * timers fire.
 */

const adapter = (c: FeedConnectionContext) => subjects.cmd("feed-adapter", c.config.feed);
const stamp = (nowUs: number) => ({ tsEvent: nowUs, tsInit: nowUs });

/** A connect (first, retry or half-open): counted, and the adapter told where each stream resumes. */
export function decideConnect(c: FeedConnectionContext): Outcome {
  return {
    patch: { counters: { ...c.counters, connects: c.counters.connects + 1 } },
    emitted: [
      {
        type: "publish",
        subject: adapter(c),
        message: { type: "FeedAdapterConnect", feed: c.config.feed, attempt: c.failures, resume: c.marks },
      },
    ],
  };
}

export const disconnectMessage = (c: FeedConnectionContext, reason: string) => ({
  type: "publish" as const,
  subject: adapter(c),
  message: { type: "FeedAdapterDisconnect", feed: c.config.feed, reason },
});

/** The session is live: failures reset, and a circuit that was open or half-open closes. */
export function decideLive(c: FeedConnectionContext): Outcome {
  const wasOpen = c.breaker !== "closed";
  return {
    patch: { failures: 0, breaker: "closed" },
    emitted: wasOpen ? [{ type: "domain", event: { type: "FeedCircuitClosed", feed: c.config.feed, ...stamp(c.nowUs) } }] : [],
  };
}

/** A failure (refused, dropped, no answer in time): the next jittered backoff, and the circuit opens at the threshold. */
export function decideFailure(c: FeedConnectionContext, event: FeedConnectionEvent): Outcome {
  const cfg = c.config;
  const failures = c.failures + 1;
  const [r, rng] = nextRandom(c.rng);
  const open = c.breaker === "half-open" || failures >= cfg.breakerThreshold;
  const reason = "reason" in event ? event.reason : "TIMEOUT";
  const detail = "detail" in event ? event.detail : `no answer from the ${cfg.feed} adapter within ${cfg.connectTimeoutMs} ms`;
  return {
    patch: {
      failures,
      rng,
      nextDelayMs: backoffMs(failures, cfg.backoffBaseMs, cfg.backoffMaxMs, r),
      breaker: open ? "open" : "closed",
      lastError: { reason, detail, atUs: c.nowUs },
      counters: { ...c.counters, failures: c.counters.failures + 1, circuitOpened: c.counters.circuitOpened + (open ? 1 : 0) },
    },
    emitted: open ? [{ type: "domain", event: { type: "FeedCircuitOpened", feed: cfg.feed, failures, reason, ...stamp(c.nowUs) } }] : [],
  };
}
