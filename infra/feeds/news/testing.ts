/**
 * A local stand-in for Polygon.io's /v2/reference/news: results in its JSON shape (id, publisher{name,...}, title,
 * author, published_utc, article_url, tickers, description, keywords), filtered by ticker and published_utc.gte,
 * ordered by published_utc, paged with a next_url cursor that (like Polygon's) carries no key; its error bodies
 * for a refused key. For tests only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeArticle {
  id: string;
  title: string;
  description: string;
  published_utc: string;
  tickers: string[];
  publisher: string;
}

export class FakePolygonNews {
  readonly articles: FakeArticle[] = [];
  readonly requests: string[] = [];
  private readonly server = createServer((req, res) => this.http(req, res));
  private script: Array<"garbage" | "bad-article"> = [];
  baseUrl = "";

  constructor(private readonly apiKey: string) {}

  async listen(port: number): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  publish(a: Omit<FakeArticle, "id" | "publisher"> & { publisher?: string }): FakeArticle {
    const article = { id: `art-${this.articles.length + 1}`, publisher: a.publisher ?? "Benzinga", ...a };
    this.articles.push(article);
    return article;
  }

  answerNext(...steps: Array<"garbage" | "bad-article">): void {
    this.script.push(...steps);
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.requests.push(url.pathname + url.search);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.searchParams.get("apiKey") !== this.apiKey) {
      json(401, { status: "ERROR", request_id: "a1", error: "Unknown API Key" });
      return;
    }
    const step = this.script.shift();
    if (step === "garbage") {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>502 Bad Gateway</html>");
      return;
    }
    if (url.pathname !== "/v2/reference/news") {
      json(404, { status: "NOT_FOUND", request_id: "a2", message: "Not found" });
      return;
    }
    const q = url.searchParams;
    const ticker = q.get("ticker");
    const gte = q.get("published_utc.gte");
    const limit = Number(q.get("limit") ?? 10);
    const offset = Number(q.get("cursor") ?? 0);
    const all = this.articles
      .filter((a) => (!ticker || a.tickers.includes(ticker)) && (!gte || Date.parse(a.published_utc) >= Date.parse(gte)))
      .sort((a, b) => Date.parse(a.published_utc) - Date.parse(b.published_utc));
    const page = all.slice(offset, offset + limit);
    const results: unknown[] = page.map((a) => ({
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
    if (step === "bad-article") results.unshift({ id: "bad", title: "No time", published_utc: "yesterday" });
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

export function startFakePolygonNews(port: number, apiKey: string): Promise<FakePolygonNews> {
  return new FakePolygonNews(apiKey).listen(port);
}
