/**
 * Time as the actors see it. Machines never read the wall clock: the runtime hands them a Clock, which is the real
 * one live and a simulated one in tests and backtests. Timestamps are integer microseconds since the epoch.
 */
export interface Clock {
  nowUs(): number;
}

export const systemClock: Clock = {
  nowUs: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
};

/** A clock that moves only when told to. */
export class SimulatedClock implements Clock {
  constructor(private us = 0) {}
  nowUs(): number {
    return this.us;
  }
  set(us: number): void {
    if (us < this.us) throw new Error(`simulated clock cannot go back from ${this.us} to ${us}`);
    this.us = us;
  }
  advance(us: number): void {
    this.us += us;
  }
}
