import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { TradingStatus } from "../trading.ts";
import { instrumentId, stamped, price, quantity } from "./schemas.ts";

/**
 * Raw feed input on am.feed.<source>.<venue>.<symbol>: untrusted. The schemas check only the shape (integers of
 * 1e-8 units, strings); the instrument actor checks the meaning (positive prices, tick and lot grids, order of
 * timestamps and sequence numbers) and dead-letters what fails with a reason code.
 */
export const RawQuote = defineMessage(
  "RawQuote",
  1,
  z.object({
    instrument: instrumentId,
    bid: price,
    bidSize: quantity,
    ask: price,
    askSize: quantity,
    /** the venue's sequence number, when it has one */
    seq: z.number().int().nonnegative().optional(),
    ...stamped,
  }),
  "Top of book as a feed delivers it (unvalidated).",
);
export type RawQuote = MessageOf<typeof RawQuote>;

export const RawTrade = defineMessage(
  "RawTrade",
  1,
  z.object({
    instrument: instrumentId,
    price: price,
    size: quantity,
    aggressor: z.enum(["BUY", "SELL", "NONE"]),
    tradeId: z.string().min(1).max(64),
    ...stamped,
  }),
  "A trade print as a feed delivers it (unvalidated).",
);
export type RawTrade = MessageOf<typeof RawTrade>;

const rawLevel = z.tuple([price, quantity]);
export const RawBookUpdate = defineMessage(
  "RawBookUpdate",
  1,
  z.object({
    instrument: instrumentId,
    /** snapshot replaces the book; delta sets levels (size 0 removes a level) */
    kind: z.enum(["snapshot", "delta"]),
    bids: z.array(rawLevel),
    asks: z.array(rawLevel),
    /** venue book sequence: each delta is the previous seq + 1; a snapshot carries the seq it reflects */
    seq: z.number().int().nonnegative(),
    /** CRC32 of the venue's top 10 levels after this update (see actors/instrument/book-checksum.ts) */
    checksum: z.number().int().min(0).max(0xffffffff).optional(),
    ...stamped,
  }),
  "An L2 book snapshot or delta as a feed delivers it (unvalidated).",
);
export type RawBookUpdate = MessageOf<typeof RawBookUpdate>;

export const FeedStatusAction = { Halt: "HALT", Resume: "RESUME" } as const;
export type FeedStatusAction = (typeof FeedStatusAction)[keyof typeof FeedStatusAction];

export const RawStatus = defineMessage(
  "RawStatus",
  1,
  z.object({
    instrument: instrumentId,
    action: z.enum([FeedStatusAction.Halt, FeedStatusAction.Resume]),
    reason: z.string().max(256).optional(),
    ...stamped,
  }),
  "A venue trading halt or resumption as a feed delivers it.",
);
export type RawStatus = MessageOf<typeof RawStatus>;

/** Sent by an instrument actor on am.cmd.feed.<source> when its book lost sequence and must be rebuilt. */
export const BookSnapshotRequest = defineMessage(
  "BookSnapshotRequest",
  1,
  z.object({
    instrument: instrumentId,
    /** the last sequence applied before the gap; absent when the book was never synchronised */
    lastSeq: z.number().int().nonnegative().optional(),
    reason: z.enum(["INITIAL", "GAP", "CHECKSUM", "TIMEOUT", "BUFFER_FULL"]),
    ...stamped,
  }),
  "Ask a feed for an L2 book snapshot of one instrument.",
);
export type BookSnapshotRequest = MessageOf<typeof BookSnapshotRequest>;

export const InstrumentStatus = defineMessage(
  "InstrumentStatus",
  1,
  z.object({
    instrument: instrumentId,
    status: z.enum([TradingStatus.PreOpen, TradingStatus.Open, TradingStatus.Halted, TradingStatus.Closed]),
    /** what the trading calendar alone says */
    calendar: z.enum([TradingStatus.PreOpen, TradingStatus.Open, TradingStatus.Closed]),
    /** the feed reported a halt that has not been lifted */
    halted: z.boolean(),
    reason: z.string().max(256).optional(),
    ...stamped,
  }),
  "Trading status of an instrument, published on am.md.status.<venue>.<symbol> when it changes.",
);
export type InstrumentStatus = MessageOf<typeof InstrumentStatus>;

/** What an instrument actor publishes on am.dlq.instrument.<venue>.<symbol> for feed input it refused. */
export const FeedRejected = defineMessage(
  "FeedRejected",
  1,
  z.object({
    instrument: z.string(),
    /** a FeedRejectReason code of actors/instrument/validation.ts */
    reason: z.string(),
    /** which field, which value, which limit */
    detail: z.string(),
    /** the refused input as it came */
    input: z.unknown(),
    ...stamped,
  }),
  "Feed input refused by an instrument actor, with the reason.",
);
export type FeedRejected = MessageOf<typeof FeedRejected>;

/**
 * The checksum of RawBookUpdate.checksum: CRC-32 (IEEE 802.3, as zlib's crc32) of the ASCII text made of the top
 * 10 levels, level by level: `bidPrice:bidSize:askPrice:askSize`, all joined by ":", integers of 1e-8 units in
 * decimal; a side with fewer levels contributes nothing for the missing ones (the OKX layout, with units instead of
 * decimal strings so that every language gets the same text). Computed without building the string: it runs on
 * every checked book update.
 */
export function bookChecksum(
  bidPrices: ArrayLike<number>,
  bidSizes: ArrayLike<number>,
  bidCount: number,
  askPrices: ArrayLike<number>,
  askSizes: ArrayLike<number>,
  askCount: number,
): number {
  let crc = 0xffffffff;
  let first = true;
  const n = Math.min(10, Math.max(bidCount, askCount));
  for (let i = 0; i < n; i++) {
    if (i < bidCount) {
      if (!first) crc = crcByte(crc, 58);
      crc = crcNumber(crcByte(crcNumber(crc, bidPrices[i]!), 58), bidSizes[i]!);
      first = false;
    }
    if (i < askCount) {
      if (!first) crc = crcByte(crc, 58);
      crc = crcNumber(crcByte(crcNumber(crc, askPrices[i]!), 58), askSizes[i]!);
      first = false;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
const crcByte = (crc: number, byte: number): number => CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);

/** Decimal digits of a safe integer, worked in two halves below 1e8 so that all arithmetic stays in int32. */
function crcNumber(crc: number, value: number): number {
  let v = value;
  if (v < 0) {
    crc = crcByte(crc, 45);
    v = -v;
  }
  const hi = Math.floor(v / 1e8);
  const lo = (v - hi * 1e8) | 0;
  if (hi === 0) return crcInt(crc, lo, 0);
  return crcInt(crcInt(crc, hi, 0), lo, 8);
}

const digits = new Int32Array(8);

/** CRC of the digits of 0 ≤ n < 1e8, left-padded with zeros to `width`. */
function crcInt(crc: number, value: number, width: number): number {
  let n = value;
  let k = 0;
  do {
    const q = (n / 10) | 0;
    digits[k++] = n - q * 10;
    n = q;
  } while (n > 0);
  while (k < width) digits[k++] = 0;
  while (k > 0) crc = crcByte(crc, 48 + digits[--k]!);
  return crc;
}
