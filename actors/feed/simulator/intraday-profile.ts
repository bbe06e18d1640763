const US_PER_MINUTE = 60_000_000;
const US_PER_DAY = 1440 * US_PER_MINUTE;

/**
 * The U-shaped intraday activity profile: busy at the open and the close, quiet at midday. Over the session
 * (UTC minutes [open, close)) the multiplier is 0.5·(1 + 3·(2x − 1)²) for x the fraction of the session elapsed,
 * which averages 1 and runs from 0.5 at midday to 2 at the edges; outside the session it is `offSession`.
 */
export class IntradayProfile {
  readonly max: number;
  constructor(
    readonly openMinute = 0,
    readonly closeMinute = 1440,
    readonly offSession = 0.1,
  ) {
    if (!(openMinute >= 0 && closeMinute <= 1440 && openMinute < closeMinute)) {
      throw new Error(`intraday profile: session ${openMinute}..${closeMinute} must satisfy 0 ≤ open < close ≤ 1440`);
    }
    this.max = Math.max(2, offSession);
  }

  at(us: number): number {
    const ofDay = us - Math.floor(us / US_PER_DAY) * US_PER_DAY;
    const open = this.openMinute * US_PER_MINUTE;
    const close = this.closeMinute * US_PER_MINUTE;
    if (ofDay < open || ofDay >= close) return this.offSession;
    const y = (2 * (ofDay - open)) / (close - open) - 1;
    return 0.5 * (1 + 3 * y * y);
  }
}
