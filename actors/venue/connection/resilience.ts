/**
 * Reconnect policy as pure functions over plain data (kept in machine context, so it survives snapshots):
 * jitter and backoff (actors/domain/retry.ts), a circuit breaker and a token bucket on delivered time.
 */

export { backoffMs, nextRandom } from "../../domain/index.ts";

export interface BreakerState {
  mode: "CLOSED" | "OPEN" | "HALF_OPEN";
  /** times (µs) of consecutive failures still inside the window */
  failuresUs: number[];
}

export const closedBreaker: BreakerState = { mode: "CLOSED", failuresUs: [] };

/** Records a failure; the breaker opens after `threshold` consecutive failures within `windowUs`, or on a failed probe. */
export function breakerFailure(b: BreakerState, nowUs: number, threshold: number, windowUs: number): BreakerState {
  const failuresUs = [...b.failuresUs.filter((t) => nowUs - t < windowUs), nowUs];
  const open = b.mode === "HALF_OPEN" || failuresUs.length >= threshold;
  return { mode: open ? "OPEN" : "CLOSED", failuresUs };
}

export interface TokenBucket {
  /** tokens × 1e6, so refill on integer microseconds stays exact */
  micro: number;
  atUs: number;
}

export const fullBucket = (capacity: number, nowUs: number): TokenBucket => ({ micro: capacity * 1_000_000, atUs: nowUs });

/** Refills `perSecond` tokens per second up to `capacity`, then takes one if there is one. */
export function takeToken(b: TokenBucket, nowUs: number, capacity: number, perSecond: number): { ok: boolean; bucket: TokenBucket } {
  const elapsed = Math.max(0, nowUs - b.atUs);
  const micro = Math.min(capacity * 1_000_000, b.micro + elapsed * perSecond);
  if (micro < 1_000_000) return { ok: false, bucket: { micro, atUs: Math.max(b.atUs, nowUs) } };
  return { ok: true, bucket: { micro: micro - 1_000_000, atUs: Math.max(b.atUs, nowUs) } };
}
