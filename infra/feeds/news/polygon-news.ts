/**
 * News headlines from Polygon.io's /v2/reference/news (the Benzinga-sourced ticker news REST API), polled per
 * ticker in publication order after the ticker's watermark (published_utc.gte, order=asc, following next_url pages),
 * each scored with the finance lexicon (lexicon.ts). Errors name the provider, the field and the URL, key redacted.
 */
import { type Clock, systemClock } from "../../../actors/contract/index.ts";
import type { NewsHeadline } from "../../../actors/domain/index.ts";
import type { Logger } from "../../telemetry/index.ts";
import { type BreakerPolicy, CircuitBreaker, defaultBreaker, type FeedBackoffPolicy, pollEvery } from "../backoff.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { Redactor } from "../redact.ts";
import { type BodyVerdict, RestClient } from "../rest.ts";
import type { Watermark } from "../session.ts";
import { headlineTone } from "./lexicon.ts";

export interface PolygonNewsOptions {
  apiKey: string;
  /** Polygon ticker → the instrument its headlines are about */
  tickers: ReadonlyMap<string, string>;
  onHeadline: (h: NewsHeadline) => void;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** default https://api.polygon.io */
  baseUrl?: string;
  /** time between polls, ms (default 60 000) */
  pollMs?: number;
  /** per ticker: publication time (ms) of the last headline delivered, and how many were delivered at it */
  resume?: Readonly<Record<string, Watermark>>;
  /** how far back the first poll of a ticker without a watermark reaches, ms (default one day) */
  lookbackMs?: number;
  /** articles per page (Polygon allows up to 1000) */
  pageSize?: number;
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  random?: () => number;
  clock?: Clock;
  fetch?: typeof fetch;
}

interface Mark {
  ms: number;
  count: number;
  seen: Set<string>;
}

export class PolygonNews {
  private readonly rest: RestClient;
  private readonly redactor: Redactor;
  private readonly base: URL;
  private readonly marks = new Map<string, Mark>();
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private loop: Promise<void> | undefined;
  private dropped = 0;

  constructor(private readonly opts: PolygonNewsOptions) {
    if (!opts.apiKey) throw new FeedError(FeedErrorReason.AuthFailed, "Polygon news: apiKey is empty (set AM_POLYGON_API_KEY)");
    this.redactor = new Redactor([opts.apiKey]);
    this.base = new URL(opts.baseUrl ?? "https://api.polygon.io");
    this.clock = opts.clock ?? systemClock;
    for (const [ticker, m] of Object.entries(opts.resume ?? {})) this.marks.set(ticker, { ms: m.tsMs, count: m.seq, seen: new Set() });
    this.rest = new RestClient({
      redactor: this.redactor,
      backoff: opts.backoff ?? { initialMs: 1_000, maxMs: 60_000, factor: 2 },
      maxRetries: opts.maxRetries ?? 4,
      random: opts.random ?? Math.random,
      breaker: new CircuitBreaker(opts.breaker ?? defaultBreaker, () => Math.floor(this.clock.nowUs() / 1000)),
      classify: classifyPolygon(this.redactor),
      signal: this.abort.signal,
      onIssue: (i) => this.issue(i),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /** Polls every ticker once (rejecting on a refused key), then keeps polling until stop(). */
  async start(): Promise<void> {
    await this.pollAll();
    this.loop = pollEvery(
      this.opts.pollMs ?? 60_000,
      this.abort.signal,
      () => this.pollAll(),
      (e) => this.issue({ reason: e instanceof FeedError ? e.reason : FeedErrorReason.Network, detail: this.redactor.error(e) }),
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  watermarks(): Record<string, Watermark> {
    return Object.fromEntries([...this.marks].map(([t, m]) => [t, { seq: m.count, tsMs: m.ms }]));
  }

  duplicates(): number {
    return this.dropped;
  }

  async pollAll(): Promise<void> {
    for (const ticker of this.opts.tickers.keys()) {
      if (this.abort.signal.aborted) return;
      await this.poll(ticker);
    }
  }

  /** Every page of a ticker's headlines from its watermark on, oldest first. */
  async poll(ticker: string): Promise<void> {
    const from = this.marks.get(ticker)?.ms ?? Math.floor(this.clock.nowUs() / 1000) - (this.opts.lookbackMs ?? 86_400_000);
    let url: URL | undefined = new URL("/v2/reference/news", this.base);
    url.searchParams.set("ticker", ticker);
    url.searchParams.set("published_utc.gte", new Date(from).toISOString().replace(/\.\d{3}Z$/, "Z"));
    url.searchParams.set("order", "asc");
    url.searchParams.set("sort", "published_utc");
    url.searchParams.set("limit", String(this.opts.pageSize ?? 100));
    while (url) {
      url.searchParams.set("apiKey", this.opts.apiKey);
      const shown = this.redactor.url(url);
      const body = (await this.rest.getJson(url).catch((e: unknown) => named(e, shown))) as { results?: unknown; next_url?: unknown };
      if (!Array.isArray(body?.results)) throw new FeedError(FeedErrorReason.Malformed, `Polygon news ${shown}: results is not an array`);
      body.results.forEach((a: unknown, n: number) => {
        try {
          this.deliver(ticker, a);
        } catch (e) {
          this.issue({ reason: FeedErrorReason.Malformed, detail: `Polygon news ${shown}: results[${n}]: ${(e as Error).message}` });
        }
      });
      url = typeof body.next_url === "string" && body.next_url ? new URL(body.next_url) : undefined;
    }
  }

  private deliver(ticker: string, a: unknown): void {
    const art = a as Record<string, unknown>;
    const text = (field: string, max: number): string => {
      const v = art[field];
      if (typeof v !== "string") throw new TypeError(`${field} ${JSON.stringify(v)} is not a string`);
      return v.slice(0, max);
    };
    const id = text("id", 128);
    const title = text("title", 1024);
    if (!id || !title) throw new TypeError("id and title must not be empty");
    const published = text("published_utc", 40);
    const ms = Date.parse(published);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(published) || !Number.isFinite(ms))
      throw new TypeError(`published_utc ${JSON.stringify(published)} is not an ISO UTC time`);
    const publisher = (art.publisher as { name?: unknown } | undefined)?.name;
    const description = typeof art.description === "string" ? art.description : "";
    const m = this.marks.get(ticker);
    if (m && ms < m.ms) {
      this.dropped += 1;
      return;
    }
    if (m && ms === m.ms) {
      // the query starts at the watermark's second: its articles come again (a resumed session skips `count`)
      if (m.seen.has(id) || m.seen.size < m.count) {
        m.seen.add(id);
        this.dropped += 1;
        return;
      }
      m.seen.add(id);
      m.count = m.seen.size;
    } else this.marks.set(ticker, { ms, count: 1, seen: new Set([id]) });
    const tone = headlineTone(`${title}. ${description}`);
    this.opts.onHeadline({
      instrument: this.opts.tickers.get(ticker)!,
      id,
      publisher: typeof publisher === "string" ? publisher.slice(0, 128) : "",
      title,
      url: typeof art.article_url === "string" ? art.article_url.slice(0, 1024) : "",
      sentiment: tone.score,
      positive: tone.positive,
      negative: tone.negative,
      tsEvent: ms * 1000,
      tsInit: this.clock.nowUs(),
    });
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("polygon news feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}

/** The provider, then the URL (the client's own errors already start GET <url>). */
function named(e: unknown, shown: string): never {
  if (e instanceof FeedError)
    throw new FeedError(
      e.reason,
      e.message.startsWith("GET ") ? `Polygon news ${e.message}` : `Polygon news GET ${shown}: ${e.message}`,
      e.status,
    );
  throw e;
}

/** Polygon's error bodies: {"status":"ERROR"|"NOT_AUTHORIZED","request_id":..,"error"|"message":..}. */
function classifyPolygon(redactor: Redactor) {
  return (body: unknown, status: number): BodyVerdict => {
    if (typeof body !== "object" || body === null) return { ok: true };
    const b = body as { status?: unknown; error?: unknown; message?: unknown };
    const text = redactor.text(String(b.error ?? b.message ?? b.status ?? ""));
    if (status === 401 || status === 403 || b.status === "NOT_AUTHORIZED")
      return { error: new FeedError(FeedErrorReason.AuthFailed, `refused the API key (HTTP ${status}): ${text}`, status) };
    if (status === 429) return { rateLimited: text };
    if (b.status === "ERROR") return { error: new FeedError(FeedErrorReason.VendorError, `HTTP ${status}: ${text}`, status) };
    return { ok: true };
  };
}
