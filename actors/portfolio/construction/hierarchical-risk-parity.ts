/**
 * Hierarchical risk parity (López de Prado 2016, "Building diversified portfolios that outperform out of sample"):
 * cluster assets by correlation distance d_ij = √((1 − ρ_ij)/2), order them so similar assets sit together
 * (quasi-diagonalisation), then split the ordered list in halves recursively, giving each half a share inversely
 * proportional to its inverse-variance portfolio's variance. No matrix is inverted, so a singular Σ is fine.
 *
 * Clustering is single linkage on the Euclidean distance between the columns of d, as in the paper; single linkage
 * merges along a minimum spanning tree, built here by Prim's algorithm in O(n²).
 */
import { type Matrix, requireSquare } from "../../risk-book/analytics/index.ts";

export interface HierarchicalRiskParity {
  weights: number[];
  /** assets in quasi-diagonal order */
  order: number[];
}

/** Leaf order of the single-linkage dendrogram of a distance matrix. */
export function singleLinkageOrder(distance: Matrix): number[] {
  const n = distance.length;
  // Prim's minimum spanning tree; its edges sorted by length are the single-linkage merges.
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n).fill(-1);
  const edges: { a: number; b: number; d: number }[] = [];
  best[0] = 0;
  for (let step = 0; step < n; step++) {
    let v = -1;
    for (let i = 0; i < n; i++) if (!inTree[i] && (v < 0 || best[i]! < best[v]!)) v = i;
    inTree[v] = 1;
    if (from[v]! >= 0) edges.push({ a: from[v]!, b: v, d: best[v]! });
    for (let i = 0; i < n; i++) {
      if (!inTree[i] && distance[v]![i]! < best[i]!) {
        best[i] = distance[v]![i]!;
        from[i] = v;
      }
    }
  }
  edges.sort((x, y) => x.d - y.d || x.a - y.a || x.b - y.b);
  // Merge clusters (union-find); each cluster keeps its leaves in dendrogram order, left (earlier) cluster first.
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const leaves: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (const e of edges) {
    const ra = root(e.a);
    const rb = root(e.b);
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    leaves[keep] = [...leaves[keep]!, ...leaves[drop]!];
    leaves[drop] = [];
    parent[drop] = keep;
  }
  return leaves[root(0)]!;
}

const clusterVariance = (cov: Matrix, members: readonly number[]): number => {
  // the inverse-variance portfolio within the cluster
  const iv = members.map((i) => 1 / cov[i]![i]!);
  const total = iv.reduce((s, v) => s + v, 0);
  let v = 0;
  members.forEach((i, a) => {
    members.forEach((j, b) => {
      v += (iv[a]! / total) * (iv[b]! / total) * cov[i]![j]!;
    });
  });
  return v;
};

export function hierarchicalRiskParity(covariance: Matrix): HierarchicalRiskParity {
  const n = requireSquare(covariance, "covariance");
  if (n === 0) throw new Error("covariance: no assets");
  const sd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(covariance[i]![i]! > 0)) throw new Error(`covariance[${i}][${i}]: variance must be positive, got ${covariance[i]![i]}`);
    sd[i] = Math.sqrt(covariance[i]![i]!);
  }
  const d = covariance.map((row, i) => row.map((c, j) => Math.sqrt(Math.max(0, (1 - c / (sd[i]! * sd[j]!)) / 2))));
  const dd = d.map((_, i) =>
    Float64Array.from({ length: n }, (__, j) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += (d[k]![i]! - d[k]![j]!) ** 2;
      return Math.sqrt(s);
    }),
  );
  const order = singleLinkageOrder(dd);
  const weights = new Array<number>(n).fill(1);
  const stack: number[][] = [order];
  while (stack.length > 0) {
    const items = stack.pop()!;
    if (items.length < 2) continue;
    const half = items.length >> 1;
    const left = items.slice(0, half);
    const right = items.slice(half);
    const vl = clusterVariance(covariance, left);
    const vr = clusterVariance(covariance, right);
    const alpha = 1 - vl / (vl + vr);
    for (const i of left) weights[i]! *= alpha;
    for (const i of right) weights[i]! *= 1 - alpha;
    stack.push(left, right);
  }
  return { weights, order };
}
