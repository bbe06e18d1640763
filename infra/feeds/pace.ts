import { sleep } from "./backoff.ts";

/**
 * Spaces requests to a vendor's published rate (SEC EDGAR: at most 10 per second per client). Each caller takes the
 * next free slot, so concurrent callers queue instead of bursting; retries take slots like first tries.
 */
export class RequestPacer {
  private readonly spacingMs: number;
  private next = 0;

  constructor(
    perSecond: number,
    private readonly nowMs: () => number = Date.now,
    private readonly signal?: AbortSignal,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`requests per second must be positive, got ${perSecond}`);
    // 5% over the exact spacing, so network jitter cannot bunch one more request into a one-second window
    this.spacingMs = (1000 / perSecond) * 1.05;
  }

  async wait(): Promise<void> {
    const now = this.nowMs();
    const at = Math.max(now, this.next);
    this.next = at + this.spacingMs;
    if (at > now) await sleep(Math.ceil(at - now), this.signal);
  }
}
