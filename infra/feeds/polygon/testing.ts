/**
 * A local stand-in for Polygon.io that speaks its documented wire formats: the stocks WebSocket (status, auth,
 * subscribe, T/Q/AM events in JSON arrays) and the REST aggregates, trades and quotes endpoints with next_url
 * pagination. It keeps every event it generated, so a test can check that what a connector delivered is exactly
 * what happened: nothing twice, nothing missing. For tests only; bound to 127.0.0.1 on a free port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeAtOnce, listenOnLoopback } from "../loopback-http.ts";
import { WebSocket, WebSocketServer } from "ws";

export interface FakeTrade {
  ev: "T";
  sym: string;
  x: number;
  i: string;
  z: number;
  p: number;
  s: number;
  c: number[];
  t: number;
  q: number;
}
export interface FakeQuote {
  ev: "Q";
  sym: string;
  bx: number;
  bp: number;
  bs: number;
  ax: number;
  ap: number;
  as: number;
  c: number;
  t: number;
  q: number;
  z: number;
}
export interface FakeBar {
  ev: "AM";
  sym: string;
  v: number;
  av: number;
  op: number;
  vw: number;
  o: number;
  c: number;
  h: number;
  l: number;
  a: number;
  z: number;
  s: number;
  e: number;
}
export type FakeEvent = FakeTrade | FakeQuote | FakeBar;

export interface FakePolygonOptions {
  apiKey: string;
  /** rows per REST page, small to exercise next_url */
  pageSize?: number;
  /** events resent to a client right after it subscribes: the overlap a connector must drop */
  replayOnSubscribe?: number;
}

const T0 = Date.UTC(2024, 0, 2, 14, 30); // market open, 2 Jan 2024

export class FakePolygon {
  readonly events: FakeEvent[] = [];
  /** REST paths+queries received, for assertions on what the connector asked */
  readonly requests: string[] = [];
  private readonly server = createServer((req, res) => this.http(req, res));
  private readonly wss = new WebSocketServer({
    server: this.server,
    path: "/stocks",
    verifyClient: (_info, done) => {
      if (this.refuseUpgrades <= 0) return done(true);
      this.refuseUpgrades -= 1;
      done(false, 503, "Service Unavailable");
    },
  });
  private readonly subscribed = new Map<WebSocket, Set<string>>();
  private rateLimitLeft = 0;
  private errorNext: { status: number; body: unknown } | undefined;
  private refuseUpgrades = 0;
  private seq = 0;
  private price = 18_500; // cents
  private barOpenMs = T0;
  baseUrl = "";
  wsUrl = "";
  connections = 0;

  constructor(private readonly opts: FakePolygonOptions) {
    this.wss.on("connection", (ws) => this.onConnection(ws));
  }

  async listen(port: number): Promise<this> {
    this.baseUrl = await listenOnLoopback(this.server, port);
    this.wsUrl = `${this.baseUrl.replace("http:", "ws:")}/stocks`;
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closeAtOnce(this.server);
  }

  /** Number of clients that are authenticated and subscribed to something. */
  get liveClients(): number {
    let n = 0;
    for (const subs of this.subscribed.values()) if (subs.size > 0) n += 1;
    return n;
  }

  /** Generates `trades` trades and quotes of `sym`, then closes one minute bar; sends each to subscribers. */
  publish(sym: string, trades: number): void {
    let o = 0;
    let h = 0;
    let l = Number.MAX_SAFE_INTEGER;
    let c = 0;
    let v = 0;
    for (let k = 0; k < trades; k++) {
      this.price += ((this.seq * 7919) % 5) - 2;
      const t = this.barOpenMs + Math.floor(((k + 1) * 60_000) / (trades + 1));
      const q: FakeQuote = {
        ev: "Q",
        sym,
        bx: 4,
        bp: (this.price - 1) / 100,
        bs: 3,
        ax: 7,
        ap: (this.price + 1) / 100,
        as: 2,
        c: 0,
        t,
        q: ++this.seq,
        z: 3,
      };
      const tr: FakeTrade = { ev: "T", sym, x: 4, i: `${this.seq + 1}`, z: 3, p: this.price / 100, s: 100 + k, c: [], t, q: ++this.seq };
      this.send(q);
      this.send(tr);
      if (k === 0) o = this.price;
      h = Math.max(h, this.price);
      l = Math.min(l, this.price);
      c = this.price;
      v += tr.s;
    }
    const s = this.barOpenMs;
    this.barOpenMs += 60_000;
    if (trades > 0) {
      this.send({
        ev: "AM",
        sym,
        v,
        av: v,
        op: o / 100,
        vw: c / 100,
        o: o / 100,
        c: c / 100,
        h: h / 100,
        l: l / 100,
        a: c / 100,
        z: 100,
        s,
        e: s + 60_000,
      });
    }
  }

  /** Kills every client socket without a close frame, as a network drop would. */
  dropConnections(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  /** Sends a text frame as is to every live client (malformed-message tests). */
  sendRaw(text: string): void {
    for (const [ws, subs] of this.subscribed) if (subs.size > 0 && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** The next `n` REST requests get HTTP 429 with Retry-After: 0. */
  rateLimit(n: number): void {
    this.rateLimitLeft = n;
  }

  /** The next REST request gets this reply. */
  failNext(status: number, body: unknown): void {
    this.errorNext = { status, body };
  }

  /** The next `n` WebSocket handshakes are refused with HTTP 503. */
  refuse(n: number): void {
    this.refuseUpgrades = n;
  }

  private send(ev: FakeEvent): void {
    this.events.push(ev);
    const channel = `${ev.ev}.${ev.sym}`;
    for (const [ws, subs] of this.subscribed) {
      if ((subs.has(channel) || subs.has(`${ev.ev}.*`)) && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify([ev]));
    }
  }

  private onConnection(ws: WebSocket): void {
    this.connections += 1;
    let authed = false;
    ws.send(JSON.stringify([{ ev: "status", status: "connected", message: "Connected Successfully" }]));
    ws.on("close", () => this.subscribed.delete(ws));
    ws.on("message", (data) => {
      let msg: { action?: string; params?: string };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg.action === "auth") {
        if (msg.params === this.opts.apiKey) {
          authed = true;
          this.subscribed.set(ws, new Set());
          ws.send(JSON.stringify([{ ev: "status", status: "auth_success", message: "authenticated" }]));
        } else {
          ws.send(JSON.stringify([{ ev: "status", status: "auth_failed", message: "authentication failed" }]));
          ws.close(1008);
        }
      } else if (msg.action === "subscribe" && authed) {
        const subs = this.subscribed.get(ws) ?? new Set<string>();
        const params = String(msg.params ?? "").split(",");
        for (const p of params) subs.add(p.trim());
        ws.send(JSON.stringify(params.map((p) => ({ ev: "status", status: "success", message: `subscribed to: ${p}` }))));
        const replay = this.opts.replayOnSubscribe ?? 0;
        const mine = this.events.filter((e) => subs.has(`${e.ev}.${e.sym}`));
        if (replay > 0 && mine.length) ws.send(JSON.stringify(mine.slice(-replay)));
      }
    });
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.requests.push(url.pathname + url.search);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const requestId = `req-${this.requests.length}`;
    if (url.searchParams.get("apiKey") !== this.opts.apiKey) {
      reply(401, { status: "ERROR", request_id: requestId, error: "Unknown API Key" });
      return;
    }
    if (this.rateLimitLeft > 0) {
      this.rateLimitLeft -= 1;
      reply(
        429,
        { status: "ERROR", request_id: requestId, error: "You've exceeded the maximum requests per minute." },
        { "retry-after": "0" },
      );
      return;
    }
    if (this.errorNext) {
      const { status, body } = this.errorNext;
      this.errorNext = undefined;
      reply(status, body);
      return;
    }
    const aggs = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/(\w+)\/(\d+)\/(\d+)$/.exec(url.pathname);
    const ticks = /^\/v3\/(trades|quotes)\/([^/]+)$/.exec(url.pathname);
    if (aggs) {
      const [, ticker, mult, span, from, to] = aggs;
      if (mult !== "1" || span !== "minute") {
        reply(400, { status: "ERROR", request_id: requestId, error: "fake serves 1/minute only" });
        return;
      }
      const rows = this.events
        .filter((e): e is FakeBar => e.ev === "AM" && e.sym === ticker && e.s >= Number(from) && e.s <= Number(to))
        .map((b) => ({ v: b.v, vw: b.vw, o: b.o, c: b.c, h: b.h, l: b.l, t: b.s, n: 3 }));
      this.page(url, rows, { ticker, adjusted: true, queryCount: rows.length, status: "OK", request_id: requestId }, reply);
      return;
    }
    if (ticks) {
      const [, kind, ticker] = ticks;
      const gte = Number(BigInt(url.searchParams.get("timestamp.gte") ?? "0") / 1_000_000n);
      const lte = Number(BigInt(url.searchParams.get("timestamp.lte") ?? "9999999999999999999") / 1_000_000n);
      const rows =
        kind === "trades"
          ? this.events
              .filter((e): e is FakeTrade => e.ev === "T" && e.sym === ticker && e.t >= gte && e.t <= lte)
              .map((e) => ({
                conditions: e.c,
                exchange: e.x,
                id: e.i,
                price: e.p,
                sequence_number: e.q,
                sip_timestamp: e.t * 1_000_000,
                participant_timestamp: e.t * 1_000_000 - 150,
                size: e.s,
                tape: e.z,
              }))
          : this.events
              .filter((e): e is FakeQuote => e.ev === "Q" && e.sym === ticker && e.t >= gte && e.t <= lte)
              .map((e) => ({
                ask_exchange: e.ax,
                ask_price: e.ap,
                ask_size: e.as,
                bid_exchange: e.bx,
                bid_price: e.bp,
                bid_size: e.bs,
                sequence_number: e.q,
                sip_timestamp: e.t * 1_000_000,
                tape: e.z,
              }));
      this.page(url, rows, { status: "OK", request_id: requestId }, reply);
      return;
    }
    reply(404, { status: "NOT_FOUND", request_id: requestId, message: "not found" });
  }

  private page(url: URL, rows: unknown[], envelope: Record<string, unknown>, reply: (s: number, b: unknown) => void): void {
    const size = this.opts.pageSize ?? 50_000;
    const cursor = Number(url.searchParams.get("cursor") ?? "0");
    const slice = rows.slice(cursor, cursor + size);
    const body: Record<string, unknown> = { ...envelope, resultsCount: slice.length, count: slice.length, results: slice };
    if (cursor + size < rows.length) {
      // Polygon's next_url carries the query but never the key
      const next = new URL(url.pathname, this.baseUrl);
      for (const [k, v] of url.searchParams) if (k !== "apiKey" && k !== "cursor") next.searchParams.set(k, v);
      next.searchParams.set("cursor", String(cursor + size));
      body.next_url = next.toString();
    }
    reply(200, body);
  }
}

/** Starts a fake Polygon on 127.0.0.1 and the given port (use freePort()). */
export function startFakePolygon(port: number, opts: FakePolygonOptions): Promise<FakePolygon> {
  return new FakePolygon(opts).listen(port);
}
