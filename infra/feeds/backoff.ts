/** Exponential backoff with jitter, and a circuit breaker. Random source and clock are injected so tests are exact. */

export interface FeedBackoffPolicy {
  /** delay before the first retry, ms */
  initialMs: number;
  /** cap on a single delay, ms */
  maxMs: number;
  /** growth per attempt */
  factor: number;
}

export const defaultBackoff: FeedBackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2 };

/**
 * Delay before retry number `attempt` (0-based): "equal jitter", half fixed and half random, so delays still grow
 * with each attempt while clients that failed together do not retry together.
 */
export function feedBackoffDelay(attempt: number, policy: FeedBackoffPolicy, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  return Math.round(base / 2 + random() * (base / 2));
}

export const FeedBreakerState = { Closed: "closed", Open: "open", HalfOpen: "half-open" } as const;
export type FeedBreakerState = (typeof FeedBreakerState)[keyof typeof FeedBreakerState];

export interface BreakerPolicy {
  /** consecutive failures that open the breaker */
  failureThreshold: number;
  /** how long it stays open before one probe is let through, ms */
  openMs: number;
}

export const defaultBreaker: BreakerPolicy = { failureThreshold: 5, openMs: 60_000 };

/** Closed → (N consecutive failures) → open → (openMs) → half-open: one probe; success closes, failure reopens. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: FeedBreakerState = FeedBreakerState.Closed;
  private probing = false;

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly nowMs: () => number,
    private readonly onChange: (state: FeedBreakerState) => void = () => {},
  ) {}

  get state(): FeedBreakerState {
    if (this.current === FeedBreakerState.Open && this.nowMs() - this.openedAt >= this.policy.openMs) {
      this.set(FeedBreakerState.HalfOpen);
    }
    return this.current;
  }

  /** True when a call may go out now; in half-open only the first caller gets the probe. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === FeedBreakerState.Closed) return true;
    if (s === FeedBreakerState.HalfOpen && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** ms until a probe may go out (0 when closed or half-open). */
  msUntilProbe(): number {
    if (this.state !== FeedBreakerState.Open) return 0;
    return Math.max(0, this.openedAt + this.policy.openMs - this.nowMs());
  }

  recordSuccess(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== FeedBreakerState.Closed) this.set(FeedBreakerState.Closed);
  }

  recordFailure(): void {
    this.failures += 1;
    this.probing = false;
    if (this.current === FeedBreakerState.HalfOpen || this.failures >= this.policy.failureThreshold) {
      this.openedAt = this.nowMs();
      this.set(FeedBreakerState.Open);
    }
  }

  private set(state: FeedBreakerState): void {
    this.current = state;
    this.onChange(state);
  }
}

/** setTimeout as a promise that an AbortSignal cuts short (resolving false). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `poll` every `everyMs` until `signal` aborts; a failed poll goes to `onFailure` and the next poll goes on
 * (a polling feed asks again from its watermarks, so one failure leaves no gap). Resolves when the loop ends.
 */
export async function pollEvery(
  everyMs: number,
  signal: AbortSignal,
  poll: () => Promise<void>,
  onFailure: (e: unknown) => void,
): Promise<void> {
  while (await sleep(everyMs, signal)) {
    try {
      await poll();
    } catch (e) {
      if (signal.aborted) return;
      onFailure(e);
    }
  }
}
