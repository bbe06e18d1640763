/**
 * Deterministic randomness and latency for the simulated venue. Never Math.random: the same seed gives the same
 * run, which a backtest needs to be repeatable.
 */

/** mulberry32: a small, fast 32-bit PRNG, good enough for simulation (not for cryptography). */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** One-way delay in µs for a message sent at `nowUs` (the injected clock's time). */
export type LatencyModel = (nowUs: number) => number;

export interface FixedJitterLatency {
  fixedUs: number;
  /** uniform extra delay in [0, jitterUs] µs */
  jitterUs: number;
  seed: number;
}

export function fixedJitterLatency({ fixedUs, jitterUs, seed }: FixedJitterLatency): LatencyModel {
  if (!(Number.isInteger(fixedUs) && fixedUs >= 0)) throw new RangeError(`fixedUs ${fixedUs} must be a non-negative integer`);
  if (!(Number.isInteger(jitterUs) && jitterUs >= 0)) throw new RangeError(`jitterUs ${jitterUs} must be a non-negative integer`);
  const rng = new SeededRandom(seed);
  return () => fixedUs + rng.int(jitterUs + 1);
}

export const zeroLatency: LatencyModel = () => 0;
