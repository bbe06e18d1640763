import { type FeedRejectReason, feedRejectReasons } from "./validation.ts";

/** What an instrument actor counts: accepted and rejected input, book health and bars (shown by its summary). */
export interface FeedCounters {
  accepted: number;
  rejected: Record<FeedRejectReason, number>;
  /** quotes with bid ≥ ask (published, flagged) */
  crossed: number;
  /** book updates that left the L2 book crossed */
  bookCrossed: number;
  /** book sequence gaps detected */
  gaps: number;
  checksumMismatches: number;
  snapshotRequests: number;
  /** resynchronisations completed (snapshot plus buffered deltas applied) */
  resyncs: number;
  resyncBufferOverflows: number;
  /** trades that came after their time bar was closed by the timer */
  lateTrades: number;
  bars: number;
}

export function emptyCounters(): FeedCounters {
  const rejected = {} as Record<FeedRejectReason, number>;
  for (const r of feedRejectReasons) rejected[r] = 0;
  return {
    accepted: 0,
    rejected,
    crossed: 0,
    bookCrossed: 0,
    gaps: 0,
    checksumMismatches: 0,
    snapshotRequests: 0,
    resyncs: 0,
    resyncBufferOverflows: 0,
    lateTrades: 0,
    bars: 0,
  };
}
