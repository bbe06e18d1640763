/**
 * Convex quadratic programs solved by HiGHS (the maintained LP/QP solver, compiled to WebAssembly): minimise
 * cᵀx + ½ xᵀQx subject to linear rows and variable bounds. The model is handed over in CPLEX LP text.
 */
import type { Highs, InitOptions } from "highs";

export interface LinearTerm {
  variable: string;
  coefficient: number;
}

/** lower ≤ Σ terms ≤ upper; an omitted side is unbounded */
export interface LinearRow {
  name: string;
  terms: readonly LinearTerm[];
  lower?: number;
  upper?: number;
}

/** a Q entry; an off-diagonal pair is given once (i < j) and counts for both Q_ij and Q_ji */
export interface QuadraticTerm {
  first: string;
  second: string;
  coefficient: number;
}

export interface QuadraticProgram {
  /** names: letters then digits, not starting with e (the LP reader takes e for an exponent) */
  variables: readonly { name: string; lower?: number; upper?: number }[];
  linear: readonly LinearTerm[];
  quadratic: readonly QuadraticTerm[];
  rows: readonly LinearRow[];
}

// The package's typings are CommonJS-shaped, so under NodeNext its default import types as the module object;
// Node loads the package's ESM build, whose default export is the loader.
type HighsLoader = (options?: InitOptions) => Promise<Highs>;

// The wasm is compiled once per process, on first use.
let runtime: Promise<Highs> | undefined;
let loaded: Highs | undefined;

/** Loads HiGHS (WebAssembly) once; the synchronous solves need it loaded first. */
export async function loadQuadraticSolver(): Promise<void> {
  runtime ??= import("highs").then((m) => (m.default as unknown as HighsLoader)());
  loaded = await runtime;
}

const signed = (c: number, first: boolean): string => {
  if (!Number.isFinite(c)) throw new Error(`quadratic program: coefficient ${c} is not finite`);
  const abs = Math.abs(c).toString();
  return c < 0 ? `- ${abs}` : first ? abs : `+ ${abs}`;
};

const expression = (terms: readonly LinearTerm[]): string =>
  terms.length === 0 ? "0" : terms.map((t, k) => `${signed(t.coefficient, k === 0)} ${t.variable}`).join(" ");

const bound = (b: number | undefined, fallback: string): string => (b === undefined || !Number.isFinite(b) ? fallback : b.toString());

/**
 * The objective scaled so its largest coefficient is 1: a positive factor leaves the optimum where it is, and
 * daily-return sized costs (1e-4 and below) otherwise stall HiGHS's active-set QP solver.
 */
function objectiveScale(p: QuadraticProgram): number {
  let largest = 0;
  for (const t of p.linear) largest = Math.max(largest, Math.abs(t.coefficient));
  for (const t of p.quadratic) largest = Math.max(largest, Math.abs(t.coefficient));
  return largest > 0 ? 1 / largest : 1;
}

function lpText(p: QuadraticProgram): string {
  const scale = objectiveScale(p);
  const lines = ["Minimize", ` obj: ${expression(p.linear.map((t) => ({ variable: t.variable, coefficient: scale * t.coefficient })))}`];
  if (p.quadratic.length > 0) {
    // LP text halves the bracket, so an off-diagonal pair appears as 2Q_ij x_i x_j
    const q = p.quadratic.map((t, k) => {
      const c = scale * (t.first === t.second ? t.coefficient : 2 * t.coefficient);
      return t.first === t.second ? `${signed(c, k === 0)} ${t.first} ^ 2` : `${signed(c, k === 0)} ${t.first} * ${t.second}`;
    });
    lines.push(` + [ ${q.join(" ")} ] / 2`);
  }
  lines.push("Subject To");
  for (const r of p.rows) {
    const e = expression(r.terms);
    const lo = r.lower ?? Number.NEGATIVE_INFINITY;
    const hi = r.upper ?? Number.POSITIVE_INFINITY;
    if (Number.isNaN(lo) || Number.isNaN(hi)) throw new Error(`quadratic program: row ${r.name} has bounds [${lo}, ${hi}]`);
    if (lo === hi) lines.push(` ${r.name}: ${e} = ${lo}`);
    else {
      if (lo > Number.NEGATIVE_INFINITY) lines.push(` ${r.name}_lo: ${e} >= ${lo}`);
      if (hi < Number.POSITIVE_INFINITY) lines.push(` ${r.name}_hi: ${e} <= ${hi}`);
    }
  }
  lines.push("Bounds");
  // every bound is written out: LP text would otherwise default a variable's lower bound to 0
  for (const v of p.variables) lines.push(` ${bound(v.lower, "-inf")} <= ${v.name} <= ${bound(v.upper, "+inf")}`);
  lines.push("End");
  return lines.join("\n");
}

/**
 * The optimal x by variable name; any other HiGHS status (infeasible, unbounded, a limit, an error) throws with
 * `problem` and the status named.
 */
export async function solveQuadraticProgram(problem: string, p: QuadraticProgram): Promise<Map<string, number>> {
  await loadQuadraticSolver();
  return solveQuadraticProgramNow(problem, p);
}

/** solveQuadraticProgram without waiting: for code that cannot (a strategy's handler), once HiGHS is loaded. */
export function solveQuadraticProgramNow(problem: string, p: QuadraticProgram): Map<string, number> {
  const solver = loaded;
  if (!solver) throw new Error(`${problem}: HiGHS is not loaded (await loadQuadraticSolver() first)`);
  const text = lpText(p);
  let result: ReturnType<Highs["solve"]>;
  try {
    result = solver.solve(text, { output_flag: false });
  } catch (e) {
    // a native failure (the solver stalling, a model it cannot read) throws rather than returning a status
    throw new QuadraticProgramError(problem, `error (${e instanceof Error ? e.message : String(e)})`);
  }
  if (result.Status !== "Optimal") throw new QuadraticProgramError(problem, result.Status);
  const x = new Map<string, number>();
  for (const v of p.variables) {
    const column = result.Columns[v.name];
    if (column === undefined || !("Primal" in column)) throw new Error(`${problem}: HiGHS returned no value for ${v.name}`);
    x.set(v.name, column.Primal);
  }
  return x;
}

/** A solve that ended without an optimum; `status` is HiGHS's model status. */
export class QuadraticProgramError extends Error {
  constructor(
    readonly problem: string,
    readonly status: string,
  ) {
    super(`${problem}: HiGHS ended with status ${status}`);
  }
}
