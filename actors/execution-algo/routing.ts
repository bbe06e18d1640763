/**
 * Smart order routing: which venues get how much of a parent's rest, from the consolidated book (each venue's top
 * of book for the symbol), the venues' taker fees and latency, and each venue's fill rate for this parent so far.
 * Pure: the algorithm journals the children it decides, so a replay never routes again.
 */
import type { Side } from "../domain/index.ts";
import { wholeLots } from "./schedule.ts";

/** One venue's top of book for the parent's symbol (prices and sizes in 1e-8 units). */
export interface VenueQuote {
  venue: string;
  /** the listing on that venue, SYMBOL.VENUE */
  instrument: string;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
}

/** What taking liquidity at a venue costs besides the price: its taker fee (bps) and one-way latency (µs). */
export interface VenueTerms {
  takerFeeBps: number;
  latencyUs: number;
}

const FREE: VenueTerms = { takerFeeBps: 0, latencyUs: 0 };

/** What this parent sent to a venue and what filled there (1e-8 units), for its fill rate. */
export interface VenueFills {
  sent: number;
  filled: number;
}

export interface RouteRequest {
  side: Side;
  /** what is left to route: the parent's quantity less what is filled and open */
  quantity: number;
  lot: number;
  /** the smallest child, in 1e-8 units */
  minChild: number;
  /** a buy takes no offer above it, a sell no bid below it */
  limitPrice?: number;
  /** what one millisecond of latency costs, in bps of the price (the market moves while the child travels) */
  latencyBpsPerMs: number;
  /** what routing a unit that then does not fill costs, in bps (it is routed again later, at a worse price) */
  missCostBps: number;
}

/** A child the router sends: at the venue's touch, so the price is on that venue's tick grid. */
export interface RoutedChild {
  venue: string;
  instrument: string;
  price: number;
  quantity: number;
  /** the expected price per unit after fees, latency and the miss cost: what the venues were ranked by */
  effectivePrice: number;
  fillRate: number;
}

/** Fill history counts as if this many lots had already been sent and filled: a fresh venue is trusted, not certain. */
export const FILL_RATE_PRIOR_LOTS = 10;

/** The share of what was sent to a venue that filled, with a prior of FILL_RATE_PRIOR_LOTS filled lots. */
export function fillRate(f: VenueFills | undefined, lot: number): number {
  const prior = FILL_RATE_PRIOR_LOTS * lot;
  return ((f?.filled ?? 0) + prior) / ((f?.sent ?? 0) + prior);
}

/**
 * Splits `quantity` across the venues of `book`: venues ranked by the expected price per unit (the touch, plus its
 * taker fee, plus latency at `latencyBpsPerMs`, plus `missCostBps` times the share that has not filled there so far;
 * for a sell the same amounts are deducted), then each takes what its touch shows, best first, in whole lots. A
 * venue with nothing shown or outside the limit gets nothing, one missing from `terms` costs nothing; what no venue
 * shows is left for later. Ties go to the lower latency, then the venue id, so the same book always routes the same way.
 */
export function route(
  book: readonly VenueQuote[],
  terms: Readonly<Record<string, VenueTerms>>,
  fills: Readonly<Record<string, VenueFills>>,
  r: RouteRequest,
): RoutedChild[] {
  const buy = r.side === "BUY";
  const candidates: (RoutedChild & { shown: number; latencyUs: number })[] = [];
  for (const q of book) {
    // as at the simulated exchange, a venue configured with no costs trades free and at once
    const venue = terms[q.venue] ?? FREE;
    const price = buy ? q.ask : q.bid;
    const shown = buy ? q.askSize : q.bidSize;
    if (!(price > 0) || !(shown > 0)) continue;
    if (r.limitPrice !== undefined && (buy ? price > r.limitPrice : price < r.limitPrice)) continue;
    const rate = fillRate(fills[q.venue], r.lot);
    const bps = venue.takerFeeBps + (venue.latencyUs / 1000) * r.latencyBpsPerMs + (1 - rate) * r.missCostBps;
    const effectivePrice = price * (1 + ((buy ? 1 : -1) * bps) / 10_000);
    candidates.push({
      venue: q.venue,
      instrument: q.instrument,
      price,
      quantity: 0,
      effectivePrice,
      fillRate: rate,
      shown,
      latencyUs: venue.latencyUs,
    });
  }
  candidates.sort(
    (a, b) =>
      (buy ? a.effectivePrice - b.effectivePrice : b.effectivePrice - a.effectivePrice) ||
      a.latencyUs - b.latencyUs ||
      (a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0),
  );
  const out: RoutedChild[] = [];
  let left = wholeLots(r.quantity, r.lot);
  for (const c of candidates) {
    if (left <= 0) break;
    const quantity = wholeLots(Math.min(left, c.shown), r.lot);
    if (quantity <= 0 || (quantity < r.minChild && quantity !== left)) continue;
    out.push({
      venue: c.venue,
      instrument: c.instrument,
      price: c.price,
      quantity,
      effectivePrice: c.effectivePrice,
      fillRate: c.fillRate,
    });
    left -= quantity;
  }
  return out;
}
