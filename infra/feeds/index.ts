/** Vendor market-data connectors: each emits raw (untrusted) feed records through a callback. */
export { type FeedBackoffPolicy, feedBackoffDelay, type BreakerPolicy, FeedBreakerState, CircuitBreaker } from "./backoff.ts";
export { emptyStats, FeedError, FeedErrorReason, type FeedIssue, type FeedStats } from "./feed-error.ts";
export type {
  AltDataRecord,
  AltDataSink,
  VendorBookLevel,
  RawBar,
  RawBook,
  RawFeedRecord,
  RawFeedSink,
  VendorQuote,
  VendorTrade,
} from "./record.ts";
export { EDGAR_MAX_REQUESTS_PER_SECOND, EdgarFilings, type EdgarFilingsOptions } from "./edgar/edgar.ts";
export { PolygonNews, type PolygonNewsOptions } from "./news/polygon-news.ts";
export { headlineTone, type HeadlineTone } from "./news/lexicon.ts";
export { FileDrop, type FileDropOptions, type FileOutcome } from "./file-drop/file-drop.ts";
export { type FileDropSchema, FileDropSchemaError, parseFileDropSchema } from "./file-drop/schema.ts";
export { Redactor } from "./redact.ts";
export { AlphaVantageBars, type AlphaVantageBarsOptions } from "./alpha-vantage/bars.ts";
export type { Interval as AlphaVantageInterval, SeriesSpec as AlphaVantageSeries } from "./alpha-vantage/series.ts";
export { BinanceDepth, type BinanceDepthOptions } from "./binance/depth.ts";
export { DepthSync } from "./binance/depth-sync.ts";
export { PolygonRest, type PolygonRestOptions } from "./polygon/rest.ts";
export { PolygonStream, type PolygonStreamOptions } from "./polygon/stream.ts";
export { FeedId, openSession, type SessionHooks, type VendorSession, type VendorSpec, type Watermark } from "./session.ts";
