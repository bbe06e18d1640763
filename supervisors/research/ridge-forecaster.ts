/**
 * A ridge regression forecaster: the baseline model a purged cross-validation scores. Features are standardised
 * with the training rows' own means and deviations (test rows never inform the fit), the intercept is not
 * penalised, and the normal equations (width × width, five factors here) are solved by Gaussian elimination with
 * partial pivoting: small enough that a matrix library would add nothing.
 */
export interface RidgeModel {
  means: number[];
  scales: number[];
  weights: number[];
  intercept: number;
}

export class RidgeError extends Error {
  override name = "RidgeError";
}

export function fitRidge(x: readonly (readonly number[])[], y: readonly number[], lambda: number): RidgeModel {
  if (x.length !== y.length) throw new RidgeError(`${x.length} feature rows for ${y.length} targets`);
  if (x.length < 2) throw new RidgeError(`ridge needs at least 2 training rows, got ${x.length}`);
  if (!(lambda >= 0)) throw new RidgeError(`lambda must be ≥ 0, got ${lambda}`);
  const n = x.length;
  const w = x[0]!.length;
  const means = new Array<number>(w).fill(0);
  const scales = new Array<number>(w).fill(0);
  for (const row of x) for (let j = 0; j < w; j++) means[j]! += row[j]! / n;
  for (const row of x) for (let j = 0; j < w; j++) scales[j]! += (row[j]! - means[j]!) ** 2 / n;
  // a constant column carries nothing: scale 1 keeps it at zero instead of dividing by zero
  for (let j = 0; j < w; j++) scales[j] = Math.sqrt(scales[j]!) || 1;
  const yMean = y.reduce((a, v) => a + v, 0) / n;
  const a = Array.from({ length: w }, () => new Array<number>(w + 1).fill(0));
  const z = new Array<number>(w);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < w; j++) z[j] = (x[i]![j]! - means[j]!) / scales[j]!;
    const r = y[i]! - yMean;
    for (let j = 0; j < w; j++) {
      for (let k = 0; k < w; k++) a[j]![k]! += z[j]! * z[k]!;
      a[j]![w]! += z[j]! * r;
    }
  }
  for (let j = 0; j < w; j++) a[j]![j]! += lambda * n;
  return { means, scales, weights: solve(a, w), intercept: yMean };
}

export function predictRidge(m: RidgeModel, row: readonly number[]): number {
  let p = m.intercept;
  for (let j = 0; j < m.weights.length; j++) p += (m.weights[j]! * (row[j]! - m.means[j]!)) / m.scales[j]!;
  return p;
}

/** Solves the augmented system a (w rows of w + 1) in place. */
function solve(a: number[][], w: number): number[] {
  for (let c = 0; c < w; c++) {
    let p = c;
    for (let r = c + 1; r < w; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (Math.abs(a[p]![c]!) < 1e-12) throw new RidgeError(`the features are collinear (column ${c}): give lambda > 0`);
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < w; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= w; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, j) => row[w]! / row[j]!);
}
