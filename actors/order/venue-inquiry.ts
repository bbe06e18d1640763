import type { Decision, VenueCommand } from "./decision.ts";
import { isTerminal, OrdStatus, type OrderState } from "./order-state.ts";

/*
 * FIX's OrderStatusRequest from the order's side: an order that has heard nothing from its venue within a deadline
 * asks what became of it, and again with backoff while it waits; the venue connection answers with the venue's
 * reports, or closes the order with the reason when the venue does not know it. Pure; the machine keeps the timer.
 */

/** When to ask: the first ask this long after the wait began, then doubling up to `maxMs` between asks. */
export interface VenueInquiry {
  firstMs: number;
  maxMs: number;
}

export const defaultVenueInquiry: VenueInquiry = { firstMs: 2_000, maxMs: 30_000 };

/** Sent and not yet acknowledged, or a cancel or replace the venue has not answered: the venue owes an answer. */
export function waitsOnVenue(o: OrderState | null): boolean {
  if (o === null || !o.atVenue || isTerminal(o.status)) return false;
  return !o.acked || o.status === OrdStatus.PendingCancel || o.status === OrdStatus.PendingReplace;
}

/** What the order waits for: a change (status, version, fills) is news from the venue or a new request, so a new deadline. */
export const venueWaitKey = (o: OrderState | null): string => (o === null ? "" : `${o.status}/${o.version}/${o.cumQty}/${o.acked}`);

/** What the venue owes: the ack of the new order, or the answer to a cancel or a replace. */
function awaitedOf(o: OrderState): "NEW" | "CANCEL" | "REPLACE" | undefined {
  if (o.status === OrdStatus.PendingCancel) return "CANCEL";
  if (o.status === OrdStatus.PendingReplace) return "REPLACE";
  return o.acked ? undefined : "NEW";
}

/** The wait before the next ask, after `asks` asks in this wait. */
export const askDelayMs = (inquiry: VenueInquiry, asks: number): number =>
  Math.min(inquiry.maxMs, inquiry.firstMs * 2 ** Math.min(asks, 30));

/**
 * Whether to ask, and the request. `deadline`: only an order the venue owes an answer. `resume` (a restore, this
 * process's NATS connection back, the venue session logged on again): any order open at the venue, since reports
 * sent meanwhile (a fill among them) may have been lost.
 */
export function decideVenueInquiry(o: OrderState | null, nowUs: number, cause: "deadline" | "resume"): Decision {
  if (o === null || !o.atVenue || isTerminal(o.status) || (cause === "deadline" && !waitsOnVenue(o))) return { events: [], commands: [] };
  const awaiting = awaitedOf(o);
  const ask: VenueCommand = {
    type: "VenueOrderStatusRequest",
    clientOrderId: o.clientOrderId,
    instrument: o.instrument,
    side: o.side,
    cumQty: o.cumQty,
    acknowledged: o.acked,
    ...(awaiting ? { awaiting } : {}),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return { events: [], commands: [ask] };
}
