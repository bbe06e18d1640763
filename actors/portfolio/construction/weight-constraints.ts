/**
 * Portfolio weight constraints, validated, and each constraint set as the columns and rows it adds to the
 * optimiser's quadratic program (solved by HiGHS).
 */
import type { LinearRow, QuadraticProgram } from "./quadratic-program.ts";

export interface WeightConstraints {
  /** per-asset lower bound (a number applies to all); 0 is long-only; default unbounded */
  lower?: number | readonly number[];
  upper?: number | readonly number[];
  /** bounds on Σw (net exposure); {min: 1, max: 1} is a fully invested budget */
  net?: { min: number; max: number };
  /** Σ|w| ≤ gross */
  gross?: number;
  /** asset → sector, and bounds on each sector's net weight */
  sectors?: { ofAsset: readonly string[]; bounds: Record<string, { min?: number; max?: number }> };
  /** Σ|w − current| ≤ max (two-way turnover) */
  turnover?: { current: readonly number[]; max: number };
}

/**
 * One constraint set as linear program pieces over the weight columns w0…w(n−1): its name (for errors), extra
 * columns and rows, the weights' bounds (box set only), and its violation at a point.
 */
export interface ConstraintSet {
  name: string;
  columns: QuadraticProgram["variables"];
  rows: LinearRow[];
  violation(w: ArrayLike<number>): number;
}

export const weightColumn = (i: number): string => `w${i}`;

const perAsset = (b: number | readonly number[] | undefined, n: number, fallback: number, name: string): Float64Array => {
  if (b === undefined) return new Float64Array(n).fill(fallback);
  if (typeof b === "number") return new Float64Array(n).fill(b);
  if (b.length !== n) throw new Error(`constraints.${name}: ${b.length} bounds for ${n} assets`);
  return Float64Array.from(b);
};

/** Box bounds as the weight columns' bounds, and min ≤ Σw ≤ max as one row. */
function boxAndNet(lo: Float64Array, hi: Float64Array, net: { min: number; max: number } | undefined): ConstraintSet {
  const n = lo.length;
  const all = Array.from({ length: n }, (_, i) => ({ variable: weightColumn(i), coefficient: 1 }));
  return {
    name: "box and net exposure",
    columns: Array.from({ length: n }, (_, i) => ({ name: weightColumn(i), lower: lo[i]!, upper: hi[i]! })),
    rows: net ? [{ name: "net", terms: all, lower: net.min, upper: net.max }] : [],
    violation(w) {
      let worst = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        worst = Math.max(worst, lo[i]! - w[i]!, w[i]! - hi[i]!);
        s += w[i]!;
      }
      if (net) worst = Math.max(worst, net.min - s, s - net.max);
      return worst;
    },
  };
}

/** One row per sector: min ≤ Σ members' weights ≤ max. */
function sectorBounds(ofAsset: readonly string[], bounds: Record<string, { min?: number; max?: number }>): ConstraintSet {
  const groups = Object.entries(bounds).map(([sector, b]) => {
    const members = ofAsset.flatMap((s, i) => (s === sector ? [i] : []));
    const min = b.min ?? Number.NEGATIVE_INFINITY;
    const max = b.max ?? Number.POSITIVE_INFINITY;
    if (!(min <= max)) throw new Error(`constraints.sectors.${sector}: min ${min} exceeds max ${max}`);
    if (members.length === 0 && (min > 0 || max < 0))
      throw new Error(`constraints.sectors.${sector}: no asset is in the sector, so its bounds [${min}, ${max}] cannot hold`);
    return { members, min, max };
  });
  const sum = (w: ArrayLike<number>, members: number[]) => members.reduce((s, i) => s + w[i]!, 0);
  return {
    name: "sector bounds",
    columns: [],
    rows: groups
      .filter((g) => g.members.length > 0)
      .map((g, k) => ({
        name: `sector${k}`,
        terms: g.members.map((i) => ({ variable: weightColumn(i), coefficient: 1 })),
        lower: g.min,
        upper: g.max,
      })),
    violation(w) {
      let worst = 0;
      for (const g of groups) {
        const s = sum(w, g.members);
        worst = Math.max(worst, g.min - s, s - g.max);
      }
      return worst;
    },
  };
}

/**
 * ‖w − centre‖₁ ≤ radius with one extra column a_i ≥ |w_i − centre_i| per asset (a_i − w_i ≥ −centre_i and
 * a_i + w_i ≥ centre_i) and Σa ≤ radius; exact because nothing rewards a larger a_i.
 */
function l1Ball(name: string, prefix: string, centre: Float64Array, radius: number): ConstraintSet {
  const n = centre.length;
  const a = (i: number) => `${prefix}${i}`;
  const rows: LinearRow[] = [];
  for (let i = 0; i < n; i++) {
    const w = weightColumn(i);
    rows.push({
      name: `${prefix}up${i}`,
      terms: [
        { variable: a(i), coefficient: 1 },
        { variable: w, coefficient: -1 },
      ],
      lower: -centre[i]!,
    });
    rows.push({
      name: `${prefix}dn${i}`,
      terms: [
        { variable: a(i), coefficient: 1 },
        { variable: w, coefficient: 1 },
      ],
      lower: centre[i]!,
    });
  }
  rows.push({ name: `${prefix}sum`, terms: Array.from({ length: n }, (_, i) => ({ variable: a(i), coefficient: 1 })), upper: radius });
  return {
    name,
    columns: Array.from({ length: n }, (_, i) => ({ name: a(i), lower: 0 })),
    rows,
    violation(w) {
      let norm = 0;
      for (let i = 0; i < n; i++) norm += Math.abs(w[i]! - centre[i]!);
      return norm - radius;
    },
  };
}

/** The constraint sets for n assets, validated: bad bounds fail here with the field named. */
export function constraintSets(n: number, c: WeightConstraints): ConstraintSet[] {
  const lo = perAsset(c.lower, n, Number.NEGATIVE_INFINITY, "lower");
  const hi = perAsset(c.upper, n, Number.POSITIVE_INFINITY, "upper");
  let minSum = 0;
  let maxSum = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(lo[i]) || Number.isNaN(hi[i]) || lo[i]! > hi[i]!)
      throw new Error(`constraints: asset ${i} has lower ${lo[i]} above upper ${hi[i]}`);
    minSum += lo[i]!;
    maxSum += hi[i]!;
  }
  if (c.net) {
    if (!(c.net.min <= c.net.max)) throw new Error(`constraints.net: min ${c.net.min} exceeds max ${c.net.max}`);
    if (c.net.min > maxSum || c.net.max < minSum)
      throw new Error(`constraints.net: [${c.net.min}, ${c.net.max}] is out of reach of the box bounds [${minSum}, ${maxSum}]`);
  }
  const sets = [boxAndNet(lo, hi, c.net)];
  if (c.sectors) {
    if (c.sectors.ofAsset.length !== n) throw new Error(`constraints.sectors.ofAsset: ${c.sectors.ofAsset.length} sectors for ${n} assets`);
    sets.push(sectorBounds(c.sectors.ofAsset, c.sectors.bounds));
    if (c.net) {
      // the most and least net weight the sector caps and the box allow together
      let most = 0;
      let least = 0;
      const capped = new Set(Object.keys(c.sectors.bounds));
      for (const [sector, b] of Object.entries(c.sectors.bounds)) {
        const members = c.sectors.ofAsset.flatMap((s, i) => (s === sector ? [i] : []));
        most += Math.min(
          b.max ?? Number.POSITIVE_INFINITY,
          members.reduce((acc, i) => acc + hi[i]!, 0),
        );
        least += Math.max(
          b.min ?? Number.NEGATIVE_INFINITY,
          members.reduce((acc, i) => acc + lo[i]!, 0),
        );
      }
      c.sectors.ofAsset.forEach((s, i) => {
        if (!capped.has(s)) {
          most += hi[i]!;
          least += lo[i]!;
        }
      });
      if (most < c.net.min || least > c.net.max)
        throw new Error(
          `constraints.sectors: the sector bounds allow net exposure in [${least}, ${most}], outside constraints.net [${c.net.min}, ${c.net.max}]`,
        );
    }
  }
  if (c.gross !== undefined) {
    if (!(c.gross > 0)) throw new Error(`constraints.gross: must be positive, got ${c.gross}`);
    sets.push(l1Ball("gross exposure", "g", new Float64Array(n), c.gross));
  }
  if (c.turnover) {
    if (c.turnover.current.length !== n)
      throw new Error(`constraints.turnover.current: ${c.turnover.current.length} weights for ${n} assets`);
    c.turnover.current.forEach((w, i) => {
      if (!Number.isFinite(w)) throw new Error(`constraints.turnover.current[${i}]: must be finite, got ${w}`);
    });
    if (!(c.turnover.max >= 0)) throw new Error(`constraints.turnover.max: must be non-negative, got ${c.turnover.max}`);
    sets.push(l1Ball("turnover", "t", Float64Array.from(c.turnover.current), c.turnover.max));
  }
  return sets;
}
