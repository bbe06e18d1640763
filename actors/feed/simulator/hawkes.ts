import type { IntradayProfile } from "./intraday-profile.ts";
import type { Xoshiro128 } from "./prng.ts";

/**
 * A self-exciting (Hawkes) arrival process with an exponential kernel and a time-varying base rate:
 * λ(t) = μ·profile(t) + Σ α·e^(−β(t − tᵢ)). Each arrival raises the intensity by α, so events cluster; the
 * branching ratio n = α/β < 1 keeps it stationary, and μ = rate·(1 − n) makes the mean rate `rate`. Simulated
 * by Ogata's thinning: a few random draws per arrival, no allocation.
 */
export class HawkesArrivals {
  private readonly mu: number;
  private readonly alpha: number;
  private readonly beta: number;
  /** excitation above the base rate at `atUs` */
  private excitation = 0;
  private atUs: number;

  constructor(
    ratePerSecond: number,
    branchingRatio: number,
    decayPerSecond: number,
    private readonly profile: IntradayProfile,
    startUs: number,
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`eventsPerSecond: ${ratePerSecond} must be positive`);
    if (!(branchingRatio >= 0 && branchingRatio < 1)) throw new Error(`branchingRatio: ${branchingRatio} must be in [0, 1)`);
    if (!(decayPerSecond > 0)) throw new Error(`decayPerSecond: ${decayPerSecond} must be positive`);
    this.mu = ratePerSecond * (1 - branchingRatio);
    this.beta = decayPerSecond / 1e6;
    this.alpha = branchingRatio * decayPerSecond;
    this.atUs = startUs;
  }

  /** The time of the next arrival (µs, fractional), which it records. */
  next(rng: Xoshiro128): number {
    let t = this.atUs;
    let e = this.excitation;
    const muMax = this.mu * this.profile.max;
    for (;;) {
      const bound = muMax + e;
      const wait = rng.exponential(1e6 / bound);
      t += wait;
      e *= Math.exp(-this.beta * wait);
      if (rng.next() * bound <= this.mu * this.profile.at(t) + e) break;
    }
    this.excitation = e + this.alpha;
    this.atUs = t;
    return t;
  }
}
