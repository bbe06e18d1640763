import type { ReplayRecord } from "./records.ts";

/** Replay speed: 1 is real time, 10 is ten times faster, "max" publishes as fast as the consumer takes it. */
export type ReplaySpeed = number | "max";

/** The time source of a replay, injected so that tests run on a fake clock without sleeping. */
export interface ReplayClock {
  /** a monotonic time in milliseconds */
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export class ReplayOrderError extends Error {
  override name = "ReplayOrderError";
}

export function checkSpeed(speed: ReplaySpeed): ReplaySpeed {
  if (speed === "max") return speed;
  if (typeof speed !== "number" || !Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(`replay speed must be a positive number or "max", got ${JSON.stringify(speed)}`);
  }
  return speed;
}

/**
 * When a record is due on the wall clock: the first record anchors data time to wall time, and every later record
 * is due its data-time distance from the first, divided by the speed. Pacing from the anchor (not from the
 * previous record) keeps sleep overshoot from accumulating over a long replay.
 */
export function dueAtMs(anchorWallMs: number, anchorDataUs: number, tsUs: number, speed: number): number {
  return anchorWallMs + (tsUs - anchorDataUs) / 1000 / speed;
}

export interface ReplaySummary {
  published: number;
  firstTsUs?: number;
  lastTsUs?: number;
}

export interface ReplayOptions {
  speed: ReplaySpeed;
  clock: ReplayClock;
  publish: (record: ReplayRecord) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Publishes records at their pace. Records must come in time order (a record older than the one before is a
 * ReplayOrderError naming both times: a replay never reorders silently). Stops early when `signal` aborts.
 */
export async function replay(records: AsyncIterable<ReplayRecord> | Iterable<ReplayRecord>, opts: ReplayOptions): Promise<ReplaySummary> {
  const speed = checkSpeed(opts.speed);
  let anchorWallMs = 0;
  let first: number | undefined;
  let last: number | undefined;
  let published = 0;
  for await (const r of records) {
    if (opts.signal?.aborted) break;
    if (last !== undefined && r.tsEvent < last) {
      throw new ReplayOrderError(`record ${published + 1} (${r.type} ${r.instrument}) at ${r.tsEvent} µs comes after one at ${last} µs`);
    }
    if (first === undefined) {
      first = r.tsEvent;
      anchorWallMs = opts.clock.nowMs();
    } else if (speed !== "max") {
      const wait = dueAtMs(anchorWallMs, first, r.tsEvent, speed) - opts.clock.nowMs();
      if (wait > 0) await opts.clock.sleep(wait);
      if (opts.signal?.aborted) break;
    }
    await opts.publish(r);
    published++;
    last = r.tsEvent;
  }
  return { published, ...(first !== undefined ? { firstTsUs: first } : {}), ...(last !== undefined ? { lastTsUs: last } : {}) };
}
