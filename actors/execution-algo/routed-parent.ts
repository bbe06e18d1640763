/**
 * A routed parent (SOR): the consolidated book it keeps from its listings' quotes, its evaluation (the rest split by
 * `route` across the venues not passed over), and its venues as GetAlgo shows them.
 */
import { type Decided, journaled, parseInstrumentId } from "../contract/index.ts";
import { type AlgoParams, asPrice, asQuantity } from "../domain/index.ts";
import { childForward } from "./child-order.ts";
import { type AlgoEvent, evolve } from "./evolve.ts";
import type { QuoteInput } from "./inputs.ts";
import { fillRate, route } from "./routing.ts";
import { type AlgoContext, childOrderId, type ParentOrder } from "./state.ts";

type RoutedParams = Extract<AlgoParams, { algo: "SOR" }>;
export type QuoteLine = Pick<QuoteInput, "instrument" | "bid" | "bidSize" | "ask" | "askSize">;

/** A quote of one of the parent's listings (its symbol on a venue it may route to) as that venue's book line. */
export function withBookLine(c: AlgoContext, p: ParentOrder, venues: readonly string[], q: QuoteLine): AlgoContext {
  const listing = parseInstrumentId(q.instrument);
  if (!venues.includes(listing.venue) || listing.symbol !== parseInstrumentId(p.instrument).symbol) return c;
  const line = { venue: listing.venue, instrument: q.instrument, bid: q.bid, bidSize: q.bidSize ?? 0, ask: q.ask, askSize: q.askSize ?? 0 };
  return { ...c, book: { ...c.book, [listing.venue]: line } };
}

/**
 * A routed parent's evaluation: while no child is open, the rest is split across the venues not passed over, by
 * the consolidated book (one IOC child per venue, at its touch); a wave's unfilled part comes back when its children
 * close and is routed again at the next evaluation, on the book as it is then.
 */
export function decideRoute(c: AlgoContext, p: ParentOrder, params: RoutedParams, nowUs: number): Decided<AlgoContext> {
  const nextAtUs = nowUs + c.cadenceUs;
  const idle = { context: { ...c, nextAtUs }, emitted: [] };
  if (c.open > 0) return idle;
  const book = params.venues.flatMap((v) => ((c.venueHeldUntil[v] ?? 0) <= nowUs && c.book[v] ? [c.book[v]] : []));
  const routed = route(book, c.venueTerms, c.venueFills, {
    side: p.side,
    quantity: p.quantity - c.filled - c.open,
    lot: p.lotSize,
    minChild: params.minChildLots * p.lotSize,
    ...(p.limitPrice !== undefined ? { limitPrice: p.limitPrice } : {}),
    latencyBpsPerMs: params.latencyBpsPerMs,
    missCostBps: params.missCostBps,
  });
  if (routed.length === 0) return idle;
  const sent: AlgoEvent[] = routed.map((r, i) => ({
    type: "AlgoChildSent",
    parentId: c.parentId,
    clientOrderId: childOrderId(c.parentId, c.childCount + i + 1),
    quantity: asQuantity(r.quantity),
    slice: c.slice,
    nextAtUs,
    instrument: r.instrument,
    price: asPrice(r.price),
    tsEvent: nowUs,
    tsInit: nowUs,
  }));
  const children = routed.map((r, i) =>
    childForward(
      p,
      childOrderId(c.parentId, c.childCount + i + 1),
      { quantity: r.quantity, cumQty: 0, acked: false, instrument: r.instrument, price: r.price },
      nowUs,
    ),
  );
  return journaled(evolve, c, sent, children);
}

/** A routed parent's venues: what was sent and filled at each, its fill rate, and whether it is passed over now. */
export function routingView(c: AlgoContext, venues: readonly string[]): Record<string, unknown>[] {
  const lot = c.parent?.lotSize ?? 1;
  return venues.map((venue) => ({
    venue,
    sent: c.venueFills[venue]?.sent ?? 0,
    filled: c.venueFills[venue]?.filled ?? 0,
    fillRate: fillRate(c.venueFills[venue], lot),
    heldUntilUs: (c.venueHeldUntil[venue] ?? 0) > c.nowUs ? c.venueHeldUntil[venue] : null,
    quoted: c.book[venue] !== undefined,
  }));
}
