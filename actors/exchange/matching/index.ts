/**
 * The simulated venue's matching: a price-time priority L3 book and matching engine per instrument
 * (`MatchingEngine`); `SimulatedExchange` (../simulated-venue.ts) holds one engine per instrument behind a seeded latency
 * model, venue rules (halt/resume, session close) and background liquidity around a reference quote.
 *
 * Units: prices and quantities are integers of 1e-8 units (actors/domain/fixed.ts), on the instrument's tick and
 * lot grids. Fees are exact bigint Money (fees.ts):
 *   fee = ceil(price × qty × rate / 1e14), rate in hundredths of a basis point (−0.25 bps is a rebate of −25);
 *   rounded towards +∞ on the full product: charges round up, rebates round towards zero.
 *
 * Behaviour a venue could choose differently, chosen here:
 * - Execution price is the resting order's price. Every fill journals the taker's execution, then the maker's,
 *   with one trade id.
 * - Self-trade prevention by `owner`, default CANCEL_NEWEST (the incoming order's rest is canceled; the resting
 *   order keeps its place). CANCEL_OLDEST, CANCEL_BOTH and NONE are available per engine.
 * - MARKET orders and IOC/FOK remainders never rest. FOK is all-or-nothing, checked before any fill, counting only
 *   liquidity it could take under self-trade prevention. Market orders are not price-banded.
 * - Post-only: rejected (POST_ONLY_WOULD_TAKE) if it would take; a replace that would make it take is refused.
 * - Reduce-only is accepted and reported, not enforced: only the order/risk layer knows the position.
 * - Stops wait off-book; a trade at or through the stop triggers them (buy: trade ≥ stop, sell: trade ≤ stop),
 *   nearest stop first, then time; one already through the last trade triggers on arrival.
 * - Replace (`quantity` is the new total): less quantity at the same price keeps queue priority; a new price or
 *   more quantity re-queues at the back (and trades at once if the new price crosses).
 * - GTD orders expire at `expire(nowUs)` (the exchange calls it as time passes); DAY orders at `closeSession`.
 * - Halted: new orders and replaces are rejected (INSTRUMENT_HALTED); cancels go through.
 *
 * Output: each command appends events (ACCEPTED, REJECTED, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED,
 * TRIGGERED, REPLACED, CANCEL_REJECTED) to the engine's journal with a gap-free sequence number;
 * `eventsSince(n)` / `executionsSince(n)` read them back for reconciliation ("fills since sequence n").
 * Reason codes: `MatchRejectReason`, `CancelReason` (lists `matchRejectReasons`, `cancelReasons` for generated docs).
 */
export * from "./codes.ts";
export * from "./engine.ts";
export * from "./fees.ts";
export type { MatchEvent } from "./journal.ts";
export { MatchJournal } from "./journal.ts";
export * from "./latency.ts";
