/**
 * A WebSocket that comes back: after a drop it reconnects with exponential backoff and jitter, gated by a circuit
 * breaker. The protocol on top (auth, subscribe, resync) lives in the connector; it tells the link when the
 * connection became useful (markReady: backoff and breaker reset) or when retrying is pointless (fail).
 */
import WebSocket from "ws";
import { type FeedBackoffPolicy, feedBackoffDelay, type CircuitBreaker } from "./backoff.ts";
import { type FeedError, FeedErrorReason, type FeedIssue } from "./feed-error.ts";
import type { Redactor } from "./redact.ts";

export interface SocketLinkOptions {
  url: string;
  redactor: Redactor;
  backoff: FeedBackoffPolicy;
  breaker: CircuitBreaker;
  random: () => number;
  /** the socket is open: send auth and subscriptions */
  onOpen: (isReconnect: boolean) => void;
  onMessage: (text: string) => void;
  /** the socket went away (before any reconnect is scheduled) */
  onDown: (detail: string) => void;
  /** the link stopped for good: fail() was called or stop() */
  onClosed?: (error?: FeedError) => void;
  onIssue?: (issue: FeedIssue) => void;
  /** no message for this long means a dead connection (ms); 0 turns the watchdog off */
  idleTimeoutMs?: number;
}

export class SocketLink {
  private ws: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private opened = 0;
  private ready = false;
  private stopped = false;

  constructor(private readonly opts: SocketLinkOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** The protocol reached its live state: the next drop retries from the shortest delay. */
  markReady(): void {
    this.ready = true;
    this.attempt = 0;
    this.opts.breaker.recordSuccess();
  }

  /** Stop for good with an error (auth refused): no reconnect. */
  fail(error: FeedError): void {
    this.shutdown();
    this.opts.onClosed?.(error);
  }

  /** Drop the current connection and reconnect (a protocol-level resync). */
  recycle(detail: string): void {
    this.ws?.terminate();
    this.opts.onIssue?.({ reason: FeedErrorReason.Gap, detail });
  }

  async stop(): Promise<void> {
    const ws = this.ws;
    this.shutdown();
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.terminate();
      });
    }
    this.opts.onClosed?.();
  }

  private shutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    this.ws?.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    const { breaker } = this.opts;
    if (!breaker.tryAcquire()) {
      this.timer = setTimeout(() => this.connect(), Math.max(1, breaker.msUntilProbe()));
      return;
    }
    const isReconnect = this.opened > 0;
    this.ready = false;
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    let down = false;
    const onDown = (detail: string): void => {
      if (down || this.ws !== ws) return;
      down = true;
      clearTimeout(this.idleTimer);
      if (this.stopped) return;
      if (!this.ready) breaker.recordFailure();
      this.opts.onDown(this.opts.redactor.text(detail));
      const delay = Math.max(feedBackoffDelay(this.attempt++, this.opts.backoff, this.opts.random), breaker.msUntilProbe());
      this.opts.onIssue?.({
        reason: FeedErrorReason.Network,
        detail: `${this.opts.redactor.url(this.opts.url)}: ${this.opts.redactor.text(detail)}; reconnecting in ${delay} ms`,
      });
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.on("open", () => {
      this.opened += 1;
      this.armIdle(ws);
      this.opts.onOpen(isReconnect);
    });
    ws.on("message", (data) => {
      this.armIdle(ws);
      this.opts.onMessage(String(data));
    });
    ws.on("unexpected-response", (_req, res) => {
      ws.terminate();
      onDown(`handshake refused with HTTP ${res.statusCode}`);
    });
    ws.on("error", (e) => onDown(e.message));
    ws.on("close", (code) => onDown(`closed with code ${code}`));
  }

  private armIdle(ws: WebSocket): void {
    const ms = this.opts.idleTimeoutMs ?? 0;
    if (!ms) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => ws.terminate(), ms);
  }
}
