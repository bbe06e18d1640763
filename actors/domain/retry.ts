/**
 * Retry timing as pure functions over plain data a machine keeps in its context (so it survives snapshots): a
 * seeded random stream for jitter and exponential backoff with "equal jitter". Venue and feed connections use it.
 */

/** mulberry32: a small seeded generator; returns [uniform in [0,1), next state]. */
export function nextRandom(state: number): [number, number] {
  const s = (state + 0x6d2b79f5) | 0;
  let x = Math.imul(s ^ (s >>> 15), 1 | s);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return [((x ^ (x >>> 14)) >>> 0) / 4_294_967_296, s];
}

/** Delay before retry `attempt` (1-based): half the exponential step fixed, half random, within [step/2, step]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random);
}
