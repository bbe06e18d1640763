/**
 * Per-principal token buckets: each JWT subject may spend `burst` requests at once and regains `ratePerSecond`.
 * Buckets idle long enough to be full again are forgotten, so memory follows the active principals.
 */
export interface RateLimitSettings {
  ratePerSecond: number;
  burst: number;
}

export const defaultRateLimit: RateLimitSettings = { ratePerSecond: 200, burst: 400 };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = 0;

  constructor(
    readonly settings: RateLimitSettings,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(settings.ratePerSecond > 0)) throw new Error(`rateLimit.ratePerSecond: must be > 0 (got ${settings.ratePerSecond})`);
    if (!(settings.burst >= 1)) throw new Error(`rateLimit.burst: must be >= 1 (got ${settings.burst})`);
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(principal: string): number {
    const now = this.nowMs();
    const { ratePerSecond, burst } = this.settings;
    let b = this.buckets.get(principal);
    if (!b) {
      b = { tokens: burst, atMs: now };
      this.buckets.set(principal, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.atMs) * ratePerSecond) / 1000);
      b.atMs = now;
    }
    if (now - this.lastSweepMs > 60_000) this.sweep(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / ratePerSecond);
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    const fullAfterMs = (this.settings.burst * 1000) / this.settings.ratePerSecond;
    for (const [k, b] of this.buckets) if (now - b.atMs > fullAfterMs) this.buckets.delete(k);
  }
}
