/**
 * A local stand-in for Alpha Vantage's /query endpoint: TIME_SERIES_INTRADAY and TIME_SERIES_DAILY in its JSON
 * shape ("Meta Data", "Time Series (5min)" keyed by US/Eastern wall time, "1. open".."5. volume" as strings), its
 * HTTP-200 error shapes ("Error Message", "Note", "Information"), and dropped connections. For tests only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeAtOnce, listenOnLoopback } from "../loopback-http.ts";

export interface FakeAlphaVantageOptions {
  apiKey: string;
  /** bars in a compact reply (Alpha Vantage: 100) */
  compactSize?: number;
}

export interface FakeAvBar {
  /** US/Eastern wall time, "YYYY-MM-DD HH:MM:SS" */
  stamp: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export class FakeAlphaVantage {
  readonly bars = new Map<string, FakeAvBar[]>();
  readonly requests: string[] = [];
  private readonly server = createServer((req, res) => this.http(req, res));
  private script: Array<"note" | "information" | "drop" | "garbage"> = [];
  // 09:30 New York on 2 Jan 2024 (EST, UTC-5), as wall time
  private wall = Date.UTC(2024, 0, 2, 9, 30);
  baseUrl = "";

  constructor(private readonly opts: FakeAlphaVantageOptions) {}

  async listen(port: number): Promise<this> {
    this.baseUrl = await listenOnLoopback(this.server, port);
    return this;
  }

  async close(): Promise<void> {
    await closeAtOnce(this.server);
  }

  /** `n` more 5-minute bars for `symbol`. */
  addBars(symbol: string, n: number): void {
    const list = this.bars.get(symbol) ?? [];
    for (let i = 0; i < n; i++) {
      const base = 150 + ((list.length * 37) % 11) / 4;
      const stamp = new Date(this.wall).toISOString().replace("T", " ").slice(0, 19);
      list.push({
        stamp,
        open: base.toFixed(4),
        high: (base + 0.5).toFixed(4),
        low: (base - 0.25).toFixed(4),
        close: (base + 0.125).toFixed(4),
        volume: String(1000 + list.length),
      });
      this.wall += 5 * 60_000;
    }
    this.bars.set(symbol, list);
  }

  /** What the next requests get instead of data, in order. */
  answerNext(...steps: Array<"note" | "information" | "drop" | "garbage">): void {
    this.script.push(...steps);
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.requests.push(url.pathname + url.search);
    const reply = (body: unknown): void => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body, null, 4));
    };
    const step = this.script.shift();
    if (step === "drop") {
      req.socket.destroy();
      return;
    }
    if (step === "garbage") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>upstream timeout</html>");
      return;
    }
    const q = url.searchParams;
    if (q.get("apikey") !== this.opts.apiKey) {
      reply({
        "Error Message":
          "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key).",
      });
      return;
    }
    if (step === "note") {
      reply({ Note: "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day." });
      return;
    }
    if (step === "information") {
      reply({ Information: "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day." });
      return;
    }
    const fn = q.get("function");
    const symbol = q.get("symbol") ?? "";
    const list = this.bars.get(symbol);
    if (fn !== "TIME_SERIES_INTRADAY" || q.get("interval") !== "5min" || !list) {
      reply({
        "Error Message": `Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for ${fn}.`,
      });
      return;
    }
    const full = q.get("outputsize") === "full";
    const shown = full ? list : list.slice(-(this.opts.compactSize ?? 100));
    const series: Record<string, unknown> = {};
    for (const b of [...shown].reverse())
      series[b.stamp] = { "1. open": b.open, "2. high": b.high, "3. low": b.low, "4. close": b.close, "5. volume": b.volume };
    reply({
      "Meta Data": {
        "1. Information": "Intraday (5min) open, high, low, close prices and volume",
        "2. Symbol": symbol,
        "3. Last Refreshed": list[list.length - 1]?.stamp ?? "",
        "4. Interval": "5min",
        "5. Output Size": full ? "Full size" : "Compact",
        "6. Time Zone": "US/Eastern",
      },
      "Time Series (5min)": series,
    });
  }
}

export function startFakeAlphaVantage(port: number, opts: FakeAlphaVantageOptions): Promise<FakeAlphaVantage> {
  return new FakeAlphaVantage(opts).listen(port);
}
