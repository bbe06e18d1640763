/**
 * Polygon.io REST: aggregates (/v2/aggs) and, for closing gaps in the stream, trades and quotes (/v3). Follows
 * next_url pagination, re-adding the key (Polygon's next_url carries none) and only on the configured origin, so
 * a key is never sent to a host we were not told about.
 */
import { type FeedBackoffPolicy, CircuitBreaker, defaultBackoff, defaultBreaker, type BreakerPolicy } from "../backoff.ts";
import { emptyStats, FeedError, FeedErrorReason, type FeedIssue, type FeedStats } from "../feed-error.ts";
import type { RawBar, VendorQuote, VendorTrade } from "../record.ts";
import { Redactor } from "../redact.ts";
import { type BodyVerdict, RestClient } from "../rest.ts";
import { barFromAggregate, quoteFromRest, type Timespan, tradeFromRest } from "./convert.ts";

export interface PolygonRestOptions {
  apiKey: string;
  /** default https://api.polygon.io */
  baseUrl?: string;
  venue?: string;
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  /** most pages one call follows (a guard against a next_url loop) */
  maxPages?: number;
  random?: () => number;
  nowMs?: () => number;
  fetch?: typeof fetch;
  onIssue?: (issue: FeedIssue) => void;
  signal?: AbortSignal;
}

/** Polygon's error bodies: {"status":"ERROR","error":...} or {"status":"NOT_AUTHORIZED","message":...}. */
function classify(redactor: Redactor) {
  return (body: unknown, status: number): BodyVerdict => {
    if (typeof body !== "object" || body === null) return { ok: true };
    const b = body as { status?: unknown; error?: unknown; message?: unknown };
    const text = redactor.text(String(b.error ?? b.message ?? b.status ?? ""));
    if (status === 401 || status === 403 || b.status === "NOT_AUTHORIZED") {
      return { error: new FeedError(FeedErrorReason.AuthFailed, `Polygon refused the API key (HTTP ${status}): ${text}`, status) };
    }
    if (status === 429) return { rateLimited: text };
    if (b.status === "ERROR")
      return { error: new FeedError(FeedErrorReason.VendorError, `Polygon error (HTTP ${status}): ${text}`, status) };
    return { ok: true };
  };
}

export class PolygonRest {
  readonly redactor: Redactor;
  private readonly rest: RestClient;
  private readonly base: URL;
  private readonly venue: string;
  private readonly counters: FeedStats = emptyStats();

  constructor(private readonly opts: PolygonRestOptions) {
    if (!opts.apiKey) throw new FeedError(FeedErrorReason.AuthFailed, "Polygon: apiKey is empty (set it in the feed configuration)");
    this.redactor = new Redactor([opts.apiKey]);
    this.base = new URL(opts.baseUrl ?? "https://api.polygon.io");
    this.venue = opts.venue ?? "POLYGON";
    const random = opts.random ?? Math.random;
    this.rest = new RestClient({
      redactor: this.redactor,
      backoff: opts.backoff ?? defaultBackoff,
      maxRetries: opts.maxRetries ?? 5,
      random,
      breaker: new CircuitBreaker(opts.breaker ?? defaultBreaker, opts.nowMs ?? Date.now),
      classify: classify(this.redactor),
      onRateLimited: () => {
        this.counters.rateLimited += 1;
      },
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.onIssue ? { onIssue: opts.onIssue } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  stats(): FeedStats {
    return { ...this.counters };
  }

  /** Bars of `multiplier` × `timespan` opening in [fromMs, toMs], oldest first, across all pages. */
  async aggregates(ticker: string, multiplier: number, timespan: Timespan, fromMs: number, toMs: number): Promise<RawBar[]> {
    const url = new URL(`/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/${multiplier}/${timespan}/${fromMs}/${toMs}`, this.base);
    url.searchParams.set("adjusted", "true");
    url.searchParams.set("sort", "asc");
    url.searchParams.set("limit", "50000");
    return this.paged(url, (r) => barFromAggregate(r, ticker, this.venue, multiplier, timespan));
  }

  /** Trades with SIP time in [fromMs, toMs], oldest first. */
  trades(ticker: string, fromMs: number, toMs: number): Promise<VendorTrade[]> {
    return this.paged(this.ticks("trades", ticker, fromMs, toMs), (r) => tradeFromRest(r, ticker, this.venue));
  }

  /** Quotes (NBBO) with SIP time in [fromMs, toMs], oldest first. */
  quotes(ticker: string, fromMs: number, toMs: number): Promise<VendorQuote[]> {
    return this.paged(this.ticks("quotes", ticker, fromMs, toMs), (r) => quoteFromRest(r, ticker, this.venue));
  }

  private ticks(kind: "trades" | "quotes", ticker: string, fromMs: number, toMs: number): URL {
    const url = new URL(`/v3/${kind}/${encodeURIComponent(ticker)}`, this.base);
    url.searchParams.set("timestamp.gte", (BigInt(fromMs) * 1_000_000n).toString());
    url.searchParams.set("timestamp.lte", (BigInt(toMs) * 1_000_000n).toString());
    url.searchParams.set("order", "asc");
    url.searchParams.set("sort", "timestamp");
    url.searchParams.set("limit", "50000");
    return url;
  }

  /** Follows next_url; a malformed row is counted and reported, the rest of the page still delivered. */
  private async paged<T>(first: URL, convert: (row: unknown) => T): Promise<T[]> {
    const out: T[] = [];
    let url: URL | undefined = first;
    for (let page = 0; url && page < (this.opts.maxPages ?? 1000); page++) {
      url.searchParams.set("apiKey", this.opts.apiKey);
      const body = await this.rest.getJson(url);
      const b = body as { results?: unknown; next_url?: unknown };
      if (typeof body !== "object" || body === null || (b.results !== undefined && !Array.isArray(b.results))) {
        throw new FeedError(FeedErrorReason.Malformed, `Polygon ${this.redactor.url(url)}: results is not an array`);
      }
      for (const row of (b.results as unknown[] | undefined) ?? []) {
        try {
          out.push(convert(row));
        } catch (e) {
          this.counters.malformed += 1;
          this.opts.onIssue?.({ reason: FeedErrorReason.Malformed, detail: `Polygon ${first.pathname}: ${this.redactor.error(e)}` });
        }
      }
      url = this.nextPage(b.next_url);
    }
    return out;
  }

  private nextPage(next: unknown): URL | undefined {
    if (typeof next !== "string" || next.length === 0) return undefined;
    const url = new URL(next, this.base);
    if (url.origin !== this.base.origin) {
      throw new FeedError(
        FeedErrorReason.Malformed,
        `Polygon next_url points to ${url.origin}, not ${this.base.origin}: not sending the key there`,
      );
    }
    return url;
  }
}
