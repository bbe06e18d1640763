/**
 * The book's equity curve: a bounded series sampled at most once per `everyUs` of the runtime clock, kept in a ring
 * of the last `capacity` points.
 *
 * Why this design: equity moves on every mark, so journaling it would flood the journal (marks are deliberately not
 * journaled) and a per-tick series would grow without bound. Sampling on the inputs the book already receives
 * (marks, fills, commands) needs no timer, costs one comparison per tick, and the ring bounds memory and the
 * snapshot (the kind snapshots it beside the book, so the curve survives a restart; what happened while the book was
 * down is simply not sampled). Longer history belongs in QuestDB's risk snapshots, not in the actor.
 */
import type { Money } from "../domain/index.ts";

export interface EquityCurveConfig {
  /** least time between two samples, microseconds of the runtime clock */
  everyUs: number;
  /** points kept; the oldest is overwritten */
  capacity: number;
}

/** 30 s samples, 24 hours: about 60 KB in the snapshot. */
export const defaultEquityCurveConfig: EquityCurveConfig = { everyUs: 30_000_000, capacity: 2_880 };

export interface EquityCurve extends EquityCurveConfig {
  /** sample times, a ring: `head` is the next slot written */
  ts: number[];
  equity: Money[];
  head: number;
  /** time of the last sample (0: none yet) */
  lastUs: number;
}

export interface EquityPoint {
  tsUs: number;
  equity: Money;
}

export function emptyEquityCurve(config: EquityCurveConfig = defaultEquityCurveConfig): EquityCurve {
  if (!(Number.isSafeInteger(config.everyUs) && config.everyUs > 0))
    throw new Error(`equityCurve.everyUs: must be a positive integer, got ${config.everyUs}`);
  if (!(Number.isSafeInteger(config.capacity) && config.capacity > 0))
    throw new Error(`equityCurve.capacity: must be a positive integer, got ${config.capacity}`);
  return { everyUs: config.everyUs, capacity: config.capacity, ts: [], equity: [], head: 0, lastUs: 0 };
}

/** Whether a sample at `nowUs` is due (the caller computes equity only then: it is not free on a big book). */
export const sampleDue = (c: EquityCurve, nowUs: number): boolean => c.lastUs === 0 || nowUs - c.lastUs >= c.everyUs;

/** Records one point in place (like the mark table, the curve is not journaled state). */
export function sampleEquity(c: EquityCurve, nowUs: number, equity: Money): void {
  if (c.ts.length < c.capacity) {
    c.ts.push(nowUs);
    c.equity.push(equity);
    c.head = c.ts.length % c.capacity;
  } else {
    c.ts[c.head] = nowUs;
    c.equity[c.head] = equity;
    c.head = (c.head + 1) % c.capacity;
  }
  c.lastUs = nowUs;
}

/** Points with fromUs <= tsUs <= toUs, oldest first, at most `limit`. */
export function equityPoints(c: EquityCurve, fromUs: number, toUs: number, limit: number): EquityPoint[] {
  const out: EquityPoint[] = [];
  const n = c.ts.length;
  const start = n < c.capacity ? 0 : c.head;
  for (let k = 0; k < n && out.length < limit; k++) {
    const i = (start + k) % n;
    const ts = c.ts[i]!;
    if (ts >= fromUs && ts <= toUs) out.push({ tsUs: ts, equity: c.equity[i]! });
  }
  return out;
}
