/** Why a feed operation failed; callers branch on the reason, never on the message text. */
export const FeedErrorReason = {
  /** the vendor refused the credentials: retrying will not help */
  AuthFailed: "AUTH_FAILED",
  /** 429, or Alpha Vantage's Note/Information: retried with backoff, reported when retries are spent */
  RateLimited: "RATE_LIMITED",
  /** the vendor answered with an error of its own (bad symbol, bad parameter) */
  VendorError: "VENDOR_ERROR",
  /** an HTTP status the vendor does not document as an error reply */
  HttpError: "HTTP_ERROR",
  /** connection refused, reset, or dropped */
  Network: "NETWORK",
  /** a vendor message that does not have the documented shape */
  Malformed: "MALFORMED",
  /** the circuit breaker is open: calls fail fast until the cool-down ends */
  CircuitOpen: "CIRCUIT_OPEN",
  /** a book sequence gap or a backfill that could not close a gap */
  Gap: "GAP",
} as const;
export type FeedErrorReason = (typeof FeedErrorReason)[keyof typeof FeedErrorReason];

/** A feed failure. Its message is already redacted: it never carries an API key. */
export class FeedError extends Error {
  override name = "FeedError";
  constructor(
    readonly reason: FeedErrorReason,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Something worth a counter and a log line that is not the caller's problem (a malformed message, a retry). */
export interface FeedIssue {
  reason: FeedErrorReason;
  /** redacted */
  detail: string;
}

/** Counters a connector keeps; read them with stats(). */
export interface FeedStats {
  delivered: number;
  malformed: number;
  duplicatesDropped: number;
  backfilled: number;
  reconnects: number;
  rateLimited: number;
  resyncs: number;
}

export const emptyStats = (): FeedStats => ({
  delivered: 0,
  malformed: 0,
  duplicatesDropped: 0,
  backfilled: 0,
  reconnects: 0,
  rateLimited: 0,
  resyncs: 0,
});
