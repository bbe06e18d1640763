/**
 * A local SEC EDGAR on 127.0.0.1: data.sec.gov's submissions API (column arrays under filings.recent, newest first)
 * and www.sec.gov's current-filings Atom feed, both from one server. It keeps EDGAR's fair-access rules the way
 * EDGAR does (403 for a request without a declared User-Agent, 403 "Request Rate Threshold Exceeded" past 10
 * requests in a second) and counts the requests it refused. The demo serves a seeded stream of filings from it
 * (filing-stream.ts); the feed's tests serve the filings they need.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { zonedToEpochMs } from "../alpha-vantage/series.ts";
import { closeAtOnce, listenOnLoopback } from "../loopback-http.ts";

export interface LocalFiling {
  cik: string;
  company: string;
  form: string;
  items: string[];
  /** acceptance as US/Eastern wall time, "YYYY-MM-DDTHH:MM:SS" */
  acceptedEt: string;
  filingDate: string;
  accession: string;
}

export interface EdgarRequest {
  path: string;
  userAgent: string;
  atMs: number;
}

/** EDGAR's limit for one client, requests a second. */
const RATE_LIMIT = 10;
/** the submissions API lists a company's most recent 1000 filings under filings.recent */
const RECENT_PER_COMPANY = 1000;

const pad = (cik: string): string => cik.padStart(10, "0");
const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const ITEM_NAMES: Record<string, string> = {
  "1.01": "Entry into a Material Definitive Agreement",
  "2.02": "Results of Operations and Financial Condition",
  "5.02":
    "Departure of Directors or Certain Officers; Election of Directors; Appointment of Certain Officers: Compensatory Arrangements of Certain Officers",
  "5.07": "Submission of Matters to a Vote of Security Holders",
  "7.01": "Regulation FD Disclosure",
  "8.01": "Other Events",
  "9.01": "Financial Statements and Exhibits",
};

/** "2024-05-02T16:30:35" New York wall time → "2024-05-02T16:30:35-04:00" */
export function withEasternOffset(wall: string): string {
  const ms = zonedToEpochMs(wall.replace("T", " "), "America/New_York");
  const offMin = Math.round((Date.parse(`${wall}Z`) - ms) / 60_000);
  const sign = offMin < 0 ? "-" : "+";
  const a = Math.abs(offMin);
  return `${wall}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

export interface LocalEdgarOptions {
  /** filings kept, the oldest dropped first (default 5000): a long-running demo stays small */
  maxFilings?: number;
}

export class LocalEdgar {
  /** in the order filed */
  private readonly filings: LocalFiling[] = [];
  /** CIKs EDGAR knows (their submissions exist even with no filing); any CIK filed for is added */
  readonly companies = new Map<string, string>();
  /** requests refused for the rate or the User-Agent */
  violations = 0;
  /** entries the Atom feed lists (EDGAR: count, at most 100) */
  feedSize = 100;
  private readonly server = createServer((req, res) => this.http(req, res));
  /** arrival times (ms) of the requests of the last second, for the rate */
  private readonly lastSecond: number[] = [];
  private readonly maxFilings: number;
  private seq = 0;
  baseUrl = "";

  constructor(options: LocalEdgarOptions = {}) {
    this.maxFilings = options.maxFilings ?? 5000;
  }

  /** Listens on 127.0.0.1 (port 0: a free one). */
  async listen(port: number): Promise<this> {
    this.baseUrl = await listenOnLoopback(this.server, port);
    return this;
  }

  close(): Promise<void> {
    return closeAtOnce(this.server);
  }

  /**
   * A filing accepted at `acceptedEt` (New York wall time); without an accession one is made up from the CIK and a
   * counter.
   */
  file(f: Omit<LocalFiling, "accession" | "filingDate"> & { filingDate?: string; accession?: string }): LocalFiling {
    this.seq += 1;
    this.companies.set(pad(f.cik), f.company);
    const filing: LocalFiling = {
      ...f,
      cik: pad(f.cik),
      filingDate: f.filingDate ?? f.acceptedEt.slice(0, 10),
      accession: f.accession ?? `${pad(f.cik)}-24-${String(this.seq).padStart(6, "0")}`,
    };
    this.filings.push(filing);
    if (this.filings.length > this.maxFilings) this.filings.splice(0, this.filings.length - this.maxFilings);
    return filing;
  }

  /** A company EDGAR knows, with no filing yet. */
  company(cik: string, name: string): void {
    this.companies.set(pad(cik), name);
  }

  /** Each request as it arrives, before EDGAR's rules are applied. */
  protected received(r: EdgarRequest): void {
    this.lastSecond.push(r.atMs);
  }

  /** Requests received in the second up to `now`, this one included. */
  protected requestsInLastSecond(now: number): number {
    while (this.lastSecond.length > 0 && this.lastSecond[0]! <= now - 1000) this.lastSecond.shift();
    return this.lastSecond.length;
  }

  /** A reply in place of the one EDGAR would give (a test's fault); true when it answered. */
  protected intercepted(_req: IncomingMessage, _res: ServerResponse): boolean {
    return false;
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const userAgent = req.headers["user-agent"] ?? "";
    const now = Date.now();
    this.received({ path: url.pathname + url.search, userAgent, atMs: now });
    const html = (status: number, body: string): void => {
      res.writeHead(status, { "content-type": "text/html" });
      res.end(`<html><head><title>SEC.gov | ${body}</title></head><body><h1>${body}</h1></body></html>`);
    };
    if (!/\S+@\S+\.\S+/.test(userAgent)) {
      this.violations += 1;
      html(403, "Your Request Originates from an Undeclared Automated Tool");
      return;
    }
    if (this.requestsInLastSecond(now) > RATE_LIMIT) {
      this.violations += 1;
      html(403, "Request Rate Threshold Exceeded");
      return;
    }
    if (this.intercepted(req, res)) return;
    const sub = /^\/submissions\/CIK(\d{10})\.json$/.exec(url.pathname);
    if (sub) {
      this.submissions(sub[1]!, res);
      return;
    }
    if (
      url.pathname === "/cgi-bin/browse-edgar" &&
      url.searchParams.get("action") === "getcurrent" &&
      url.searchParams.get("output") === "atom"
    ) {
      this.atom(url.searchParams.get("type") ?? "", Number(url.searchParams.get("count") ?? 40), res);
      return;
    }
    res.writeHead(404, { "content-type": "application/xml" });
    res.end(
      "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
    );
  }

  private newestFirst(): LocalFiling[] {
    return [...this.filings].sort((a, b) => (a.acceptedEt < b.acceptedEt ? 1 : a.acceptedEt > b.acceptedEt ? -1 : 0));
  }

  private submissions(cik: string, res: ServerResponse): void {
    const mine = this.newestFirst()
      .filter((f) => f.cik === cik)
      .slice(0, RECENT_PER_COMPANY);
    if (!this.companies.has(cik)) {
      res.writeHead(404, { "content-type": "application/xml" });
      res.end("<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    const col = <K extends keyof LocalFiling>(k: K) => mine.map((f) => f[k]);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        cik: String(Number(cik)),
        entityType: "operating",
        sic: "3571",
        name: this.companies.get(cik),
        tickers: [],
        exchanges: [],
        filings: {
          recent: {
            accessionNumber: col("accession"),
            filingDate: col("filingDate"),
            reportDate: col("filingDate"),
            // EDGAR's own quirk: New York wall time with a "Z"
            acceptanceDateTime: mine.map((f) => `${f.acceptedEt}.000Z`),
            act: mine.map(() => "34"),
            form: col("form"),
            fileNumber: mine.map(() => "001-36743"),
            filmNumber: mine.map((_, i) => String(24_900_000 + i)),
            items: mine.map((f) => f.items.join(",")),
            size: mine.map(() => 31_337),
            isXBRL: mine.map(() => 1),
            isInlineXBRL: mine.map(() => 1),
            primaryDocument: mine.map((f) => `${f.accession.replaceAll("-", "")}.htm`),
            primaryDocDescription: col("form"),
          },
          files: [],
        },
      }),
    );
  }

  private atom(type: string, count: number, res: ServerResponse): void {
    const shown = this.newestFirst()
      .filter((f) => f.form.startsWith(type))
      .slice(0, Math.min(count, this.feedSize));
    const entries = shown.map((f) => {
      const summary = `<b>Filed:</b> ${f.filingDate} <b>AccNo:</b> ${f.accession} <b>Size:</b> 31 KB${f.items
        .map((i) => `<br>Item ${i}: ${ITEM_NAMES[i] ?? "Other"}`)
        .join("")}`;
      const folder = `${Number(f.cik)}/${f.accession.replaceAll("-", "")}`;
      return `<entry>
<title>${escapeXml(`${f.form} - ${f.company} (${f.cik}) (Filer)`)}</title>
<link rel="alternate" type="text/html" href="https://www.sec.gov/Archives/edgar/data/${folder}/${f.accession}-index.htm"/>
<summary type="html"> ${escapeXml(summary)}</summary>
<updated>${withEasternOffset(f.acceptedEt)}</updated>
<category scheme="https://www.sec.gov/" label="form type" term="${escapeXml(f.form)}"/>
<id>urn:tag:sec.gov,2008:accession-number=${f.accession}</id>
</entry>`;
    });
    res.writeHead(200, { "content-type": "application/atom+xml" });
    res.end(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Latest Filings</title>
<link rel="alternate" href="/cgi-bin/browse-edgar?action=getcurrent"/>
<link rel="self" href="/cgi-bin/browse-edgar?action=getcurrent"/>
<id>https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent</id>
<author><name>Webmaster</name><email>webmaster@sec.gov</email></author>
<updated>${new Date().toISOString().slice(0, 19)}-04:00</updated>
${entries.join("\n")}
</feed>
`);
  }
}

const easternParts = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** epoch ms → New York wall time "YYYY-MM-DDTHH:MM:SS", as EDGAR stamps acceptances */
export function easternWallTime(ms: number): string {
  const p = Object.fromEntries(easternParts.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}
