/**
 * Almgren–Chriss parameters estimated from a recorded market, in the units the shortfall algorithm takes: time in
 * slices (τ = 1), prices in currency, quantities in shares.
 *
 * - volatility σ: the standard deviation of the mid's change from one slice to the next;
 * - permanent impact γ (price per share): Kyle's lambda, the mid's change over a slice regressed on the signed
 *   volume traded in it (aggressor buys − sells), through the origin;
 * - temporary impact η (price per share per share-per-slice): each trade's cost against the mid quoted before it
 *   (side-signed), regressed on its size; the intercept is the spread cost ε.
 *
 * A regression is kept only where the data determine it: at least MIN_SAMPLES points, a positive slope and a
 * t-statistic of at least 2. Otherwise both impacts come from Almgren & Chriss's own calibration (2000, §4): trading
 * at 1 % of daily volume costs one bid-ask spread (η), and trading 10 % of daily volume moves the price by one spread
 * (γ), with the daily volume extrapolated from the recorded slices (a market that trades around the clock, as the
 * simulator does). The result names the method used for each, so a caller can tell a measurement from a rule.
 */

/** One slice of the recorded market: the mid at its end, the mean quoted spread, the volume traded in it. */
export interface ImpactSlice {
  /** start of the slice, µs */
  atUs: number;
  mid: number;
  spread: number;
  /** aggressor buys − sells, shares */
  netVolume: number;
  /** shares traded */
  volume: number;
}

/** One recorded trade and the mid quoted at or before it. */
export interface ImpactTrade {
  price: number;
  size: number;
  aggressor: "BUY" | "SELL";
  mid: number;
}

export type ImpactMethod = "regression" | "almgren-chriss-rule";

export interface ImpactEstimate {
  volatility: number;
  temporaryImpact: number;
  permanentImpact: number;
  /** mean half spread ε over the slices */
  halfSpread: number;
  /** how each impact was found */
  temporaryMethod: ImpactMethod;
  permanentMethod: ImpactMethod;
  /** slice-to-slice changes and trades the estimate used */
  slices: number;
  trades: number;
}

/** points below which a regression is not trusted */
export const MIN_SAMPLES = 30;
const DAY_US = 86_400_000_000;

export class ImpactEstimateError extends Error {
  override name = "ImpactEstimateError";
}

/** Slope through the origin and its t-statistic. */
function slopeThroughOrigin(xs: number[], ys: number[]): { slope: number; t: number } {
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += xs[i]! * xs[i]!;
    sxy += xs[i]! * ys[i]!;
  }
  if (sxx === 0) return { slope: 0, t: 0 };
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < xs.length; i++) sse += (ys[i]! - slope * xs[i]!) ** 2;
  const se = Math.sqrt(sse / Math.max(1, xs.length - 1) / sxx);
  return { slope, t: se === 0 ? (slope > 0 ? Number.POSITIVE_INFINITY : 0) : slope / se };
}

/** Ordinary least squares with an intercept: slope, its t-statistic, intercept. */
function slopeWithIntercept(xs: number[], ys: number[]): { slope: number; t: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) return { slope: 0, t: 0, intercept: my };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const se = Math.sqrt(sse / Math.max(1, n - 2) / sxx);
  return { slope, t: se === 0 ? (slope > 0 ? Number.POSITIVE_INFINITY : 0) : slope / se, intercept };
}

const trusted = (r: { slope: number; t: number }, n: number) => n >= MIN_SAMPLES && r.slope > 0 && r.t >= 2;

/**
 * The estimate from slices of `sliceUs` (in time order; a gap between two slices breaks the chain of changes) and
 * trades. Throws ImpactEstimateError when the record cannot give a volatility or a volume.
 */
export function estimateImpact(slices: readonly ImpactSlice[], trades: readonly ImpactTrade[], sliceUs: number): ImpactEstimate {
  if (!(sliceUs > 0)) throw new ImpactEstimateError(`sliceUs ${sliceUs} must be positive`);
  const changes: number[] = [];
  const nets: number[] = [];
  for (let i = 1; i < slices.length; i++) {
    if (slices[i]!.atUs - slices[i - 1]!.atUs !== sliceUs) continue;
    changes.push(slices[i]!.mid - slices[i - 1]!.mid);
    nets.push(slices[i]!.netVolume);
  }
  if (changes.length < 2)
    throw new ImpactEstimateError(`volatility: ${changes.length} consecutive recorded slices of ${sliceUs} µs; at least 3 are needed`);
  const meanChange = changes.reduce((s, d) => s + d, 0) / changes.length;
  const volatility = Math.sqrt(changes.reduce((s, d) => s + (d - meanChange) ** 2, 0) / (changes.length - 1));
  const halfSpread = slices.reduce((s, x) => s + x.spread, 0) / slices.length / 2;
  const volumePerSlice = slices.reduce((s, x) => s + x.volume, 0) / slices.length;
  if (!(volumePerSlice > 0)) throw new ImpactEstimateError("volume: no trade recorded in the window; impact cannot be calibrated");
  if (!(halfSpread > 0)) throw new ImpactEstimateError("spread: no two-sided quote recorded in the window");

  // Almgren & Chriss's rule: 1 % of daily volume per day costs a spread; 10 % of daily volume moves it a spread
  const dailyVolume = volumePerSlice * (DAY_US / sliceUs);
  const rule = { temporary: (2 * halfSpread) / (0.01 * volumePerSlice), permanent: (2 * halfSpread) / (0.1 * dailyVolume) };

  const kyle = slopeThroughOrigin(nets, changes);
  const costs = trades.map((x) => (x.aggressor === "BUY" ? x.price - x.mid : x.mid - x.price));
  const cost =
    trades.length >= 2
      ? slopeWithIntercept(
          trades.map((x) => x.size),
          costs,
        )
      : { slope: 0, t: 0, intercept: 0 };
  type Figure = { value: number; method: ImpactMethod };
  const byRule = {
    permanent: { value: rule.permanent, method: "almgren-chriss-rule" },
    temporary: { value: rule.temporary, method: "almgren-chriss-rule" },
  } satisfies Record<string, Figure>;
  let permanent: Figure = trusted(kyle, nets.length) ? { value: kyle.slope, method: "regression" } : byRule.permanent;
  let temporary: Figure = trusted(cost, trades.length) ? { value: cost.slope, method: "regression" } : byRule.temporary;
  // the trajectory needs η > γτ/2: measured figures that break it are not a model the algorithm can follow
  if (!(temporary.value > permanent.value / 2)) ({ permanent, temporary } = byRule);
  return {
    volatility,
    temporaryImpact: temporary.value,
    permanentImpact: permanent.value,
    halfSpread,
    temporaryMethod: temporary.method,
    permanentMethod: permanent.method,
    slices: changes.length,
    trades: trades.length,
  };
}
