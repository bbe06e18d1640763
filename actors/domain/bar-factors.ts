/**
 * The factor set "bar-factors" v1, the inputs of the repository's gradient-boosted model (scripts/models/README.md):
 *   ret1         close / previous close − 1
 *   ret5         close / close 5 bars back − 1
 *   vol20        population standard deviation of the last 20 one-bar returns
 *   range        (high − low) / close
 *   volumeRatio  volume / mean volume of the last 20 bars
 * Each is point-in-time: a bar's factors read that bar and earlier ones only, so the first bar with factors is the
 * 21st. The one code path is `nextFactors`: the feature actor calls it bar by bar (online) and `barFactorSeries`
 * folds a whole series with it (offline, for datasets), so the two agree to the last bit. The sums run in numpy's
 * order (`pairwiseSum`), so the values are the very doubles scripts/models/train.py trained on.
 */

export const BAR_FACTORS = { name: "bar-factors", version: 1, features: ["ret1", "ret5", "vol20", "range", "volumeRatio"] } as const;
export type BarFactorName = (typeof BAR_FACTORS.features)[number];
export type BarFactorValues = Record<BarFactorName, number>;

/** One bar as the factors read it: prices and volume as numbers (fixed-point values converted at the edge). */
export interface FactorBar {
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** returns and volume averaged over this many bars */
const SPAN = 20;
/** ret5 looks this many bars back */
const LAG = 5;

/**
 * What the factors of the next bar need: the last SPAN + 1 closes and the last SPAN volumes, oldest first. Plain
 * arrays, so an actor keeps it in its context and snapshots it as is.
 */
export interface FactorWindow {
  closes: readonly number[];
  volumes: readonly number[];
}

export const emptyFactorWindow: FactorWindow = Object.freeze({ closes: Object.freeze([]), volumes: Object.freeze([]) });

/**
 * Sums `a` in numpy's order for a contiguous float64 reduction (`pairwise_sum` in its loops): under 8 items one by
 * one; up to 128 in eight interleaved partial sums, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the
 * remainder one by one. Another order would differ from the training values in the last bits.
 */
export function pairwiseSum(a: readonly number[]): number {
  const n = a.length;
  if (n > 128) throw new RangeError(`pairwiseSum takes at most 128 values (numpy splits longer runs), got ${n}`);
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]!;
    return s;
  }
  const r = [a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!];
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[i + j]!;
  let s = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
  for (; i < n; i++) s += a[i]!;
  return s;
}

/** numpy's std (ddof 0): the mean, the squared deviations, their mean, its square root, each step as numpy does it. */
function populationStd(x: readonly number[]): number {
  const mean = pairwiseSum(x) / x.length;
  return Math.sqrt(pairwiseSum(x.map((v) => (v - mean) * (v - mean))) / x.length);
}

function keepLast(xs: readonly number[], x: number, n: number): number[] {
  const out = xs.length >= n ? xs.slice(xs.length - n + 1) : xs.slice();
  out.push(x);
  return out;
}

/**
 * The window after `bar`, and the bar's factors once the window is full. A bar whose factors are not all finite
 * (twenty bars without volume) has none: a model cannot take them, and the training data dropped such rows.
 */
export function nextFactors(window: FactorWindow, bar: FactorBar): { window: FactorWindow; factors?: BarFactorValues } {
  const closes = keepLast(window.closes, bar.close, SPAN + 1);
  const volumes = keepLast(window.volumes, bar.volume, SPAN);
  const next = { closes, volumes };
  if (closes.length <= SPAN) return { window: next };
  const c = bar.close;
  const returns = new Array<number>(SPAN);
  for (let i = 0; i < SPAN; i++) returns[i] = closes[i + 1]! / closes[i]! - 1;
  const factors: BarFactorValues = {
    ret1: returns[SPAN - 1]!,
    ret5: c / closes[SPAN - LAG]! - 1,
    vol20: populationStd(returns),
    range: (bar.high - bar.low) / c,
    volumeRatio: bar.volume / (pairwiseSum(volumes) / SPAN),
  };
  for (const f of BAR_FACTORS.features) if (!Number.isFinite(factors[f])) return { window: next };
  return { window: next, factors };
}

/** The factors of each bar of a series (undefined where it has none), computed bar by bar as the actor does. */
export function barFactorSeries(bars: Iterable<FactorBar>): (BarFactorValues | undefined)[] {
  const out: (BarFactorValues | undefined)[] = [];
  let window = emptyFactorWindow;
  for (const bar of bars) {
    const r = nextFactors(window, bar);
    window = r.window;
    out.push(r.factors);
  }
  return out;
}

/** The factors as a model row, in the set's column order. */
export function factorRow(f: BarFactorValues): number[] {
  return BAR_FACTORS.features.map((name) => f[name]);
}
