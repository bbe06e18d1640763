/**
 * A local stand-in for Binance spot market data: combined diff-depth streams (/stream?streams=x@depth@100ms) and
 * the REST depth snapshot (/api/v3/depth), with its error and rate-limit replies. It keeps the true book, so a
 * test can rebuild the book from what a connector delivered and compare. For tests only; 127.0.0.1, free port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeAtOnce, listenOnLoopback } from "../loopback-http.ts";
import { WebSocket, WebSocketServer } from "ws";

type Side = Map<string, string>;
interface FakeBook {
  bids: Side;
  asks: Side;
  lastUpdateId: number;
}

export interface FakeBinanceOptions {
  symbols: string[];
  random: () => number;
}

export class FakeBinance {
  readonly requests: string[] = [];
  private readonly books = new Map<string, FakeBook>();
  private readonly server = createServer((req, res) => this.http(req, res));
  private readonly wss = new WebSocketServer({ server: this.server, path: "/stream" });
  private readonly clients = new Map<WebSocket, Set<string>>();
  private rateLimitLeft = 0;
  private skipLeft = 0;
  private eventTimeMs = Date.UTC(2024, 0, 2);
  baseUrl = "";
  wsUrl = "";
  connections = 0;

  constructor(private readonly opts: FakeBinanceOptions) {
    for (const s of opts.symbols) {
      const book: FakeBook = { bids: new Map(), asks: new Map(), lastUpdateId: 1000 };
      for (let i = 1; i <= 5; i++) {
        book.bids.set((30_000 - i).toFixed(2), "1.00000000");
        book.asks.set((30_000 + i).toFixed(2), "1.00000000");
      }
      this.books.set(s, book);
    }
    this.wss.on("connection", (ws, req) => {
      this.connections += 1;
      const streams = new URL(req.url ?? "/", "http://x").searchParams.get("streams") ?? "";
      this.clients.set(ws, new Set(streams.split("/").filter(Boolean)));
      ws.on("close", () => this.clients.delete(ws));
    });
  }

  async listen(port: number): Promise<this> {
    this.baseUrl = await listenOnLoopback(this.server, port);
    this.wsUrl = `${this.baseUrl.replace("http:", "ws:")}`;
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closeAtOnce(this.server);
  }

  get liveClients(): number {
    return this.clients.size;
  }

  /** The true book as sorted [price, qty] strings: bids high→low, asks low→high. */
  book(symbol: string): { bids: [string, string][]; asks: [string, string][]; lastUpdateId: number } {
    const b = this.books.get(symbol)!;
    const sorted = (m: Side, desc: boolean) =>
      [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));
    return { bids: sorted(b.bids, true), asks: sorted(b.asks, false), lastUpdateId: b.lastUpdateId };
  }

  /** `n` diff events for `symbol`, each covering 1–3 update ids and touching 1–3 levels (some removed). */
  publish(symbol: string, n: number): void {
    const book = this.books.get(symbol)!;
    const r = this.opts.random;
    for (let k = 0; k < n; k++) {
      const U = book.lastUpdateId + 1;
      const u = U + Math.floor(r() * 3);
      const b: [string, string][] = [];
      const a: [string, string][] = [];
      const touches = 1 + Math.floor(r() * 3);
      for (let j = 0; j < touches; j++) {
        const bid = r() < 0.5;
        const price = (bid ? 30_000 - 1 - Math.floor(r() * 8) : 30_000 + 1 + Math.floor(r() * 8)).toFixed(2);
        const qty = r() < 0.25 ? "0.00000000" : (Math.floor(r() * 500) / 100).toFixed(8);
        (bid ? b : a).push([price, qty]);
        const side = bid ? book.bids : book.asks;
        if (Number(qty) === 0) side.delete(price);
        else side.set(price, qty);
      }
      book.lastUpdateId = u;
      this.eventTimeMs += 100;
      const data = { e: "depthUpdate", E: this.eventTimeMs, s: symbol, U, u, b, a };
      if (this.skipLeft > 0) {
        this.skipLeft -= 1;
        continue;
      }
      const stream = `${symbol.toLowerCase()}@depth@100ms`;
      for (const [ws, streams] of this.clients) {
        if (streams.has(stream) && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ stream, data }));
      }
    }
  }

  /** The next `n` events change the book but are not sent: a gap the connector must notice. */
  skip(n: number): void {
    this.skipLeft = n;
  }

  dropConnections(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  sendRaw(text: string): void {
    for (const ws of this.clients.keys()) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** The next `n` snapshot requests get HTTP 429 with Retry-After: 0. */
  rateLimit(n: number): void {
    this.rateLimitLeft = n;
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.requests.push(url.pathname + url.search);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== "/api/v3/depth") {
      reply(404, { code: -1000, msg: "Unknown path." });
      return;
    }
    if (this.rateLimitLeft > 0) {
      this.rateLimitLeft -= 1;
      reply(429, { code: -1003, msg: "Too many requests; current limit is 6000 request weight per 1 MINUTE." }, { "retry-after": "0" });
      return;
    }
    const symbol = url.searchParams.get("symbol") ?? "";
    if (!this.books.has(symbol)) {
      reply(400, { code: -1121, msg: "Invalid symbol." });
      return;
    }
    const { bids, asks, lastUpdateId } = this.book(symbol);
    reply(200, { lastUpdateId, bids, asks });
  }
}

export function startFakeBinance(port: number, opts: FakeBinanceOptions): Promise<FakeBinance> {
  return new FakeBinance(opts).listen(port);
}
