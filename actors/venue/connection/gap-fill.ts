import type { ExecutionReport } from "../../domain/index.ts";
import type { Emitted } from "../../contract/index.ts";
import type { AdapterEvent } from "./adapter.ts";
import { toAdapter } from "./emit.ts";
import type { Outcome, VenueConnectionContext } from "./state.ts";

/*
 * Gap fill (FIX's resend request, for the venue's own sequence). The venue numbers its reports 1, 2, 3 … within a
 * session; a report that skips numbers means reports in between were lost on the way (a NATS server that died with
 * them in its buffers). The connection notes the missing numbers, asks the venue for its executions since the last
 * one it had, and forwards those it missed. A jump wider than MAX_GAP is a new numbering (a venue restored from a
 * snapshot starts from a new base), not a loss: the logon's reconciliation covers a new session.
 */

/** the widest run of missing sequence numbers taken for a loss rather than a renumbering */
export const MAX_GAP = 1_000;
/**
 * A gap's request unanswered this long is sent again: the request and its answer are plain messages, and a venue
 * busy failing over (its journal unavailable) drops them, while the venue holds its executions for a while only.
 */
export const GAP_ASK_AGAIN_US = 1_000_000;

type VenueStateSnapshot = Extract<AdapterEvent, { type: "VenueStateSnapshot" }>;

/** The sequence numbers a report with `seq` shows missing: none when it follows on, or is a renumbering. */
export function missingBefore(c: VenueConnectionContext, seq: number): number[] {
  const gap = seq - c.lastVenueSeq - 1;
  if (c.lastVenueSeq === 0 || gap <= 0 || gap > MAX_GAP) return [];
  return Array.from({ length: gap }, (_, i) => c.lastVenueSeq + 1 + i);
}

/**
 * A report arrived: the numbers it shows missing are noted, and the venue asked for its executions since the last
 * report before them (once per run of losses: a request already out covers later gaps too, since it is answered with
 * everything after its `sinceSeq`). A late report that fills a noted gap clears its number.
 */
export function noteGap(c: VenueConnectionContext, report: ExecutionReport): Outcome {
  const pending = (c.missingSeqs ?? []).filter((s) => s !== report.venueSeq);
  const missing = missingBefore(c, report.venueSeq);
  if (!missing.length) return { patch: pending.length === (c.missingSeqs?.length ?? 0) ? {} : { missingSeqs: pending }, emitted: [] };
  if (pending.length) return { patch: { missingSeqs: [...pending, ...missing] }, emitted: [] };
  // none was missing before this report: the request starts at the last report had
  return { patch: { missingSeqs: missing, gapAskedUs: c.nowUs }, emitted: requestState(c).emitted };
}

/** Reports still missing whose request went unanswered for GAP_ASK_AGAIN_US: asked for again. */
export function askGapAgain(c: VenueConnectionContext, nowUs: number): Outcome {
  if (!c.missingSeqs?.length || nowUs - (c.gapAskedUs ?? 0) < GAP_ASK_AGAIN_US) return { patch: {}, emitted: [] };
  return { patch: { gapAskedUs: nowUs }, emitted: requestState(c).emitted };
}

/** where a state request starts: before the first report still missing, so a reconnect asks for it too */
export const stateSince = (c: VenueConnectionContext): number =>
  c.missingSeqs?.length ? Math.min(c.lastVenueSeq, Math.min(...c.missingSeqs) - 1) : c.lastVenueSeq;

/** Asks the venue for its open orders and its executions since stateSince (at logon, and for a gap). */
export const requestState = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterRequestState", venue: c.config.venue, sinceSeq: stateSince(c) })],
});

/**
 * The venue's answer to a gap's state request, in a ready session: the missing reports, in sequence, through the
 * same decision as a live report. Numbers the venue no longer holds are given up: the order actors' own status
 * requests (on a deadline, on restore) are what is left for them.
 */
export function decideGapFill(
  c: VenueConnectionContext,
  snapshot: VenueStateSnapshot,
  decideReport: (c: VenueConnectionContext, r: ExecutionReport & { type: "ExecutionReport"; nowUs: number }) => Outcome,
): Outcome {
  const missing = new Set(c.missingSeqs ?? []);
  if (!missing.size) return { patch: {}, emitted: [] };
  const found = snapshot.executions.filter((r) => missing.has(r.venueSeq)).sort((a, b) => a.venueSeq - b.venueSeq);
  let ctx: VenueConnectionContext = { ...c, missingSeqs: [] };
  const patch: Partial<VenueConnectionContext> = { missingSeqs: [] };
  const emitted: Emitted[] = [];
  for (const r of found) {
    const out = decideReport(ctx, { ...r, type: "ExecutionReport", nowUs: c.nowUs });
    ctx = { ...ctx, ...out.patch };
    Object.assign(patch, out.patch);
    emitted.push(...out.emitted);
  }
  emitted.push({
    type: "domain",
    event: {
      type: "VenueGapFilled",
      venue: c.config.venue,
      missing: missing.size,
      recovered: found.length,
      lastVenueSeq: ctx.lastVenueSeq,
      tsEvent: c.nowUs,
      tsInit: c.nowUs,
    },
  });
  return { patch: { ...patch, missingSeqs: [] }, emitted };
}
