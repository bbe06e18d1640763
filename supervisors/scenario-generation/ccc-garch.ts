/**
 * The generative model of joint returns: a constant-conditional-correlation GARCH(1,1) with multivariate Student-t
 * innovations (Bollerslev 1990). Each instrument's variance follows σ²ₜ = ω + α εₜ₋₁² + β σ²ₜ₋₁ (volatility
 * clusters), the standardised shocks are jointly Student-t with the fitted correlation (fat tails, and tail
 * dependence: one χ² draw scales every instrument's shock of a day, so crashes are joint).
 *
 * Fitting: per instrument, Gaussian quasi-maximum likelihood (consistent under t shocks) with variance targeting
 * ω = s²(1 − α − β), on a grid of (α, β) refined around the best point; the correlation of the standardised
 * residuals; the degrees of freedom ν from their kurtosis, κ = 3 + 6/(ν − 4).
 */
import { Xoshiro128 } from "../../actors/feed/simulator/index.ts";
import { analytics } from "../../actors/risk-book/index.ts";
import { mean } from "simple-statistics";
import { correlationMatrix, kurtosis } from "./stylised-facts.ts";

export interface GarchSeries {
  mu: number;
  omega: number;
  alpha: number;
  beta: number;
  /** the conditional variance after the last training day: where scenarios start */
  lastVariance: number;
  /** the last training day's shock, for the first generated day's variance */
  lastShock: number;
}

export interface CccGarchModel {
  kind: "ccc-garch-t";
  instruments: string[];
  series: GarchSeries[];
  correlation: number[][];
  dof: number;
  trainingRows: number;
}

function variances(r: readonly number[], mu: number, omega: number, alpha: number, beta: number, start: number): Float64Array {
  const v = new Float64Array(r.length);
  v[0] = start;
  for (let t = 1; t < r.length; t++) v[t] = omega + alpha * (r[t - 1]! - mu) ** 2 + beta * v[t - 1]!;
  return v;
}

function negLogLikelihood(r: readonly number[], mu: number, s2: number, alpha: number, beta: number): number {
  const v = variances(r, mu, s2 * (1 - alpha - beta), alpha, beta, s2);
  let nll = 0;
  for (let t = 0; t < r.length; t++) nll += Math.log(v[t]!) + (r[t]! - mu) ** 2 / v[t]!;
  return nll;
}

export function fitGarch(r: readonly number[]): GarchSeries {
  if (r.length < 100) throw new RangeError(`returns: ${r.length} rows, a GARCH fit needs at least 100`);
  const mu = mean(r);
  const s2 = r.reduce((s, x) => s + (x - mu) ** 2, 0) / r.length;
  if (!(s2 > 0)) throw new RangeError("returns: no variance to fit");
  const ok = (a: number, b: number) => a > 0 && b >= 0 && a + b < 0.998;
  let best = { a: 0.05, b: 0.9, nll: negLogLikelihood(r, mu, s2, 0.05, 0.9) };
  for (let a = 0.02; a <= 0.3; a += 0.02) {
    for (let b = 0.5; b <= 0.97; b += 0.01) {
      if (!ok(a, b)) continue;
      const nll = negLogLikelihood(r, mu, s2, a, b);
      if (nll < best.nll) best = { a, b, nll };
    }
  }
  // coordinate refinement around the grid's best, halving the step
  for (let step = 0.01; step > 1e-4; step /= 2) {
    let moved = true;
    while (moved) {
      moved = false;
      for (const [da, db] of [
        [step, 0],
        [-step, 0],
        [0, step],
        [0, -step],
      ] as const) {
        const a = best.a + da;
        const b = best.b + db;
        if (!ok(a, b)) continue;
        const nll = negLogLikelihood(r, mu, s2, a, b);
        if (nll < best.nll) {
          best = { a, b, nll };
          moved = true;
        }
      }
    }
  }
  const omega = s2 * (1 - best.a - best.b);
  const v = variances(r, mu, omega, best.a, best.b, s2);
  const last = r.length - 1;
  return { mu, omega, alpha: best.a, beta: best.b, lastVariance: v[last]!, lastShock: r[last]! - mu };
}

/** Fits the model to a panel: rows[t][i] is instrument i's return on day t. */
export function fitCccGarch(instruments: readonly string[], rows: readonly (readonly number[])[]): CccGarchModel {
  if (rows.some((row) => row.length !== instruments.length))
    throw new RangeError(`returns: every row must have ${instruments.length} values (one per instrument)`);
  const cols = instruments.map((_, i) => rows.map((row) => row[i]!));
  const series = cols.map(fitGarch);
  // each series' conditional variances as fitted (started from its sample variance)
  const fitted = series.map((s, i) => {
    const c = cols[i]!;
    return variances(c, s.mu, s.omega, s.alpha, s.beta, c.reduce((a, x) => a + (x - s.mu) ** 2, 0) / c.length);
  });
  const residuals = rows.map((row, t) => row.map((x, i) => (x - series[i]!.mu) / Math.sqrt(fitted[i]![t]!)));
  const k = mean(instruments.map((_, i) => kurtosis(residuals.map((r) => r[i]!))));
  // κ = 3 + 6/(ν − 4) for ν > 4; thin tails get a large ν (close to normal), and ν stays above 4.5 so κ is finite
  const dof = k > 3 + 6 / 56 ? Math.min(60, Math.max(4.5, 4 + 6 / (k - 3))) : 60;
  return {
    kind: "ccc-garch-t",
    instruments: [...instruments],
    series,
    correlation: correlationMatrix(residuals),
    dof,
    trainingRows: rows.length,
  };
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape ≥ 1. */
function gamma(rng: Xoshiro128, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export interface GenerateOptions {
  seed: number;
  paths: number;
  /** days per path */
  days: number;
  /** start each path from the last training day's variance (scenarios: "from today"), or from the long-run variance after a burn-in */
  start: "last" | "long-run";
}

/** Generated log returns: [path][day][instrument]. The same model, seed and options give the same numbers. */
export function generateReturns(model: CccGarchModel, o: GenerateOptions): number[][][] {
  if (!(Number.isInteger(o.paths) && o.paths >= 1)) throw new RangeError(`paths: ${o.paths} must be a positive integer`);
  if (!(Number.isInteger(o.days) && o.days >= 1)) throw new RangeError(`days: ${o.days} must be a positive integer`);
  const rng = new Xoshiro128(o.seed, 0);
  const l = analytics.cholesky(analytics.fromRows(model.correlation), "correlation");
  const n = model.instruments.length;
  const scale = Math.sqrt((model.dof - 2) / model.dof);
  const burnIn = o.start === "long-run" ? 250 : 0;
  const normals = new Float64Array(n);
  const out: number[][][] = [];
  for (let p = 0; p < o.paths; p++) {
    const v = model.series.map((s) => (o.start === "last" ? s.lastVariance : s.omega / (1 - s.alpha - s.beta)));
    const eps = model.series.map((s) => (o.start === "last" ? s.lastShock : 0));
    const path: number[][] = [];
    for (let t = -burnIn; t < o.days; t++) {
      for (let i = 0; i < n; i++) {
        const s = model.series[i]!;
        if (t > -burnIn || o.start === "last") v[i] = s.omega + s.alpha * eps[i]! ** 2 + s.beta * v[i]!;
        normals[i] = rng.normal();
      }
      const w = Math.sqrt(model.dof / (2 * gamma(rng, model.dof / 2))) * scale;
      const day = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let z = 0;
        for (let k = 0; k <= i; k++) z += l[i]![k]! * normals[k]!;
        eps[i] = Math.sqrt(v[i]!) * z * w;
        day[i] = model.series[i]!.mu + eps[i]!;
      }
      if (t >= 0) path.push(day);
    }
    out.push(path);
  }
  return out;
}
