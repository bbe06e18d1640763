/**
 * OTP's restart intensity: at most `maxRestarts` restarts within any `periodMs`; one more means the supervisor
 * gives up and escalates to its parent.
 */
export class RestartIntensity {
  private stamps: number[] = [];

  constructor(
    readonly maxRestarts: number,
    readonly periodMs: number,
  ) {}

  /** Records a restart at `now`; false when it is one too many within the period. */
  allow(now: number): boolean {
    this.stamps.push(now);
    // OTP keeps restarts with now - stamp <= period
    const from = now - this.periodMs;
    this.stamps = this.stamps.filter((stamp) => stamp >= from);
    return this.stamps.length <= this.maxRestarts;
  }

  /** restarts counted within the current period */
  get count(): number {
    return this.stamps.length;
  }
}
