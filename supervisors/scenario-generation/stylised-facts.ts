/**
 * The stylised facts of asset returns a generator must reproduce (Cont 2001): heavy tails (kurtosis above the
 * normal's 3), volatility clustering (|r| autocorrelated over days while r itself is not), and the instruments'
 * cross-correlation.
 */
import { mean, sampleCorrelation, sampleKurtosis } from "simple-statistics";

export interface StylisedFacts {
  /** per instrument, the (non-excess) kurtosis */
  kurtosis: number[];
  /** per instrument, autocorrelation of |r| at lags 1..maxLag */
  absAutocorrelation: number[][];
  /** per instrument, autocorrelation of r at lags 1..maxLag */
  autocorrelation: number[][];
  /** Pearson correlation matrix of the instruments' returns */
  correlation: number[][];
}

const column = (rows: readonly (readonly number[])[], i: number): number[] => rows.map((r) => r[i]!);

/** Sample kurtosis (not excess: a normal's is 3), bias-corrected as simple-statistics computes it. */
export const kurtosis = (xs: readonly number[]): number => sampleKurtosis([...xs]) + 3;

export function autocorrelation(xs: readonly number[], lag: number): number {
  const m = mean(xs);
  let num = 0;
  let den = 0;
  for (let t = 0; t < xs.length; t++) {
    const d = xs[t]! - m;
    den += d * d;
    if (t >= lag) num += d * (xs[t - lag]! - m);
  }
  return num / den;
}

export function correlationMatrix(rows: readonly (readonly number[])[]): number[][] {
  const n = rows[0]?.length ?? 0;
  const cols = Array.from({ length: n }, (_, i) => column(rows, i));
  return cols.map((a, i) => cols.map((b, j) => (i === j ? 1 : sampleCorrelation(a, b))));
}

export function stylisedFacts(rows: readonly (readonly number[])[], maxLag = 10): StylisedFacts {
  if (rows.length < 50) throw new RangeError(`returns: ${rows.length} rows, stylised facts need at least 50`);
  const n = rows[0]!.length;
  const lags = Array.from({ length: maxLag }, (_, k) => k + 1);
  const cols = Array.from({ length: n }, (_, i) => column(rows, i));
  return {
    kurtosis: cols.map(kurtosis),
    absAutocorrelation: cols.map((c) => {
      const abs = c.map(Math.abs);
      return lags.map((l) => autocorrelation(abs, l));
    }),
    autocorrelation: cols.map((c) => lags.map((l) => autocorrelation(c, l))),
    correlation: correlationMatrix(rows),
  };
}

/** The largest absolute difference between two correlation matrices' off-diagonal entries. */
export function correlationGap(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  let gap = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a.length; j++) if (i !== j) gap = Math.max(gap, Math.abs(a[i]![j]! - b[i]![j]!));
  return gap;
}
