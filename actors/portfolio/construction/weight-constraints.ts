/**
 * Portfolio weight constraints and the Euclidean projection onto each constraint set; the mean-variance solver
 * projects onto each set separately (consensus ADMM), so every set here has an exact, cheap projection.
 */

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

/** One constraint set: its name (for errors), its projection in place, and its violation at a point. */
export interface ConstraintSet {
  name: string;
  project(v: Float64Array): void;
  violation(w: Float64Array): number;
}

const perAsset = (b: number | readonly number[] | undefined, n: number, fallback: number, name: string): Float64Array => {
  if (b === undefined) return new Float64Array(n).fill(fallback);
  if (typeof b === "number") return new Float64Array(n).fill(b);
  if (b.length !== n) throw new Error(`constraints.${name}: ${b.length} bounds for ${n} assets`);
  return Float64Array.from(b);
};

const clip = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);

/**
 * Box ∩ {min ≤ Σw ≤ max}: clip, then if the sum is outside, shift by τ so that g(τ) = Σ clip(v − τ) hits the bound.
 * g is piecewise linear and decreasing with slope −(number of unclipped weights), so safeguarded Newton steps inside
 * a shrinking bracket land on the exact root in a few passes.
 */
function boxAndNet(lo: Float64Array, hi: Float64Array, net: { min: number; max: number } | undefined): ConstraintSet {
  const n = lo.length;
  let free = 0;
  const clippedSum = (v: Float64Array, tau: number): number => {
    let s = 0;
    free = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]! - tau;
      if (x <= lo[i]!) s += lo[i]!;
      else if (x >= hi[i]!) s += hi[i]!;
      else {
        s += x;
        free++;
      }
    }
    return s;
  };
  return {
    name: "box and net exposure",
    project(v) {
      const s0 = clippedSum(v, 0);
      const target = net === undefined ? s0 : Math.min(Math.max(s0, net.min), net.max);
      let tau = 0;
      if (target !== s0) {
        // bracket [a, b] with g(a) ≥ target ≥ g(b)
        let a = s0 > target ? 0 : Number.NEGATIVE_INFINITY;
        let b = s0 > target ? Number.POSITIVE_INFINITY : 0;
        let g = s0;
        for (let k = 0; k < 200; k++) {
          if (g > target) a = tau;
          else if (g < target) b = tau;
          else break;
          let next = free > 0 ? tau + (g - target) / free : Number.NaN;
          if (!(next > a && next < b))
            next = Number.isFinite(a) && Number.isFinite(b) ? (a + b) / 2 : tau + (g - target) / n + (g > target ? 1e-12 : -1e-12);
          if (next === tau) break;
          tau = next;
          g = clippedSum(v, tau);
          if (Math.abs(g - target) <= 1e-15 * (1 + Math.abs(target))) break;
        }
      }
      for (let i = 0; i < n; i++) v[i] = clip(v[i]! - tau, lo[i]!, hi[i]!);
    },
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

/** Sectors are disjoint, so the projection is one slab projection per sector: shift its members equally. */
function sectorBounds(ofAsset: readonly string[], bounds: Record<string, { min?: number; max?: number }>): ConstraintSet {
  const groups = Object.entries(bounds).map(([sector, b]) => {
    const members = ofAsset.flatMap((s, i) => (s === sector ? [i] : []));
    const min = b.min ?? Number.NEGATIVE_INFINITY;
    const max = b.max ?? Number.POSITIVE_INFINITY;
    if (min > max) throw new Error(`constraints.sectors.${sector}: min ${min} exceeds max ${max}`);
    if (members.length === 0 && (min > 0 || max < 0))
      throw new Error(`constraints.sectors.${sector}: no asset is in the sector, so its bounds [${min}, ${max}] cannot hold`);
    return { members, min, max };
  });
  const sum = (w: Float64Array, members: number[]) => members.reduce((s, i) => s + w[i]!, 0);
  return {
    name: "sector bounds",
    project(v) {
      for (const g of groups) {
        if (g.members.length === 0) continue;
        const s = sum(v, g.members);
        const shift = s > g.max ? (g.max - s) / g.members.length : s < g.min ? (g.min - s) / g.members.length : 0;
        if (shift !== 0) for (const i of g.members) v[i]! += shift;
      }
    },
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

/** Projection onto {y : ‖y − centre‖₁ ≤ radius} (Duchi et al. 2008: soft-threshold at the θ found by sorting). */
function l1Ball(name: string, centre: Float64Array, radius: number): ConstraintSet {
  const n = centre.length;
  const abs = new Float64Array(n);
  const sorted = new Float64Array(n);
  return {
    name,
    project(v) {
      let norm = 0;
      for (let i = 0; i < n; i++) {
        abs[i] = Math.abs(v[i]! - centre[i]!);
        norm += abs[i]!;
      }
      if (norm <= radius) return;
      sorted.set(abs);
      sorted.sort();
      // walk from the largest: θ is set by the first k where the next magnitude falls below it
      let cum = 0;
      let theta = 0;
      for (let k = 0; k < n; k++) {
        cum += sorted[n - 1 - k]!;
        const t = (cum - radius) / (k + 1);
        if (k + 1 === n || sorted[n - 2 - k]! <= t) {
          theta = t;
          break;
        }
      }
      for (let i = 0; i < n; i++) {
        const d = v[i]! - centre[i]!;
        v[i] = centre[i]! + Math.sign(d) * Math.max(abs[i]! - theta, 0);
      }
    },
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
    sets.push(l1Ball("gross exposure", new Float64Array(n), c.gross));
  }
  if (c.turnover) {
    if (c.turnover.current.length !== n)
      throw new Error(`constraints.turnover.current: ${c.turnover.current.length} weights for ${n} assets`);
    if (!(c.turnover.max >= 0)) throw new Error(`constraints.turnover.max: must be non-negative, got ${c.turnover.max}`);
    sets.push(l1Ball("turnover", Float64Array.from(c.turnover.current), c.turnover.max));
  }
  return sets;
}
