/**
 * Raw feed records: what a vendor connector hands on, normalised in shape but untrusted in content. The instrument
 * actor validates them (am.feed.<source>.<venue>.<symbol> → am.md.*). Prices and quantities are fixed-point units
 * (actors/domain/fixed.ts); timestamps are integer microseconds since the epoch.
 */
import type { Filing, NewsHeadline, Price, Quantity, SeriesObservation } from "../../actors/domain/index.ts";

interface RawBase {
  /** the vendor connector that produced it: "polygon", "alpha-vantage", "binance" */
  source: string;
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** the vendor's sequence number where it has one (Polygon q, Binance u); for bars the open time in ms */
  seq: number;
  /** when it happened at the vendor, µs */
  tsEvent: number;
}

export interface VendorQuote extends RawBase {
  kind: "quote";
  bid: Price;
  bidSize: Quantity;
  ask: Price;
  askSize: Quantity;
}

export interface VendorTrade extends RawBase {
  kind: "trade";
  price: Price;
  size: Quantity;
  aggressor: "BUY" | "SELL" | "NONE";
  tradeId: string;
}

export interface RawBar extends RawBase {
  kind: "bar";
  /** "1s", "1m", "5m", "1d" ... as in the Bar message */
  barType: string;
  /** open time of the bar, µs */
  tsOpen: number;
  open: Price;
  high: Price;
  low: Price;
  close: Price;
  volume: Quantity;
  vwap?: Price;
  trades?: number;
}

export type VendorBookLevel = [price: Price, size: Quantity];

export interface RawBook extends RawBase {
  kind: "book";
  /** a snapshot replaces the book; a delta sets levels (size 0 removes one) */
  update: "snapshot" | "delta";
  bids: VendorBookLevel[];
  asks: VendorBookLevel[];
  /** first vendor update id covered by a delta (Binance U); seq is the last (u) */
  firstSeq?: number;
}

export type RawFeedRecord = VendorQuote | VendorTrade | RawBar | RawBook;

export type RawFeedSink = (record: RawFeedRecord) => void;

/**
 * Alternative data, already normalised by its connector (the instrument it concerns resolved from the feed's own
 * table): the adapter publishes it on am.md.<kind>.<venue>.<symbol> as it is.
 */
export type AltDataRecord = ({ kind: "filing" } & Filing) | ({ kind: "news" } & NewsHeadline) | ({ kind: "series" } & SeriesObservation);

export type AltDataSink = (record: AltDataRecord) => void;
