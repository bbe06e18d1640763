import { sleep } from "./backoff.ts";

/**
 * Keeps requests to a vendor's published rate (SEC EDGAR: at most 10 per second per client). Two rules, both on the
 * times requests really leave (after the wait, which a busy event loop may stretch): one spacing apart, and never
 * more than the rate within a window of a second plus one spacing. A late wake-up therefore delays what follows
 * instead of bunching it into one second. Callers take turns in arrival order; retries take turns like first tries.
 */
export class RequestPacer {
  private readonly spacingMs: number;
  private readonly perWindow: number;
  private readonly windowMs: number;
  /** when the last `perWindow` requests left, oldest first */
  private readonly sent: number[] = [];
  private next = 0;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    perSecond: number,
    private readonly nowMs: () => number = Date.now,
    private readonly signal?: AbortSignal,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`requests per second must be positive, got ${perSecond}`);
    this.spacingMs = 1000 / perSecond;
    this.perWindow = Math.max(1, Math.floor(perSecond));
    // one spacing over the second: network jitter cannot bring one more request into a second at the vendor
    this.windowMs = 1000 + this.spacingMs;
  }

  wait(): Promise<void> {
    const mine = this.turn.then(() => this.take());
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.nowMs();
      const windowFree = this.sent.length >= this.perWindow ? this.sent[0]! + this.windowMs : 0;
      const at = Math.max(this.next, windowFree);
      if (at <= now) {
        this.sent.push(now);
        if (this.sent.length > this.perWindow) this.sent.shift();
        this.next = now + this.spacingMs;
        return;
      }
      await sleep(Math.ceil(at - now), this.signal);
    }
  }
}
