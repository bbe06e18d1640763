/**
 * Alpha Vantage bars by polling TIME_SERIES_INTRADAY or TIME_SERIES_DAILY. Each poll delivers only bars newer than
 * the last one delivered per symbol, so retries and overlapping replies never repeat a bar; when the gap since the
 * last bar is wider than a compact reply covers (100 bars), the poll asks for outputsize=full.
 */
import { type Clock, systemClock } from "../../../actors/contract/index.ts";
import type { Logger } from "../../telemetry/index.ts";
import { type FeedBackoffPolicy, type BreakerPolicy, CircuitBreaker, defaultBreaker, sleep } from "../backoff.ts";
import { emptyStats, FeedError, FeedErrorReason, type FeedIssue, type FeedStats } from "../feed-error.ts";
import type { RawBar, RawFeedSink } from "../record.ts";
import { Redactor } from "../redact.ts";
import { RestClient } from "../rest.ts";
import { classify, parseSeries, type SeriesSpec, specMs } from "./series.ts";

export interface AlphaVantageBarsOptions {
  apiKey: string;
  symbols: string[];
  series: SeriesSpec;
  onRecord: RawFeedSink;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** default https://www.alphavantage.co */
  baseUrl?: string;
  venue?: string;
  /** time between polls, ms; default one interval of the series */
  pollMs?: number;
  /** Alpha Vantage's free tier allows a few calls a minute: the default backoff starts at 15 s */
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  random?: () => number;
  clock?: Clock;
  fetch?: typeof fetch;
}

export class AlphaVantageBars {
  private readonly rest: RestClient;
  private readonly redactor: Redactor;
  private readonly base: URL;
  private readonly venue: string;
  private readonly last = new Map<string, number>();
  private readonly counters: FeedStats = emptyStats();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: AlphaVantageBarsOptions) {
    if (!opts.apiKey) throw new FeedError(FeedErrorReason.AuthFailed, "Alpha Vantage: apiKey is empty (set it in the feed configuration)");
    this.redactor = new Redactor([opts.apiKey]);
    this.base = new URL(opts.baseUrl ?? "https://www.alphavantage.co");
    this.venue = opts.venue ?? "ALPHAVANTAGE";
    const clock = opts.clock ?? systemClock;
    this.rest = new RestClient({
      redactor: this.redactor,
      backoff: opts.backoff ?? { initialMs: 15_000, maxMs: 120_000, factor: 2 },
      maxRetries: opts.maxRetries ?? 4,
      random: opts.random ?? Math.random,
      breaker: new CircuitBreaker(opts.breaker ?? defaultBreaker, () => Math.floor(clock.nowUs() / 1000)),
      classify: classify(this.redactor),
      signal: this.abort.signal,
      onIssue: (i) => this.issue(i),
      onRateLimited: () => {
        this.counters.rateLimited += 1;
      },
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /** Polls once for every symbol (rejecting on a refused key), then keeps polling until stop(). */
  async start(): Promise<void> {
    await this.pollAll(true);
    this.loop = (async () => {
      while (await sleep(this.opts.pollMs ?? specMs(this.opts.series), this.abort.signal)) await this.pollAll(false);
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  stats(): FeedStats {
    return { ...this.counters };
  }

  /** One request: the series for `symbol`, oldest first. Rows that cannot be read are counted and reported. */
  async fetchBars(symbol: string, outputsize: "compact" | "full" = "compact"): Promise<RawBar[]> {
    const url = new URL("/query", this.base);
    url.searchParams.set("function", this.opts.series.fn);
    url.searchParams.set("symbol", symbol);
    if (this.opts.series.fn === "TIME_SERIES_INTRADAY") url.searchParams.set("interval", this.opts.series.interval);
    url.searchParams.set("outputsize", outputsize);
    url.searchParams.set("apikey", this.opts.apiKey);
    const body = await this.rest.getJson(url).catch((e: unknown) => {
      if (e instanceof FeedError && e.reason === FeedErrorReason.Malformed) this.counters.malformed += 1;
      throw e;
    });
    let parsed: ReturnType<typeof parseSeries>;
    try {
      parsed = parseSeries(body, this.opts.series, symbol, this.venue);
    } catch (e) {
      this.counters.malformed += 1;
      throw new FeedError(FeedErrorReason.Malformed, `Alpha Vantage ${this.redactor.url(url)}: ${this.redactor.error(e)}`);
    }
    for (const r of parsed.rejected) {
      this.counters.malformed += 1;
      this.issue({ reason: FeedErrorReason.Malformed, detail: `Alpha Vantage ${symbol}: ${this.redactor.text(r)}` });
    }
    return parsed.bars;
  }

  private async pollAll(first: boolean): Promise<void> {
    for (const symbol of this.opts.symbols) {
      if (this.abort.signal.aborted) return;
      try {
        await this.poll(symbol);
      } catch (e) {
        const err = e instanceof FeedError ? e : new FeedError(FeedErrorReason.Network, this.redactor.error(e));
        if (first && err.reason === FeedErrorReason.AuthFailed) throw err;
        // the next poll asks again from the last delivered bar, so a failed poll leaves no gap
        this.issue({ reason: err.reason, detail: err.message });
      }
    }
  }

  private async poll(symbol: string): Promise<void> {
    const last = this.last.get(symbol);
    let bars = await this.fetchBars(symbol, "compact");
    const oldest = bars[0];
    if (last !== undefined && oldest && oldest.tsOpen > last) {
      // the compact window (the latest 100 bars) starts after our last bar: the gap needs the full history
      bars = await this.fetchBars(symbol, "full");
    }
    for (const bar of bars) {
      if (last !== undefined && bar.tsOpen <= (this.last.get(symbol) ?? last)) {
        this.counters.duplicatesDropped += 1;
        continue;
      }
      this.last.set(symbol, bar.tsOpen);
      this.counters.delivered += 1;
      this.opts.onRecord(bar);
    }
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("alpha vantage feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}
