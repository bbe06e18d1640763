import type { Watermarks } from "./protocol.ts";
import type { FeedConnectionContext, FeedConnectionEvent } from "./state.ts";

/* What the adapter's reports change: the watermarks a reconnect resumes from, and the delivery counters. */

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

type Progress = Extract<FeedConnectionEvent, { type: "FeedProgress" }>;
type Disconnected = Extract<FeedConnectionEvent, { type: "FeedDisconnected" }>;

/** FeedProgress: the watermarks move forward and the delivery counts add up. */
export function afterProgress(c: FeedConnectionContext, e: Progress): Partial<FeedConnectionContext> {
  const n = c.counters;
  return {
    marks: mergeMarks(c.marks, e.marks),
    counters: {
      ...n,
      delivered: n.delivered + e.delivered,
      duplicates: n.duplicates + e.duplicates,
      gaps: n.gaps + e.gaps,
      resyncs: n.resyncs + e.resyncs,
    },
  };
}

/** A live session dropped: one more reconnect, and the last watermarks it reported. */
export function afterDrop(c: FeedConnectionContext, e: FeedConnectionEvent): Partial<FeedConnectionContext> {
  return {
    counters: { ...c.counters, reconnects: c.counters.reconnects + 1 },
    marks: e.type === "FeedDisconnected" ? mergeMarks(c.marks, (e as Disconnected).marks) : c.marks,
  };
}
