/** Vendor market-data connectors: each emits raw (untrusted) feed records through a callback. */
export { type FeedBackoffPolicy, feedBackoffDelay, type BreakerPolicy, FeedBreakerState, CircuitBreaker } from "./backoff.ts";
export { emptyStats, FeedError, FeedErrorReason, type FeedIssue, type FeedStats } from "./feed-error.ts";
export type { VendorBookLevel, RawBar, RawBook, RawFeedRecord, RawFeedSink, VendorQuote, VendorTrade } from "./record.ts";
export { Redactor } from "./redact.ts";
export { AlphaVantageBars, type AlphaVantageBarsOptions } from "./alpha-vantage/bars.ts";
export type { Interval as AlphaVantageInterval, SeriesSpec as AlphaVantageSeries } from "./alpha-vantage/series.ts";
export { BinanceDepth, type BinanceDepthOptions } from "./binance/depth.ts";
export { DepthSync } from "./binance/depth-sync.ts";
export { PolygonRest, type PolygonRestOptions } from "./polygon/rest.ts";
export { PolygonStream, type PolygonStreamOptions } from "./polygon/stream.ts";
export { FeedId, openSession, type SessionHooks, type VendorSession, type VendorSpec, type Watermark } from "./session.ts";
