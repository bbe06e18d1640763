/**
 * Dense symmetric-matrix algebra on rows of Float64Array: covariance, Cholesky, solves and quadratic forms.
 *
 * Why hand-written: ml-matrix is not a dependency, and the risk hot paths (Cholesky once per covariance, then
 * matrix-vector products) need only these few kernels on flat typed arrays.
 */
export type Matrix = Float64Array[];

export const zeros = (rows: number, cols: number): Matrix => Array.from({ length: rows }, () => new Float64Array(cols));

export const fromRows = (rows: readonly (readonly number[])[]): Matrix => rows.map((r) => Float64Array.from(r));

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m[i]![i] = 1;
  return m;
}

export function requireSquare(a: Matrix, name: string): number {
  const n = a.length;
  for (let i = 0; i < n; i++) if (a[i]!.length !== n) throw new Error(`${name}: must be ${n}×${n}, row ${i} has ${a[i]!.length} columns`);
  return n;
}

export function matVec(a: Matrix, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const row = a[i]!;
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** x'Ax */
export const quadraticForm = (a: Matrix, x: ArrayLike<number>): number => dot(x, matVec(a, x));

export function matMul(a: Matrix, b: Matrix): Matrix {
  const m = b[0]?.length ?? 0;
  const out = zeros(a.length, m);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    const oi = out[i]!;
    for (let k = 0; k < ai.length; k++) {
      const aik = ai[k]!;
      if (aik === 0) continue;
      const bk = b[k]!;
      for (let j = 0; j < m; j++) oi[j]! += aik * bk[j]!;
    }
  }
  return out;
}

export function transpose(a: Matrix): Matrix {
  const out = zeros(a[0]?.length ?? 0, a.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i]!.length; j++) out[j]![i] = a[i]![j]!;
  return out;
}

/** Sample covariance (divisor T − 1) of observations × assets. */
export function sampleCovariance(observations: readonly ArrayLike<number>[]): Matrix {
  const t = observations.length;
  if (t < 2) throw new Error(`sampleCovariance: need at least 2 observations, got ${t}`);
  const n = observations[0]!.length;
  const means = new Float64Array(n);
  for (const row of observations) {
    if (row.length !== n) throw new Error(`sampleCovariance: every observation must have ${n} assets, got ${row.length}`);
    for (let j = 0; j < n; j++) means[j]! += row[j]! / t;
  }
  const out = zeros(n, n);
  const d = new Float64Array(n);
  for (const row of observations) {
    for (let j = 0; j < n; j++) d[j] = row[j]! - means[j]!;
    for (let i = 0; i < n; i++) {
      const di = d[i]!;
      const oi = out[i]!;
      for (let j = 0; j <= i; j++) oi[j]! += di * d[j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = out[i]![j]! / (t - 1);
      out[i]![j] = v;
      out[j]![i] = v;
    }
  }
  return out;
}

/** Lower-triangular L with LLᵀ = A; fails naming the pivot where A is not positive definite. */
export function cholesky(a: Matrix, name = "covariance"): Matrix {
  const n = requireSquare(a, name);
  const l = zeros(n, n);
  for (let i = 0; i < n; i++) {
    const li = l[i]!;
    for (let j = 0; j <= i; j++) {
      const lj = l[j]!;
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= li[k]! * lj[k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`${name}: not positive definite (pivot ${i} is ${s})`);
        li[i] = Math.sqrt(s);
      } else li[j] = s / lj[j]!;
    }
  }
  return l;
}

/** Solves LLᵀx = b given the Cholesky factor L. */
export function choleskySolve(l: Matrix, b: ArrayLike<number>): Float64Array {
  const n = l.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const li = l[i]!;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= li[k]! * y[k]!;
    y[i] = s / li[i]!;
  }
  // Lᵀx = y by columns of Lᵀ, i.e. rows of L, so both sweeps read memory in order.
  for (let i = n - 1; i >= 0; i--) {
    const li = l[i]!;
    const xi = y[i]! / li[i]!;
    y[i] = xi;
    for (let k = 0; k < i; k++) y[k]! -= li[k]! * xi;
  }
  return y;
}

/** A⁻¹ of a symmetric positive-definite matrix. */
export function inverseSpd(a: Matrix, name = "matrix"): Matrix {
  const l = cholesky(a, name);
  const n = l.length;
  const inv = zeros(n, n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, e);
    for (let i = 0; i < n; i++) inv[i]![j] = col[i]!;
  }
  return inv;
}

export function addMatrices(a: Matrix, b: Matrix): Matrix {
  return a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
}

export function scaleMatrix(a: Matrix, k: number): Matrix {
  return a.map((row) => row.map((v) => v * k));
}
