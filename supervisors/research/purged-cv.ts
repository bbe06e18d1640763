import { walkForwardWindows } from "../backtest/index.ts";

/**
 * Cross-validation that does not leak (López de Prado, Advances in Financial Machine Learning, ch. 7 and 12).
 * A sample's label spans [t0, t1]: a training sample whose span overlaps a test block's [first t0, last t1] is
 * purged (its label saw the test period), and so is one that starts within `embargoUs` after the block ends
 * (features are serially correlated: what follows the test period still knows it).
 * Samples must be in t0 order (a dataset's rows are); folds and groups are runs of consecutive samples.
 */
export interface LabelSpan {
  t0: number;
  t1: number;
}

export interface Split {
  /** sample indices, ascending */
  train: number[];
  test: number[];
}

export interface CombinatorialSplit extends Split {
  /** the groups this split tests, ascending */
  testGroups: number[];
}

export interface CombinatorialPlan {
  groups: number;
  testGroups: number;
  splits: CombinatorialSplit[];
  /**
   * The backtest paths: paths[p][g] is the split whose prediction of group g path p uses. Every (split, tested
   * group) pair is in exactly one path; there are C(groups − 1, testGroups − 1) of them.
   */
  paths: number[][];
}

export class CrossValidationError extends Error {
  override name = "CrossValidationError";
}

function checkSpans(spans: readonly LabelSpan[]): void {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (!(s.t1 >= s.t0)) throw new CrossValidationError(`sample ${i}: t1 ${s.t1} is before t0 ${s.t0}`);
    if (i > 0 && s.t0 < spans[i - 1]!.t0)
      throw new CrossValidationError(`sample ${i}: t0 ${s.t0} is before the previous sample's: sort by t0`);
  }
}

function checkParts(samples: number, parts: number, what: string): void {
  if (!Number.isSafeInteger(parts) || parts < 2) throw new CrossValidationError(`${what} must be an integer ≥ 2, got ${parts}`);
  if (samples < parts) throw new CrossValidationError(`${samples} samples cannot make ${parts} ${what}`);
}

function checkEmbargo(embargoUs: number): void {
  if (!(embargoUs >= 0 && Number.isFinite(embargoUs))) throw new CrossValidationError(`embargoUs must be ≥ 0, got ${embargoUs}`);
}

/** Fold or group g of n samples cut into `parts` consecutive runs: its [from, to) sample indices. */
export const groupRange = (n: number, parts: number, g: number): [number, number] => [
  Math.floor((g * n) / parts),
  Math.floor(((g + 1) * n) / parts),
];

/** The block a run of test samples keeps clear: from its first t0 to its last t1 plus the embargo. */
function blockOf(spans: readonly LabelSpan[], from: number, to: number, embargoUs: number): { start: number; end: number } {
  let end = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) end = Math.max(end, spans[i]!.t1);
  return { start: spans[from]!.t0, end: end + embargoUs };
}

function trainOutside(spans: readonly LabelSpan[], tested: Uint8Array, blocks: readonly { start: number; end: number }[]): number[] {
  const train: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    if (tested[i]) continue;
    const s = spans[i]!;
    if (blocks.some((b) => s.t1 >= b.start && s.t0 <= b.end)) continue;
    train.push(i);
  }
  return train;
}

/** k folds of consecutive samples, each tested once, trained on the others less the purged and embargoed. */
export function purgedKFold(spans: readonly LabelSpan[], folds: number, embargoUs = 0): Split[] {
  checkSpans(spans);
  checkParts(spans.length, folds, "folds");
  checkEmbargo(embargoUs);
  const out: Split[] = [];
  for (let f = 0; f < folds; f++) {
    const [from, to] = groupRange(spans.length, folds, f);
    const tested = new Uint8Array(spans.length).fill(1, from, to);
    const test = Array.from({ length: to - from }, (_, i) => from + i);
    out.push({ train: trainOutside(spans, tested, [blockOf(spans, from, to, embargoUs)]), test });
  }
  return out;
}

/** All k-of-n index combinations in lexicographic order. */
function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i <= n - (k - acc.length); i++) {
      acc.push(i);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

/**
 * Combinatorial purged cross-validation: the samples in `groups` runs; every choice of `testGroups` of them is one
 * split (C(groups, testGroups) splits), each tested block purged and embargoed on its own; the splits' predictions
 * assemble into C(groups − 1, testGroups − 1) complete backtest paths.
 */
export function combinatorialPurgedSplits(
  spans: readonly LabelSpan[],
  groups: number,
  testGroups: number,
  embargoUs = 0,
): CombinatorialPlan {
  checkSpans(spans);
  checkParts(spans.length, groups, "groups");
  checkEmbargo(embargoUs);
  if (!Number.isSafeInteger(testGroups) || testGroups < 1 || testGroups >= groups)
    throw new CrossValidationError(`testGroups must be an integer in [1, ${groups - 1}], got ${testGroups}`);
  const n = spans.length;
  const splits = combinations(groups, testGroups).map((chosen): CombinatorialSplit => {
    const tested = new Uint8Array(n);
    const test: number[] = [];
    const blocks = chosen.map((g) => {
      const [from, to] = groupRange(n, groups, g);
      tested.fill(1, from, to);
      for (let i = from; i < to; i++) test.push(i);
      return blockOf(spans, from, to, embargoUs);
    });
    return { train: trainOutside(spans, tested, blocks), test, testGroups: chosen };
  });
  // path p takes, for each group, the p-th split (in order) that tests it
  const byGroup = Array.from({ length: groups }, (_, g) => splits.flatMap((s, i) => (s.testGroups.includes(g) ? [i] : [])));
  const paths = Array.from({ length: byGroup[0]!.length }, (_, p) => byGroup.map((splitsOfGroup) => splitsOfGroup[p]!));
  return { groups, testGroups, splits, paths };
}

/**
 * Walk-forward splits over the backtester's walk-forward windows (supervisors/backtest/walk-forward.ts): train on
 * the samples that start in the in-sample window and whose labels end before the out-of-sample window starts; test
 * on those that start in the out-of-sample window.
 */
export function walkForwardSplits(
  spans: readonly LabelSpan[],
  spec: Parameters<typeof walkForwardWindows>[0],
): (Split & { window: number })[] {
  checkSpans(spans);
  return walkForwardWindows(spec).map((w) => {
    const train: number[] = [];
    const test: number[] = [];
    spans.forEach((s, i) => {
      if (s.t0 >= w.inSample.fromUs && s.t0 < w.inSample.toUs && s.t1 < w.outOfSample.fromUs) train.push(i);
      else if (s.t0 >= w.outOfSample.fromUs && s.t0 < w.outOfSample.toUs) test.push(i);
    });
    return { window: w.index, train, test };
  });
}
