import type { Bar, Quote, RawQuote, RawTrade, Trade } from "../../domain/index.ts";

/**
 * What a replay feed publishes: raw quotes and trades (am.feed.replay.*, validated again by the instrument actor,
 * as live feed input is) and recorded bars as Bar messages. Each is due at its tsEvent; a bar's tsEvent is its
 * close time, so a replayed bar never appears before the market could have known it.
 */
export type ReplayRecord = ({ type: "RawQuote" } & RawQuote) | ({ type: "RawTrade" } & RawTrade) | ({ type: "Bar" } & Bar);

/** A recorded quote as feed input again; the recorded tsInit is kept so that a replay is reproducible. */
export const quoteRecord = (q: Quote): ReplayRecord => ({
  type: "RawQuote",
  instrument: q.instrument,
  bid: q.bid,
  bidSize: q.bidSize,
  ask: q.ask,
  askSize: q.askSize,
  seq: q.seq,
  tsEvent: q.tsEvent,
  tsInit: q.tsInit,
});

export const tradeRecord = (x: Trade): ReplayRecord => ({
  type: "RawTrade",
  instrument: x.instrument,
  price: x.price,
  size: x.size,
  aggressor: x.aggressor,
  tradeId: x.tradeId,
  tsEvent: x.tsEvent,
  tsInit: x.tsInit,
});

export const barRecord = (b: Bar): ReplayRecord => ({ type: "Bar", ...b });
