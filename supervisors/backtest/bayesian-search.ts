import { errorFunction } from "simple-statistics";
import { nextRandom } from "../../actors/domain/index.ts";
import { gridValues, type ParameterSet } from "./parameter-space.ts";
import type { ParameterValues } from "./sweep-config.ts";

/**
 * One parameter as a coordinate in [0, 1]: a range maps linearly (snapped to its step, or to whole numbers); a list
 * of values maps to the positions of its entries, so neighbouring entries are near (order the list accordingly).
 */
interface Axis {
  name: string;
  toUnit(v: number | string | boolean): number;
  fromUnit(u: number): number | string | boolean;
}

function axis(name: string, v: ParameterValues): Axis {
  if ("values" in v || v.step !== undefined) {
    const values = gridValues(name, v);
    const last = Math.max(1, values.length - 1);
    return {
      name,
      toUnit: (x) => values.indexOf(x) / last,
      fromUnit: (u) => values[Math.round(u * (values.length - 1))]!,
    };
  }
  const span = v.max - v.min || 1;
  return {
    name,
    toUnit: (x) => ((x as number) - v.min) / span,
    fromUnit: (u) => {
      const x = v.min + u * (v.max - v.min);
      return v.integer ? Math.min(Math.floor(v.max), Math.max(Math.ceil(v.min), Math.round(x))) : x;
    },
  };
}

export interface BayesianOptions {
  seed: number;
  /** parameter sets drawn at random before the surrogate guides the search */
  initial: number;
  /** random candidates the expected improvement is maximised over, per proposal */
  candidates?: number;
}

/** length scales and noise levels (of the standardised objective) the marginal likelihood chooses from */
const LENGTH_SCALES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2];
const NOISES = [1e-6, 1e-3, 1e-2, 1e-1];
/** expected improvement's margin, in standard deviations of the objective: a little exploration */
const XI = 0.01;

/**
 * Bayesian optimisation of a sweep's parameters (maximising; negate to minimise): a Gaussian process with a
 * squared-exponential kernel on the unit cube is fitted to the trials so far (length scale and noise by marginal
 * likelihood over a small grid), and the next parameter set is the candidate of greatest expected improvement among
 * seeded random draws, skipping sets already tried. A batch is proposed by the kriging believer: each proposal is
 * added with the surrogate's mean as its value before the next. Everything is seeded: the same trials in the same
 * order give the same proposals.
 */
export class BayesianSearch {
  private readonly axes: Axis[];
  private readonly xs: number[][] = [];
  private readonly ys: number[] = [];
  private readonly tried = new Set<string>();
  private state: number;

  constructor(
    parameters: Record<string, ParameterValues>,
    private readonly o: BayesianOptions,
  ) {
    this.axes = Object.entries(parameters).map(([name, v]) => axis(name, v));
    this.state = o.seed | 0;
  }

  /** Records a trial's objective (NaN, a failed figure, counts as the worst seen). */
  observe(p: ParameterSet, objective: number): void {
    this.xs.push(this.toUnit(p));
    this.ys.push(objective);
    this.tried.add(JSON.stringify(p));
  }

  /** The next `n` parameter sets to try. */
  propose(n: number): ParameterSet[] {
    const xs = [...this.xs];
    const finite = this.ys.filter(Number.isFinite);
    const worst = finite.length ? Math.min(...finite) : 0;
    const ys = this.ys.map((y) => (Number.isFinite(y) ? y : worst));
    const pending = new Set<string>();
    const out: ParameterSet[] = [];
    for (let k = 0; k < n; k++) {
      const p = xs.length < this.o.initial ? this.randomUnseen(pending) : this.mostPromising(xs, ys, pending);
      out.push(p);
      pending.add(JSON.stringify(p));
      const x = this.toUnit(p);
      // kriging believer: the surrogate's own forecast stands in for the result not yet known
      ys.push(xs.length >= this.o.initial ? fit(xs, ys).mean(x) : ys.length ? mean(ys) : 0);
      xs.push(x);
    }
    return out;
  }

  private draw(): number {
    const [u, next] = nextRandom(this.state);
    this.state = next;
    return u;
  }

  private toUnit(p: ParameterSet): number[] {
    return this.axes.map((a) => a.toUnit(p[a.name]!));
  }

  private fromUnit(u: number[]): ParameterSet {
    const p: ParameterSet = {};
    this.axes.forEach((a, i) => {
      p[a.name] = a.fromUnit(u[i]!);
    });
    return p;
  }

  private randomPoint(): ParameterSet {
    return this.fromUnit(this.axes.map(() => this.draw()));
  }

  private isNew(p: ParameterSet, pending: Set<string>): boolean {
    const key = JSON.stringify(p);
    return !this.tried.has(key) && !pending.has(key);
  }

  /** A random set not tried yet (after a bounded number of draws, any: a small grid may be exhausted). */
  private randomUnseen(pending: Set<string>): ParameterSet {
    for (let i = 0; i < 1000; i++) {
      const p = this.randomPoint();
      if (this.isNew(p, pending)) return p;
    }
    return this.randomPoint();
  }

  private mostPromising(xs: number[][], ys: number[], pending: Set<string>): ParameterSet {
    const gp = fit(xs, ys);
    const best = Math.max(...ys);
    let chosen: ParameterSet | undefined;
    let chosenEi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < (this.o.candidates ?? 2000); i++) {
      // snapped first: the improvement expected is that of the set that would actually run
      const p = this.randomPoint();
      if (!this.isNew(p, pending)) continue;
      const ei = gp.expectedImprovement(this.toUnit(p), best);
      if (ei > chosenEi) {
        chosenEi = ei;
        chosen = p;
      }
    }
    return chosen ?? this.randomUnseen(pending);
  }
}

const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

interface Surrogate {
  mean(x: number[]): number;
  expectedImprovement(x: number[], best: number): number;
}

const sqDist = (a: number[], b: number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
};

/** The Gaussian process of greatest marginal likelihood over the grid of length scales and noises. */
function fit(xs: number[][], ys: number[]): Surrogate {
  const n = xs.length;
  const mu = mean(ys);
  const sd = Math.sqrt(mean(ys.map((y) => (y - mu) ** 2))) || 1;
  const z = ys.map((y) => (y - mu) / sd);
  let chosen: { ell: number; l: Float64Array; alpha: Float64Array; lml: number } | undefined;
  for (const ell of LENGTH_SCALES)
    for (const noise of NOISES) {
      const k = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j <= i; j++) {
          const v = Math.exp(-sqDist(xs[i]!, xs[j]!) / (2 * ell * ell)) + (i === j ? noise : 0);
          k[i * n + j] = v;
          k[j * n + i] = v;
        }
      const l = cholesky(k, n);
      if (!l) continue;
      const alpha = solveLower(l, n, z, true);
      let lml = 0;
      for (let i = 0; i < n; i++) lml -= 0.5 * z[i]! * alpha[i]! + Math.log(l[i * n + i]!);
      if (!chosen || lml > chosen.lml) chosen = { ell, l, alpha, lml };
    }
  if (!chosen) throw new RangeError("bayesian search: no kernel fits the trials (the covariance is not positive definite)");
  const { ell, l, alpha } = chosen;
  const predict = (x: number[]): { m: number; s: number } => {
    const ks = xs.map((xi) => Math.exp(-sqDist(x, xi) / (2 * ell * ell)));
    let m = 0;
    for (let i = 0; i < n; i++) m += ks[i]! * alpha[i]!;
    const v = solveLower(l, n, ks, false);
    let var_ = 1;
    for (let i = 0; i < n; i++) var_ -= v[i]! * v[i]!;
    return { m, s: Math.sqrt(Math.max(var_, 1e-12)) };
  };
  return {
    mean: (x) => mu + sd * predict(x).m,
    expectedImprovement: (x, best) => {
      const { m, s } = predict(x);
      const d = m - (best - mu) / sd - XI;
      const u = d / s;
      return d * normalCdf(u) + s * normalPdf(u);
    },
  };
}

const normalCdf = (u: number): number => 0.5 * (1 + errorFunction(u / Math.SQRT2));
const normalPdf = (u: number): number => Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI);

/** The lower Cholesky factor of a symmetric n×n matrix (row-major); undefined where it is not positive definite. */
function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (s <= 0) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  return l;
}

/** Solves L·y = b, and with `both` then Lᵀ·x = y (so x = (L·Lᵀ)⁻¹·b). */
function solveLower(l: Float64Array, n: number, b: readonly number[], both: boolean): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  if (!both) return y;
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
