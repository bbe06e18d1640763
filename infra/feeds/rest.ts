/**
 * JSON over HTTP GET with the retries vendors expect: 429 and 5xx and dropped connections are retried with
 * backoff (Retry-After honoured), a body the vendor marks as rate-limited (Alpha Vantage answers 200 with a Note)
 * is retried the same way, and everything that leaves here (errors, issues) is redacted.
 */
import { type FeedBackoffPolicy, feedBackoffDelay, type CircuitBreaker, sleep } from "./backoff.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "./feed-error.ts";
import type { Redactor } from "./redact.ts";

/** What a vendor's body means beyond its HTTP status. */
export type BodyVerdict = { ok: true } | { rateLimited: string } | { error: FeedError };

export interface RestClientOptions {
  redactor: Redactor;
  backoff: FeedBackoffPolicy;
  /** retries after the first try, for rate limits, 5xx and network failures */
  maxRetries: number;
  random: () => number;
  breaker?: CircuitBreaker;
  fetch?: typeof fetch;
  /** longest Retry-After we will wait for, ms; longer ones are cut to this */
  maxRetryAfterMs?: number;
  onIssue?: (issue: FeedIssue) => void;
  onRateLimited?: () => void;
  signal?: AbortSignal;
  /** the vendor's own error shapes; called for every body, parsed (its text when not JSON or for getText) */
  classify?: (body: unknown, status: number) => BodyVerdict;
  /** sent with every request (SEC EDGAR refuses requests without a descriptive User-Agent) */
  headers?: Record<string, string>;
  /** waited on before every request, retries included: a vendor's request-rate limit (EDGAR: 10 per second) */
  pace?: () => Promise<void>;
}

export class RestClient {
  private readonly fetchFn: typeof fetch;
  constructor(private readonly opts: RestClientOptions) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  async getJson(url: URL): Promise<unknown> {
    return this.get(url, "json");
  }

  /** The body as text (an Atom or RSS feed), with the same retries and redaction. */
  async getText(url: URL): Promise<string> {
    return (await this.get(url, "text")) as string;
  }

  private async get(url: URL, as: "json" | "text"): Promise<unknown> {
    const { redactor, breaker } = this.opts;
    const shown = redactor.url(url);
    let lastError: FeedError | undefined;
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      if (this.opts.signal?.aborted) throw new FeedError(FeedErrorReason.Network, `GET ${shown}: stopped`);
      if (breaker && !breaker.tryAcquire()) {
        throw new FeedError(FeedErrorReason.CircuitOpen, `GET ${shown}: circuit open for another ${breaker.msUntilProbe()} ms`);
      }
      await this.opts.pace?.();
      const outcome = await this.once(url, shown, as);
      if ("body" in outcome) {
        breaker?.recordSuccess();
        return outcome.body;
      }
      lastError = outcome.error;
      if (!outcome.retry) {
        // a refused key or a bad request is the caller's to fix: it says nothing about the vendor's health
        breaker?.recordSuccess();
        throw outcome.error;
      }
      if (outcome.error.reason !== FeedErrorReason.RateLimited) breaker?.recordFailure();
      else breaker?.recordSuccess();
      if (attempt === this.opts.maxRetries) break;
      const wait = outcome.retryAfterMs ?? feedBackoffDelay(attempt, this.opts.backoff, this.opts.random);
      this.opts.onIssue?.({ reason: outcome.error.reason, detail: `${outcome.error.message}; retry ${attempt + 1} in ${wait} ms` });
      if (!(await sleep(wait, this.opts.signal))) break;
    }
    throw lastError ?? new FeedError(FeedErrorReason.Network, `GET ${shown}: stopped`);
  }

  private async once(
    url: URL,
    shown: string,
    as: "json" | "text",
  ): Promise<{ body: unknown } | { error: FeedError; retry: boolean; retryAfterMs?: number }> {
    const { redactor } = this.opts;
    let res: Response;
    let text: string;
    try {
      const accept = as === "json" ? "application/json" : "application/atom+xml, application/xml, text/xml";
      res = await this.fetchFn(url, { signal: this.opts.signal, headers: { accept, ...this.opts.headers } });
      text = await res.text();
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
      return { error: new FeedError(FeedErrorReason.Network, `GET ${shown}: ${redactor.error(e)}${redactor.text(cause)}`), retry: true };
    }
    let body: unknown = as === "text" && text.length ? text : undefined;
    if (as === "json") {
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
    }
    const snippet = redactor.text(text.slice(0, 200));
    if (res.status === 429 || res.status === 418) {
      this.opts.onRateLimited?.();
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), this.opts.maxRetryAfterMs ?? 60_000);
      return {
        error: new FeedError(FeedErrorReason.RateLimited, `GET ${shown}: HTTP ${res.status} rate limited: ${snippet}`, res.status),
        retry: true,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    if (res.status >= 500) {
      return { error: new FeedError(FeedErrorReason.HttpError, `GET ${shown}: HTTP ${res.status}: ${snippet}`, res.status), retry: true };
    }
    // a body that is not JSON reaches classify as its text (EDGAR's rate-limit page is HTML)
    const verdict = this.opts.classify?.(body ?? text, res.status) ?? { ok: true };
    if ("error" in verdict) return { error: verdict.error, retry: false };
    if ("rateLimited" in verdict) {
      this.opts.onRateLimited?.();
      return {
        error: new FeedError(FeedErrorReason.RateLimited, `GET ${shown}: rate limited: ${redactor.text(verdict.rateLimited)}`, res.status),
        retry: true,
      };
    }
    if (res.status === 401 || res.status === 403) {
      return {
        error: new FeedError(FeedErrorReason.AuthFailed, `GET ${shown}: HTTP ${res.status} credentials refused: ${snippet}`, res.status),
        retry: false,
      };
    }
    if (res.status >= 400) {
      return {
        error: new FeedError(FeedErrorReason.VendorError, `GET ${shown}: HTTP ${res.status}: ${snippet}`, res.status),
        retry: false,
      };
    }
    if (body === undefined) {
      return {
        error: new FeedError(
          FeedErrorReason.Malformed,
          `GET ${shown}: body is ${as === "json" ? "not JSON" : "empty"}: ${snippet}`,
          res.status,
        ),
        retry: false,
      };
    }
    return { body };
  }
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null, capMs: number): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(capMs, Math.round(secs * 1000));
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(capMs, Math.max(0, at - Date.now())) : undefined;
}
