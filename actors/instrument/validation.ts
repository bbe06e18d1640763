import type { InstrumentDefinition } from "./definition.ts";

/** Why an instrument actor refused a feed message; the runtime dead-letters it with this code. */
export const FeedRejectReason = {
  /** not an object, or a field missing or not an integer / string where one is required */
  Malformed: "MALFORMED",
  UnknownType: "UNKNOWN_TYPE",
  WrongInstrument: "WRONG_INSTRUMENT",
  NonPositivePrice: "NON_POSITIVE_PRICE",
  /** negative size, or a zero trade size */
  InvalidSize: "INVALID_SIZE",
  OffTickGrid: "OFF_TICK_GRID",
  OffLotGrid: "OFF_LOT_GRID",
  /** tsEvent earlier than the last accepted one of the same channel */
  TimestampBackwards: "TIMESTAMP_BACKWARDS",
  /** book update with a sequence at or below the last applied one */
  StaleSequence: "STALE_SEQUENCE",
  /** snapshot levels not strictly ordered best-first, or a price twice */
  UnorderedBook: "UNORDERED_BOOK",
  DuplicateTrade: "DUPLICATE_TRADE",
  /** quote or trade while the calendar says closed */
  MarketClosed: "MARKET_CLOSED",
  /** trade while pre-open or halted */
  NotTrading: "NOT_TRADING",
} as const;
export type FeedRejectReason = (typeof FeedRejectReason)[keyof typeof FeedRejectReason];
export const feedRejectReasons = Object.values(FeedRejectReason);

export interface Rejection {
  reason: FeedRejectReason;
  detail: string;
}

const reject = (reason: FeedRejectReason, detail: string): Rejection => ({ reason, detail });
const isUnits = Number.isSafeInteger;

/** Checks a price: an integer of units, positive, on the tick grid. Allocates only when it refuses. */
export function checkPrice(field: string, price: unknown, def: InstrumentDefinition): Rejection | null {
  if (!isUnits(price)) return reject(FeedRejectReason.Malformed, `${field}: ${String(price)} is not an integer of 1e-8 units`);
  const p = price as number;
  if (p <= 0) return reject(FeedRejectReason.NonPositivePrice, `${field}: ${p} must be positive`);
  if (p % def.priceIncrement !== 0)
    return reject(FeedRejectReason.OffTickGrid, `${field}: ${p} is not a multiple of the price increment ${def.priceIncrement}`);
  return null;
}

/** Checks a size: an integer of units, ≥ 0 (> 0 when `positive`), on the lot grid. */
export function checkSize(field: string, size: unknown, def: InstrumentDefinition, positive: boolean): Rejection | null {
  if (!isUnits(size)) return reject(FeedRejectReason.Malformed, `${field}: ${String(size)} is not an integer of 1e-8 units`);
  const s = size as number;
  if (s < 0 || (positive && s === 0))
    return reject(FeedRejectReason.InvalidSize, `${field}: ${s} must be ${positive ? "positive" : "zero or more"}`);
  if (s % def.lotSize !== 0) return reject(FeedRejectReason.OffLotGrid, `${field}: ${s} is not a multiple of the lot size ${def.lotSize}`);
  return null;
}

export function checkTimestamp(tsEvent: unknown): Rejection | null {
  if (!isUnits(tsEvent) || (tsEvent as number) < 0)
    return reject(FeedRejectReason.Malformed, `tsEvent: ${String(tsEvent)} is not microseconds since the epoch`);
  return null;
}

export function checkQuoteFields(q: Record<string, unknown>, def: InstrumentDefinition): Rejection | null {
  return (
    checkTimestamp(q.tsEvent) ??
    checkPrice("bid", q.bid, def) ??
    checkPrice("ask", q.ask, def) ??
    checkSize("bidSize", q.bidSize, def, false) ??
    checkSize("askSize", q.askSize, def, false)
  );
}

export function checkTradeFields(t: Record<string, unknown>, def: InstrumentDefinition): Rejection | null {
  if (typeof t.tradeId !== "string" || t.tradeId.length === 0)
    return reject(FeedRejectReason.Malformed, "tradeId: must be a non-empty string");
  if (t.aggressor !== "BUY" && t.aggressor !== "SELL" && t.aggressor !== "NONE") {
    return reject(FeedRejectReason.Malformed, `aggressor: ${String(t.aggressor)} is not BUY, SELL or NONE`);
  }
  return checkTimestamp(t.tsEvent) ?? checkPrice("price", t.price, def) ?? checkSize("size", t.size, def, true);
}

function checkLevels(side: "bids" | "asks", levels: unknown, def: InstrumentDefinition, ordered: boolean): Rejection | null {
  if (!Array.isArray(levels)) return reject(FeedRejectReason.Malformed, `${side}: must be an array of [price, size]`);
  let prev = 0;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as unknown;
    if (!Array.isArray(l) || l.length !== 2) return reject(FeedRejectReason.Malformed, `${side}[${i}]: must be [price, size]`);
    const r = checkPrice(`${side}[${i}].price`, l[0], def) ?? checkSize(`${side}[${i}].size`, l[1], def, false);
    if (r) return r;
    if (ordered) {
      const p = l[0] as number;
      if (i > 0 && (side === "bids" ? p >= prev : p <= prev)) {
        return reject(
          FeedRejectReason.UnorderedBook,
          `${side}[${i}]: ${p} is not ${side === "bids" ? "below" : "above"} the previous level ${prev}`,
        );
      }
      prev = p;
    }
  }
  return null;
}

/** Snapshots must list levels best first without repeats; deltas may come in any order. */
export function checkBookFields(b: Record<string, unknown>, def: InstrumentDefinition): Rejection | null {
  if (b.kind !== "snapshot" && b.kind !== "delta")
    return reject(FeedRejectReason.Malformed, `kind: ${String(b.kind)} is not snapshot or delta`);
  if (!isUnits(b.seq) || (b.seq as number) < 0) return reject(FeedRejectReason.Malformed, `seq: ${String(b.seq)} is not a sequence number`);
  if (b.checksum !== undefined && (!Number.isInteger(b.checksum) || (b.checksum as number) < 0 || (b.checksum as number) > 0xffffffff)) {
    return reject(FeedRejectReason.Malformed, `checksum: ${String(b.checksum)} is not a CRC-32`);
  }
  const ordered = b.kind === "snapshot";
  return checkTimestamp(b.tsEvent) ?? checkLevels("bids", b.bids, def, ordered) ?? checkLevels("asks", b.asks, def, ordered);
}
