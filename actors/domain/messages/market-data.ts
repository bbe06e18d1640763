import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { instrumentId, stamped, micros, nonNegativeQuantity, positivePrice, positiveQuantity } from "./schemas.ts";

/** Normalised market data published by instrument actors on am.md.<channel>.<venue>.<symbol>. */
export const Quote = defineMessage(
  "Quote",
  1,
  z.object({
    instrument: instrumentId,
    bid: positivePrice,
    bidSize: nonNegativeQuantity,
    ask: positivePrice,
    askSize: nonNegativeQuantity,
    seq: z.number().int().nonnegative(),
    /** true when bid >= ask: passed on, flagged, never silently */
    crossed: z.boolean().optional(),
    ...stamped,
  }),
  "Top of book of one instrument.",
);
export type Quote = MessageOf<typeof Quote>;

export const Trade = defineMessage(
  "Trade",
  1,
  z.object({
    instrument: instrumentId,
    price: positivePrice,
    size: positiveQuantity,
    aggressor: z.enum(["BUY", "SELL", "NONE"]),
    tradeId: z.string().min(1).max(64),
    seq: z.number().int().nonnegative(),
    ...stamped,
  }),
  "A trade printed on the venue.",
);
export type Trade = MessageOf<typeof Trade>;

export const Bar = defineMessage(
  "Bar",
  1,
  z.object({
    instrument: instrumentId,
    /** e.g. "1s", "1m", "100t" (ticks), "10000v" (volume) */
    barType: z.string().regex(/^\d+(ms|s|m|h|d|t|v)$/),
    /** open time of the bar (time bars) or time of its first trade */
    tsOpen: micros,
    open: positivePrice,
    high: positivePrice,
    low: positivePrice,
    close: positivePrice,
    volume: nonNegativeQuantity,
    vwap: positivePrice,
    trades: z.number().int().nonnegative(),
    ...stamped,
  }),
  "An OHLCV bar with VWAP; tsEvent is the close time.",
);
export type Bar = MessageOf<typeof Bar>;

const level = z.tuple([positivePrice, nonNegativeQuantity]);
export const BookUpdate = defineMessage(
  "BookUpdate",
  1,
  z.object({
    instrument: instrumentId,
    /** snapshot replaces the book; delta sets levels (size 0 removes a level) */
    kind: z.enum(["snapshot", "delta"]),
    bids: z.array(level),
    asks: z.array(level),
    seq: z.number().int().nonnegative(),
    ...stamped,
  }),
  "An L2 book snapshot or incremental update: [price, size] levels.",
);
export type BookUpdate = MessageOf<typeof BookUpdate>;

export const GetBook = defineMessage(
  "GetBook",
  1,
  z.object({ instrument: instrumentId.optional(), depth: z.number().int().min(1).max(500).default(10), ...stamped }),
  "Top of book and the best `depth` L2 levels per side (request/reply to the instrument actor).",
);
export type GetBook = MessageOf<typeof GetBook>;

/**
 * One row of recorded L2 data replayed to a simulated exchange whose fill model is the L2 queue
 * (actors/exchange/l2-queue.ts): a level's whole size as of tsEvent, or a print. On am.md.book.<venue>.<symbol>.
 */
export const RecordedBookEvent = defineMessage(
  "RecordedBookEvent",
  1,
  z
    .object({
      instrument: instrumentId,
      event: z.enum(["level", "trade"]),
      /** a level's side (BID, ASK); a print's aggressor (BUY, SELL, or NONE where the data does not say) */
      side: z.enum(["BID", "ASK", "BUY", "SELL", "NONE"]),
      price: positivePrice,
      /** a level's size (0 removes it) or a print's size */
      size: nonNegativeQuantity,
      ...stamped,
    })
    .superRefine((m, ctx) => {
      const level = m.side === "BID" || m.side === "ASK";
      if (level !== (m.event === "level"))
        ctx.addIssue({
          code: "custom",
          path: ["side"],
          message: `${m.side} is not a side of a ${m.event} (level: BID or ASK; trade: BUY, SELL or NONE)`,
        });
    }),
  "A recorded L2 level or print replayed to the simulated exchange's L2 queue model (backtests).",
);
export type RecordedBookEvent = MessageOf<typeof RecordedBookEvent>;
