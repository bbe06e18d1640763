/**
 * A local Polygon.io /v2/reference/news on 127.0.0.1: results in its JSON shape (id, publisher{name,...}, title,
 * author, published_utc, article_url, tickers, description, keywords), filtered by ticker and published_utc.gte,
 * ordered by published_utc, paged with a next_url cursor that (like Polygon's) carries no key; its error bodies
 * for a refused key. The demo serves a seeded stream of headlines from it (headline-stream.ts); the feed's tests
 * serve the articles they need.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeAtOnce, listenOnLoopback } from "../loopback-http.ts";

export interface LocalArticle {
  id: string;
  title: string;
  description: string;
  published_utc: string;
  tickers: string[];
  publisher: string;
}

export interface LocalPolygonNewsOptions {
  /** articles kept, the earliest published dropped first (default 10 000): a long-running demo stays small */
  maxArticles?: number;
}

export class LocalPolygonNews {
  /** by publication time, then in the order published */
  private readonly articles: { ms: number; article: LocalArticle }[] = [];
  private readonly server = createServer((req, res) => this.http(req, res));
  private readonly maxArticles: number;
  private published = 0;
  baseUrl = "";

  constructor(
    private readonly apiKey: string,
    options: LocalPolygonNewsOptions = {},
  ) {
    this.maxArticles = options.maxArticles ?? 10_000;
  }

  /** Listens on 127.0.0.1 (port 0: a free one). */
  async listen(port: number): Promise<this> {
    this.baseUrl = await listenOnLoopback(this.server, port);
    return this;
  }

  close(): Promise<void> {
    return closeAtOnce(this.server);
  }

  /** An article; without an id one is numbered in the order published. */
  publish(a: Omit<LocalArticle, "id" | "publisher"> & { id?: string; publisher?: string }): LocalArticle {
    this.published += 1;
    const article: LocalArticle = { ...a, id: a.id ?? `art-${this.published}`, publisher: a.publisher ?? "Benzinga" };
    const ms = Date.parse(article.published_utc);
    if (!Number.isFinite(ms)) throw new TypeError(`published_utc ${JSON.stringify(article.published_utc)} is not an ISO time`);
    this.articles.splice(this.firstAtOrAfter(ms + 1), 0, { ms, article });
    if (this.articles.length > this.maxArticles) this.articles.splice(0, this.articles.length - this.maxArticles);
    return article;
  }

  /** Each request as it arrives. */
  protected received(_pathAndQuery: string): void {}

  /** A reply in place of the one Polygon would give, after the key is checked (a test's fault); true when it answered. */
  protected intercepted(_res: ServerResponse): boolean {
    return false;
  }

  /** The JSON results of one page. */
  protected results(page: readonly LocalArticle[]): unknown[] {
    return page.map((a) => ({
      id: a.id,
      publisher: { name: a.publisher, homepage_url: "https://www.benzinga.com/", logo_url: "", favicon_url: "" },
      title: a.title,
      author: "Newsdesk",
      published_utc: a.published_utc,
      article_url: `https://www.benzinga.com/news/${a.id}`,
      tickers: a.tickers,
      image_url: "",
      description: a.description,
      keywords: [],
    }));
  }

  /** Index of the first article published at or after `ms`. */
  private firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.articles.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.articles[mid]!.ms < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.received(url.pathname + url.search);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.searchParams.get("apiKey") !== this.apiKey) {
      json(401, { status: "ERROR", request_id: "a1", error: "Unknown API Key" });
      return;
    }
    if (this.intercepted(res)) return;
    if (url.pathname !== "/v2/reference/news") {
      json(404, { status: "NOT_FOUND", request_id: "a2", message: "Not found" });
      return;
    }
    const q = url.searchParams;
    const ticker = q.get("ticker");
    const gte = q.get("published_utc.gte");
    const limit = Number(q.get("limit") ?? 10);
    const offset = Number(q.get("cursor") ?? 0);
    const all: LocalArticle[] = [];
    for (let i = gte ? this.firstAtOrAfter(Date.parse(gte)) : 0; i < this.articles.length; i++) {
      const a = this.articles[i]!.article;
      if (!ticker || a.tickers.includes(ticker)) all.push(a);
    }
    const results = this.results(all.slice(offset, offset + limit));
    const next = offset + limit < all.length ? new URL(url) : undefined;
    if (next) {
      next.search = "";
      next.searchParams.set("cursor", String(offset + limit));
      next.searchParams.set("ticker", ticker ?? "");
      next.searchParams.set("limit", String(limit));
    }
    json(200, { results, status: "OK", request_id: "r1", count: results.length, ...(next ? { next_url: next.toString() } : {}) });
  }
}
