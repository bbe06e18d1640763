/** Reads the mutable InstrumentState in place (no copy per feed item: the hot path), and changes nothing. */
import { FeedStatusAction, TradingStatus } from "../domain/index.ts";
import type { InstrumentState, RawBookUpdateInput, RawQuoteInput, RawStatusInput, RawTradeInput } from "./state.ts";
import { checkBookFields, checkQuoteFields, checkTradeFields, FeedRejectReason, type Rejection } from "./validation.ts";

/*
 * Whether one feed item is accepted: null, or the rejection with its reason (the item is then dead-lettered and
 * changes nothing). Anything, even garbage, gets an answer; nothing is thrown.
 *
 * Policy while not trading: while CLOSED quotes and trades are rejected (MARKET_CLOSED: prints outside the
 * session are test or late data and must not move bars); while PRE_OPEN or HALTED quotes pass (indicative) and
 * trades are rejected (NOT_TRADING). Book updates are accepted in every status so the book is right at the open.
 */

/** Not a feed message at all: not an object, or a type no feed sends. */
export function decideShape(item: unknown): Rejection | null {
  if (typeof item !== "object" || item === null) return { reason: FeedRejectReason.Malformed, detail: "not an object" };
  const type = (item as { type?: unknown }).type;
  if (type === "RawQuote" || type === "RawTrade" || type === "RawBookUpdate" || type === "RawStatus") return null;
  return { reason: FeedRejectReason.UnknownType, detail: `type: ${String(type)} is not a feed message type` };
}

export function decideQuote(s: InstrumentState, q: RawQuoteInput): Rejection | null {
  const bad = checkQuoteFields(q, s.definition) ?? checkInstrument(s, q.instrument);
  if (bad) return bad;
  if (s.status.status === TradingStatus.Closed)
    return { reason: FeedRejectReason.MarketClosed, detail: "quote while the market is closed" };
  if (q.tsEvent < s.lastQuoteTs) return backwards(q.tsEvent, s.lastQuoteTs);
  return null;
}

export function decideTrade(s: InstrumentState, t: RawTradeInput): Rejection | null {
  const bad = checkTradeFields(t, s.definition) ?? checkInstrument(s, t.instrument);
  if (bad) return bad;
  const status = s.status.status;
  if (status === TradingStatus.Closed) return { reason: FeedRejectReason.MarketClosed, detail: "trade while the market is closed" };
  if (status !== TradingStatus.Open) return { reason: FeedRejectReason.NotTrading, detail: `trade while ${status}` };
  if (t.tsEvent < s.lastTradeTs) return backwards(t.tsEvent, s.lastTradeTs);
  if (t.tradeId === s.lastTradeId)
    return { reason: FeedRejectReason.DuplicateTrade, detail: `tradeId: ${t.tradeId} repeats the previous trade` };
  return null;
}

export function decideBookUpdate(s: InstrumentState, b: RawBookUpdateInput): Rejection | null {
  const bad = checkBookFields(b, s.definition) ?? checkInstrument(s, b.instrument);
  if (bad) return bad;
  if (s.sync.isStale(b))
    return { reason: FeedRejectReason.StaleSequence, detail: `seq: ${b.seq} is not after the last applied ${s.sync.seq}` };
  return null;
}

export function decideStatus(s: InstrumentState, st: RawStatusInput): Rejection | null {
  if (st.action !== FeedStatusAction.Halt && st.action !== FeedStatusAction.Resume) {
    return { reason: FeedRejectReason.Malformed, detail: `action: ${String(st.action)} is not HALT or RESUME` };
  }
  return checkInstrument(s, st.instrument);
}

function checkInstrument(s: InstrumentState, instrument: unknown): Rejection | null {
  if (instrument === s.definition.id) return null;
  return { reason: FeedRejectReason.WrongInstrument, detail: `instrument: ${String(instrument)} is not ${s.definition.id}` };
}

const backwards = (ts: number, last: number): Rejection => ({
  reason: FeedRejectReason.TimestampBackwards,
  detail: `tsEvent: ${ts} is before the last accepted ${last}`,
});
