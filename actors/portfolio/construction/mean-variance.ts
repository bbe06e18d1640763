/**
 * Mean-variance and minimum-variance portfolios under box, net, gross, sector and turnover constraints:
 * minimise ½ γ wᵀΣw − μᵀw subject to w in every constraint set, as one convex quadratic program solved by HiGHS.
 */
import {
  type LinearRow,
  loadQuadraticSolver,
  type QuadraticProgram,
  QuadraticProgramError,
  solveQuadraticProgramNow,
} from "./quadratic-program.ts";
import { type RiskModel, riskModelOps } from "./risk-model.ts";
import { type ConstraintSet, constraintSets, type WeightConstraints, weightColumn } from "./weight-constraints.ts";

export type MeanVarianceInput = RiskModel & {
  /** expected returns; omitted for minimum variance */
  expectedReturns?: readonly number[];
  /** γ, the risk aversion (default 1) */
  riskAversion?: number;
  constraints: WeightConstraints;
};

export interface OptimisedPortfolio {
  weights: number[];
  expectedReturn: number;
  variance: number;
  /** largest constraint violation of the returned weights */
  maxViolation: number;
}

const feasibilityProgram = (sets: readonly ConstraintSet[]): QuadraticProgram => ({
  variables: sets.flatMap((s) => s.columns),
  // zero terms only declare every column to the LP reader
  linear: sets.flatMap((s) => s.columns.map((c) => ({ variable: c.name, coefficient: 0 }))),
  quadratic: [],
  rows: sets.flatMap((s) => s.rows),
});

/**
 * HiGHS says only that the whole program is infeasible; adding the constraint sets one at a time finds the first
 * whose addition leaves no portfolio, so the error names it. Undefined when every set holds together.
 */
function infeasibleSet(sets: readonly ConstraintSet[]): string | undefined {
  for (let k = 1; k <= sets.length; k++) {
    try {
      solveQuadraticProgramNow("feasibility", feasibilityProgram(sets.slice(0, k)));
    } catch (e) {
      if (!(e instanceof QuadraticProgramError) || !e.status.includes("nfeasible")) throw e;
      const before = sets.slice(0, k - 1).map((s) => s.name);
      return `the ${sets[k - 1]!.name} constraints cannot hold${before.length > 0 ? ` together with ${before.join(", ")}` : ""}`;
    }
  }
  return undefined;
}

export async function meanVariance(input: MeanVarianceInput): Promise<OptimisedPortfolio> {
  await loadQuadraticSolver();
  return meanVarianceNow(input);
}

/** meanVariance without waiting, once HiGHS is loaded (loadQuadraticSolver): for a strategy's handler. */
export function meanVarianceNow(input: MeanVarianceInput): OptimisedPortfolio {
  const model = riskModelOps(input);
  const n = model.assets;
  const gamma = input.riskAversion ?? 1;
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new Error(`riskAversion: must be positive and finite, got ${gamma}`);
  const mu = input.expectedReturns ?? new Array<number>(n).fill(0);
  if (mu.length !== n) throw new Error(`expectedReturns: ${mu.length} values for ${n} assets`);
  mu.forEach((m, i) => {
    if (!Number.isFinite(m)) throw new Error(`expectedReturns[${i}]: must be finite, got ${m}`);
  });
  const sets = constraintSets(n, input.constraints);
  const risk = model.riskTerm(gamma);
  const rows: LinearRow[] = [...risk.rows, ...sets.flatMap((s) => s.rows)];
  const program: QuadraticProgram = {
    variables: [...sets.flatMap((s) => s.columns), ...risk.columns],
    // every weight gets a linear term, zero or not, so each column is in the objective HiGHS reads
    linear: mu.map((m, i) => ({ variable: weightColumn(i), coefficient: -m })),
    quadratic: risk.quadratic,
    rows,
  };
  let x: Map<string, number>;
  try {
    x = solveQuadraticProgramNow("meanVariance", program);
  } catch (e) {
    if (!(e instanceof QuadraticProgramError) || !e.status.includes("nfeasible")) throw e;
    const culprit = infeasibleSet(sets);
    if (culprit === undefined) throw e;
    throw new Error(`meanVariance: infeasible constraints (HiGHS status ${e.status}): ${culprit}`);
  }
  const w = Array.from({ length: n }, (_, i) => x.get(weightColumn(i))!);
  const maxViolation = Math.max(0, ...sets.map((s) => s.violation(w)));
  let expectedReturn = 0;
  for (let i = 0; i < n; i++) expectedReturn += w[i]! * mu[i]!;
  return { weights: w, expectedReturn, variance: model.variance(w), maxViolation };
}

/** The lowest-variance portfolio in the constraints (a net bound is needed, or the answer is w = 0). */
export async function minimumVariance(model: RiskModel, constraints: WeightConstraints): Promise<OptimisedPortfolio> {
  if (!constraints.net)
    throw new Error("constraints.net: minimum variance needs a net exposure bound (e.g. {min: 1, max: 1}), or all weights are 0");
  return meanVariance({ ...model, constraints });
}
