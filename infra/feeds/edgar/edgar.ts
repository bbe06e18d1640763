/**
 * SEC EDGAR 8-K filings for the companies of a CIK → instrument table. On start each company's submissions
 * (data.sec.gov/submissions/CIK##########.json) fill in the filings after its watermark; then the current-filings
 * Atom feed is polled for new ones, and when a poll finds the feed no longer reaches back to the previous poll
 * (more filings in between than it lists) the submissions are read again. EDGAR's fair-access rules are kept: a
 * descriptive User-Agent with a contact address on every request, and at most 10 requests a second.
 */
import { type Clock, systemClock } from "../../../actors/contract/index.ts";
import type { Filing } from "../../../actors/domain/index.ts";
import type { Logger } from "../../telemetry/index.ts";
import { type BreakerPolicy, CircuitBreaker, defaultBreaker, type FeedBackoffPolicy, pollEvery } from "../backoff.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import { RequestPacer } from "../pace.ts";
import { Redactor } from "../redact.ts";
import { type BodyVerdict, RestClient } from "../rest.ts";
import type { Watermark } from "../session.ts";
import { type EdgarFiling, padCik, parseCurrentAtom, parseSubmissions } from "./filings.ts";

/** EDGAR's published limit for one client. */
export const EDGAR_MAX_REQUESTS_PER_SECOND = 10;

export interface EdgarFilingsOptions {
  /** "Company Name admin@company.com": EDGAR refuses automated requests without one */
  userAgent: string;
  /** CIK (any padding) → the instruments its filings concern */
  companies: ReadonlyMap<string, readonly string[]>;
  onFiling: (f: Filing) => void;
  onIssue?: (issue: FeedIssue) => void;
  logger?: Logger;
  /** default https://data.sec.gov */
  dataUrl?: string;
  /** default https://www.sec.gov */
  wwwUrl?: string;
  /** form prefixes delivered, default ["8-K"] (8-K and 8-K/A) */
  forms?: string[];
  /** time between Atom polls, ms (default 60 000) */
  pollMs?: number;
  /** at most EDGAR_MAX_REQUESTS_PER_SECOND */
  requestsPerSecond?: number;
  /** per CIK: acceptance time (ms) of the last filing delivered */
  resume?: Readonly<Record<string, Watermark>>;
  backoff?: FeedBackoffPolicy;
  breaker?: BreakerPolicy;
  maxRetries?: number;
  random?: () => number;
  clock?: Clock;
  fetch?: typeof fetch;
}

const UA = /^\S.*\s[^\s@]+@[^\s@]+\.[^\s@]+/;

export class EdgarFilings {
  private readonly rest: RestClient;
  private readonly redactor = new Redactor([]);
  private readonly data: URL;
  private readonly www: URL;
  private readonly forms: string[];
  private readonly companies = new Map<string, readonly string[]>();
  /**
   * per CIK: acceptance ms of the newest filing delivered, and how many were delivered at that very time (several
   * filings may share a second); `seen` names them within this session
   */
  private readonly marks = new Map<string, { ms: number; count: number; seen: Set<string> }>();
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private newestSeenMs = 0;
  private loop: Promise<void> | undefined;
  private dropped = 0;

  constructor(private readonly opts: EdgarFilingsOptions) {
    if (!UA.test(opts.userAgent))
      throw new FeedError(
        FeedErrorReason.AuthFailed,
        `SEC EDGAR: userAgent ${JSON.stringify(opts.userAgent)} must name the company and a contact address, e.g. "Acme Research admin@acme.com" (EDGAR refuses undeclared automated tools)`,
      );
    const rate = opts.requestsPerSecond ?? EDGAR_MAX_REQUESTS_PER_SECOND;
    if (!(rate > 0 && rate <= EDGAR_MAX_REQUESTS_PER_SECOND))
      throw new FeedError(
        FeedErrorReason.VendorError,
        `SEC EDGAR: requestsPerSecond ${rate} must be in (0, ${EDGAR_MAX_REQUESTS_PER_SECOND}]`,
      );
    for (const [cik, instruments] of opts.companies) {
      if (!/^\d{1,10}$/.test(cik))
        throw new FeedError(FeedErrorReason.VendorError, `SEC EDGAR: CIK ${JSON.stringify(cik)} is not 1-10 digits`);
      this.companies.set(padCik(cik), instruments);
    }
    for (const [cik, m] of Object.entries(opts.resume ?? {})) this.marks.set(padCik(cik), { ms: m.tsMs, count: m.seq, seen: new Set() });
    this.data = new URL(opts.dataUrl ?? "https://data.sec.gov");
    this.www = new URL(opts.wwwUrl ?? "https://www.sec.gov");
    this.forms = opts.forms ?? ["8-K"];
    this.clock = opts.clock ?? systemClock;
    const nowMs = () => Math.floor(this.clock.nowUs() / 1000);
    const pacer = new RequestPacer(rate, Date.now, this.abort.signal);
    this.rest = new RestClient({
      redactor: this.redactor,
      backoff: opts.backoff ?? { initialMs: 1_000, maxMs: 60_000, factor: 2 },
      maxRetries: opts.maxRetries ?? 4,
      random: opts.random ?? Math.random,
      breaker: new CircuitBreaker(opts.breaker ?? defaultBreaker, nowMs),
      headers: { "user-agent": opts.userAgent },
      pace: () => pacer.wait(),
      classify: classifyEdgar,
      signal: this.abort.signal,
      onIssue: (i) => this.issue(i),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  /**
   * Notes where the Atom feed stands (delivering nothing: the submissions hold those filings too), backfills every
   * company from its submissions (rejecting on a refused request), then polls the feed; a later poll whose oldest
   * entry is newer than the feed stood at the poll before reads the submissions again, so nothing falls between.
   */
  async start(): Promise<void> {
    await this.pollCurrent(false);
    await this.backfill();
    // the next poll (or its backfill) asks again from the watermarks, so a failed poll leaves no gap
    this.loop = pollEvery(
      this.opts.pollMs ?? 60_000,
      this.abort.signal,
      () => this.pollCurrent(),
      (e) => this.issue({ reason: e instanceof FeedError ? e.reason : FeedErrorReason.Network, detail: this.redactor.error(e) }),
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** per CIK: the acceptance time of the last filing delivered (tsMs) and how many were delivered at it (seq) */
  watermarks(): Record<string, Watermark> {
    return Object.fromEntries([...this.marks].map(([cik, m]) => [cik, { seq: m.count, tsMs: m.ms }]));
  }

  duplicates(): number {
    return this.dropped;
  }

  /** Every company's filings after its watermark, from the submissions API. */
  async backfill(): Promise<void> {
    for (const cik of this.companies.keys()) {
      if (this.abort.signal.aborted) return;
      const url = new URL(`/submissions/CIK${cik}.json`, this.data);
      const body = await this.rest.getJson(url).catch(named);
      let parsed: ReturnType<typeof parseSubmissions>;
      try {
        parsed = parseSubmissions(body, cik, this.forms, this.www);
      } catch (e) {
        throw new FeedError(FeedErrorReason.Malformed, `SEC EDGAR ${this.redactor.url(url)}: ${(e as Error).message}`);
      }
      for (const r of parsed.rejected)
        this.issue({ reason: FeedErrorReason.Malformed, detail: `SEC EDGAR ${this.redactor.url(url)}: ${r}` });
      // the API lists newest first: deliver oldest first so the watermark only moves forward
      for (const f of parsed.filings.sort(inOrder)) this.deliver(f);
    }
  }

  /** One poll of the current 8-K filings; reads the submissions again when the feed skipped past the last poll. */
  async pollCurrent(deliver = true): Promise<void> {
    const url = new URL("/cgi-bin/browse-edgar", this.www);
    for (const [k, v] of Object.entries({
      action: "getcurrent",
      type: this.forms[0] ?? "8-K",
      owner: "include",
      count: "100",
      output: "atom",
    }))
      url.searchParams.set(k, v);
    const xml = await this.rest.getText(url).catch(named);
    let parsed: ReturnType<typeof parseCurrentAtom>;
    try {
      parsed = parseCurrentAtom(xml, this.forms);
    } catch (e) {
      throw new FeedError(FeedErrorReason.Malformed, `SEC EDGAR ${this.redactor.url(url)}: ${(e as Error).message}`);
    }
    for (const r of parsed.rejected) this.issue({ reason: FeedErrorReason.Malformed, detail: `SEC EDGAR ${this.redactor.url(url)}: ${r}` });
    const times = parsed.filings.map((f) => f.acceptedMs);
    const oldest = Math.min(...times);
    if (deliver && this.newestSeenMs > 0 && times.length > 0 && oldest > this.newestSeenMs) {
      this.issue({
        reason: FeedErrorReason.Gap,
        detail: `SEC EDGAR ${this.redactor.url(url)}: the feed starts after the last poll; reading submissions`,
      });
      await this.backfill();
    }
    if (deliver) for (const f of parsed.filings.sort(inOrder)) if (this.companies.has(f.cik)) this.deliver(f);
    if (times.length) this.newestSeenMs = Math.max(this.newestSeenMs, ...times);
  }

  private deliver(f: EdgarFiling): void {
    const m = this.marks.get(f.cik);
    if (m && f.acceptedMs < m.ms) {
      this.dropped += 1;
      return;
    }
    if (m && f.acceptedMs === m.ms) {
      // filings of one second come in accession order from both sources: a resumed session skips the first `count`
      if (m.seen.has(f.accession) || m.seen.size < m.count) {
        m.seen.add(f.accession);
        this.dropped += 1;
        return;
      }
      m.seen.add(f.accession);
      m.count = m.seen.size;
    } else this.marks.set(f.cik, { ms: f.acceptedMs, count: 1, seen: new Set([f.accession]) });
    const tsInit = this.clock.nowUs();
    for (const instrument of this.companies.get(f.cik) ?? [])
      this.opts.onFiling({
        instrument,
        cik: f.cik,
        accession: f.accession,
        form: f.form,
        items: f.items,
        filingDate: f.filingDate,
        url: f.url,
        tsEvent: f.acceptedMs * 1000,
        tsInit,
      });
  }

  private issue(i: FeedIssue): void {
    this.opts.logger?.warn("sec edgar feed issue", { reason: i.reason, detail: i.detail });
    this.opts.onIssue?.(i);
  }
}

/** Oldest first; filings of the same second in accession order. */
const inOrder = (a: EdgarFiling, b: EdgarFiling): number =>
  a.acceptedMs - b.acceptedMs || (a.accession < b.accession ? -1 : a.accession > b.accession ? 1 : 0);

/** The client's errors say GET <url>: what; ours name the provider first. */
function named(e: unknown): never {
  if (e instanceof FeedError) throw new FeedError(e.reason, `SEC EDGAR ${e.message}`, e.status);
  throw e;
}

/** EDGAR answers an exceeded rate with 403 and a "Request Rate Threshold Exceeded" page: a rate limit, not a refusal. */
function classifyEdgar(body: unknown, status: number): BodyVerdict {
  if (status === 403 && typeof body === "string" && /Request Rate Threshold Exceeded/i.test(body))
    return { rateLimited: "Request Rate Threshold Exceeded" };
  return { ok: true };
}
