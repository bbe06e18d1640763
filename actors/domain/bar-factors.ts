/**
 * The factor set "bar-factors" v1, the input of the model gbt-return-5f (scripts/models/README.md). One copy of its
 * arithmetic for everything that computes it in TypeScript: research datasets (supervisors/research) and the
 * online feature actor, so that a model sees live the same numbers it learned from. It mirrors `factors()` in
 * scripts/models/train.py (population standard deviation, windows of 20 bars ending at the bar itself).
 *
 * Point-in-time: a bar's factors read that bar and earlier bars only. Each is a ratio, so prices and volumes may be
 * fixed-point units or plain numbers alike.
 */

export const BAR_FACTORS = {
  name: "bar-factors",
  version: 1,
  features: ["ret1", "ret5", "vol20", "range", "volumeRatio"],
} as const;

export type BarFactorName = (typeof BAR_FACTORS.features)[number];

/** The fields of a bar the factors read. */
export interface FactorBar {
  high: number;
  low: number;
  close: number;
  volume: number;
}

export class BarFactorError extends Error {
  override name = "BarFactorError";
}

const WINDOW = 20;
const RET_LAG = 5;
/** closes kept: the bar, its 20 one-bar returns need 20 earlier closes */
const CLOSES = WINDOW + 1;

/**
 * The factors of one instrument's bars, fed in time order one bar at a time. `push` answers the bar's factors in
 * the order of BAR_FACTORS.features once 20 earlier bars are known (the 21st bar on), undefined before, and
 * undefined for a bar whose last 20 volumes are all zero (its volume ratio is not defined).
 */
export class BarFactorWindow {
  private readonly closes = new Float64Array(CLOSES);
  private readonly volumes = new Float64Array(WINDOW);
  private seen = 0;

  /** bars pushed so far */
  get bars(): number {
    return this.seen;
  }

  push(bar: FactorBar): number[] | undefined {
    if (!(bar.close > 0)) throw new BarFactorError(`bar close must be positive, got ${bar.close}`);
    if (!(bar.high >= bar.low)) throw new BarFactorError(`bar high ${bar.high} is below its low ${bar.low}`);
    if (!(bar.volume >= 0)) throw new BarFactorError(`bar volume must be non-negative, got ${bar.volume}`);
    const n = this.seen++;
    this.closes[n % CLOSES] = bar.close;
    this.volumes[n % WINDOW] = bar.volume;
    if (n < WINDOW) return undefined;
    const close = (back: number) => this.closes[(n - back) % CLOSES]!;
    // the 20 one-bar returns ending at this bar, two passes as numpy's std does
    let sum = 0;
    for (let k = 0; k < WINDOW; k++) sum += close(k) / close(k + 1) - 1;
    const mean = sum / WINDOW;
    let squares = 0;
    for (let k = 0; k < WINDOW; k++) {
      const d = close(k) / close(k + 1) - 1 - mean;
      squares += d * d;
    }
    let volumeSum = 0;
    for (let k = 0; k < WINDOW; k++) volumeSum += this.volumes[k]!;
    if (volumeSum === 0) return undefined;
    return [
      bar.close / close(1) - 1,
      bar.close / close(RET_LAG) - 1,
      Math.sqrt(squares / WINDOW),
      (bar.high - bar.low) / bar.close,
      bar.volume / (volumeSum / WINDOW),
    ];
  }
}

/** A factor row by name, for callers that address features by name (a model's Predict). */
export function namedFactors(row: readonly number[]): Record<BarFactorName, number> {
  if (row.length !== BAR_FACTORS.features.length)
    throw new BarFactorError(`a ${BAR_FACTORS.name} row has ${BAR_FACTORS.features.length} values, got ${row.length}`);
  return Object.fromEntries(BAR_FACTORS.features.map((f, i) => [f, row[i]!])) as Record<BarFactorName, number>;
}
