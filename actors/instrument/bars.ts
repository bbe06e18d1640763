/**
 * Bar aggregation from trades: time bars (aligned to multiples of the interval since the epoch, UTC), tick bars
 * (every N trades) and volume bars (closing on the trade that brings the volume to at least the threshold; that
 * trade belongs to the bar, trades are never split). Intervals without trades produce no bar.
 *
 * Turnover is the exact bigint Σ price×size in units² (1e-16), so bars merge without loss; VWAP is turnover / volume
 * rounded half up to a whole unit (1e-8) and need not lie on the tick grid.
 */

export const BarKind = { Time: "time", Tick: "tick", Volume: "volume" } as const;
export type BarKind = (typeof BarKind)[keyof typeof BarKind];

export interface BarSpec {
  barType: string;
  kind: BarKind;
  /** microseconds (time), trades (tick) or volume in units (volume) */
  size: number;
}

const UNIT_US: Record<string, number> = { ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000 };

/** "1s", "1m", "250ms", "1h", "1d": time; "100t": every 100 trades; "5000v": every 5000 whole units of volume. */
export function parseBarType(barType: string): BarSpec {
  const m = /^(\d+)(ms|s|m|h|d|t|v)$/.exec(barType);
  const n = m ? Number(m[1]) : 0;
  if (!m || n <= 0) throw new Error(`bar type ${JSON.stringify(barType)} must be <positive integer><ms|s|m|h|d|t|v>`);
  const unit = m[2]!;
  if (unit === "t") return { barType, kind: BarKind.Tick, size: n };
  if (unit === "v") return { barType, kind: BarKind.Volume, size: n * 100_000_000 };
  return { barType, kind: BarKind.Time, size: n * UNIT_US[unit]! };
}

export interface BarRecord {
  barType: string;
  /** open time of the interval (time bars) or time of the first trade */
  tsOpen: number;
  /** end of the interval (time bars) or time of the last trade */
  tsClose: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Σ price × size in units², exact */
  turnover: bigint;
  trades: number;
}

/** turnover / volume, rounded half up to a whole unit. */
export function vwapOf(turnover: bigint, volume: number): number {
  if (volume <= 0) return 0;
  const v = BigInt(volume);
  return Number((2n * turnover + v) / (2n * v));
}

/** One bar type of one instrument. Keeps the open bar in plain fields; allocates only the record it closes. */
export class BarAggregator {
  private open = 0;
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private turnover = 0n;
  private trades = 0;
  private tsOpen = -1;
  private tsLast = 0;
  /** end of the last closed time bar: trades before it are late */
  private closedUntil = 0;
  lateTrades = 0;

  constructor(readonly spec: BarSpec) {}

  get hasOpenBar(): boolean {
    return this.trades > 0;
  }

  /** When the open time bar is due to close; Infinity when none is open or the bar is not a time bar. */
  get closesAtUs(): number {
    return this.trades > 0 && this.spec.kind === BarKind.Time ? this.tsOpen + this.spec.size : Number.POSITIVE_INFINITY;
  }

  /** Adds a trade; closes bars it completes into `out`. `pv` is price × size (computed once for all bar types). */
  onTrade(ts: number, price: number, size: number, pv: bigint, out: BarRecord[]): void {
    const spec = this.spec;
    if (spec.kind === BarKind.Time) {
      if (ts < this.closedUntil) {
        this.lateTrades++;
        return;
      }
      const start = ts - (ts % spec.size);
      if (this.trades > 0 && start !== this.tsOpen) out.push(this.closeBar(this.tsOpen + spec.size));
      if (this.trades === 0) this.tsOpen = start;
    } else if (this.trades === 0) this.tsOpen = ts;
    if (this.trades === 0) {
      this.open = price;
      this.high = price;
      this.low = price;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
    }
    this.close = price;
    this.volume += size;
    this.turnover += pv;
    this.trades++;
    this.tsLast = ts;
    if (spec.kind === BarKind.Tick ? this.trades >= spec.size : spec.kind === BarKind.Volume && this.volume >= spec.size) {
      out.push(this.closeBar(ts));
    }
  }

  /** Closes the open time bar if its interval ended by `us`. */
  closeDue(us: number, out: BarRecord[]): void {
    if (this.spec.kind === BarKind.Time && this.trades > 0 && us >= this.tsOpen + this.spec.size) {
      out.push(this.closeBar(this.tsOpen + this.spec.size));
    }
  }

  private closeBar(tsClose: number): BarRecord {
    const bar: BarRecord = {
      barType: this.spec.barType,
      tsOpen: this.tsOpen,
      tsClose: this.spec.kind === BarKind.Time ? tsClose : this.tsLast,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
      turnover: this.turnover,
      trades: this.trades,
    };
    if (this.spec.kind === BarKind.Time) this.closedUntil = tsClose;
    this.trades = 0;
    this.volume = 0;
    this.turnover = 0n;
    return bar;
  }
}

/** Merges consecutive bars (oldest first) into one bar of `barType`, e.g. sixty 1 s bars into a 1 m bar. */
export function mergeBars(bars: readonly BarRecord[], barType: string, tsOpen: number, tsClose: number): BarRecord {
  if (bars.length === 0) throw new Error("mergeBars needs at least one bar");
  let high = bars[0]!.high;
  let low = bars[0]!.low;
  let volume = 0;
  let turnover = 0n;
  let trades = 0;
  for (const b of bars) {
    if (b.high > high) high = b.high;
    if (b.low < low) low = b.low;
    volume += b.volume;
    turnover += b.turnover;
    trades += b.trades;
  }
  return { barType, tsOpen, tsClose, open: bars[0]!.open, high, low, close: bars[bars.length - 1]!.close, volume, turnover, trades };
}
