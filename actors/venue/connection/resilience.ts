/**
 * Reconnect policy as pure functions over plain data (kept in machine context, so it survives snapshots):
 * a seeded random stream for jitter, exponential backoff, a circuit breaker and a token bucket on delivered time.
 */

/** mulberry32: a small seeded generator; returns [uniform in [0,1), next state]. */
export function nextRandom(state: number): [number, number] {
  const s = (state + 0x6d2b79f5) | 0;
  let x = Math.imul(s ^ (s >>> 15), 1 | s);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return [((x ^ (x >>> 14)) >>> 0) / 4_294_967_296, s];
}

/** "Equal jitter": half the exponential step fixed, half random, so retries spread without collapsing to zero. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random);
}

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
