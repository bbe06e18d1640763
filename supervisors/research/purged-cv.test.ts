import t from "tap";
import { combinatorialPurgedSplits, CrossValidationError, type LabelSpan, purgedKFold, walkForwardSplits } from "./purged-cv.ts";

/** one sample per bar i (t0 = i), each label spanning `span` bars ahead */
const spansOf = (n: number, span: number): LabelSpan[] => Array.from({ length: n }, (_, i) => ({ t0: i, t1: i + span }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const leaks = (spans: readonly LabelSpan[], train: number[], test: number[]) =>
  train.filter((i) => test.some((j) => spans[i]!.t1 >= spans[j]!.t0 && spans[i]!.t0 <= spans[j]!.t1));

t.test("a training label whose [t0, t1] overlaps the test fold is purged, on both sides of the fold", async (t) => {
  // 10 samples, labels 2 bars long, 5 folds of 2: the fold of samples 4 and 5 covers [4, 7]
  const spans = spansOf(10, 2);
  const folds = purgedKFold(spans, 5);
  t.same(folds[2], { test: [4, 5], train: [0, 1, 8, 9] }, "2 and 3 end inside the fold, 6 and 7 start before its last label ends");
  t.same(folds[0], { test: [0, 1], train: [4, 5, 6, 7, 8, 9] });
  t.same(folds[4], { test: [8, 9], train: [0, 1, 2, 3, 4, 5] });
  for (const f of folds) t.same(leaks(spans, f.train, f.test), [], "no training label overlaps a test label");
});

t.test("the embargo removes the samples that start just after the test fold", async (t) => {
  // labels of one bar: without an embargo only the overlapping neighbours go
  const spans = spansOf(20, 0);
  t.same(purgedKFold(spans, 4)[1], { test: range(5, 10), train: [...range(0, 5), ...range(10, 20)] });
  // an embargo of 3 bars drops the 3 samples after the fold, and none before it
  t.same(purgedKFold(spans, 4, 3)[1], { test: range(5, 10), train: [...range(0, 5), ...range(13, 20)] });
});

t.test("combinatorial purged CV: N=6, k=2 makes 15 splits and 5 paths covering every group once", async (t) => {
  const spans = spansOf(60, 3);
  const plan = combinatorialPurgedSplits(spans, 6, 2, 2);
  t.equal(plan.splits.length, 15);
  t.equal(plan.paths.length, 5);
  t.same(plan.splits[0]!.testGroups, [0, 1]);
  t.same(plan.splits[14]!.testGroups, [4, 5]);
  const used = new Set<string>();
  for (const path of plan.paths) {
    t.equal(path.length, 6);
    path.forEach((split, g) => {
      t.ok(plan.splits[split]!.testGroups.includes(g), `split ${split} tests group ${g}`);
      used.add(`${split}/${g}`);
    });
  }
  t.equal(used.size, 30, "every (split, tested group) pair is in exactly one path");
  for (const s of plan.splits) {
    t.same(leaks(spans, s.train, s.test), []);
    t.equal(s.test.length, 20);
  }
  // groups 1 and 3 tested: group 1 is [10, 20) with labels to 22, group 3 [30, 40) to 42; embargo 2
  const s13 = plan.splits.find((s) => s.testGroups.join() === "1,3")!;
  t.same(s13.train, [...range(0, 7), ...range(25, 27), ...range(45, 60)]);
  t.equal(combinatorialPurgedSplits(spansOf(40, 0), 5, 1).paths.length, 1, "k = 1 is one path: plain purged k-fold");
  t.equal(combinatorialPurgedSplits(spansOf(40, 0), 8, 3).paths.length, 21, "C(7, 2) paths");
});

t.test("walk-forward splits reuse the backtester's windows and purge labels that reach out of sample", async (t) => {
  const spans = spansOf(100, 3);
  const splits = walkForwardSplits(spans, { startUs: 0, endUs: 100, inSampleUs: 40, outOfSampleUs: 20 });
  t.equal(splits.length, 3);
  t.same(splits[0], { window: 0, train: range(0, 37), test: range(40, 60) });
  t.same(splits[2], { window: 2, train: range(40, 77), test: range(80, 100) });
  for (const s of splits) t.same(leaks(spans, s.train, s.test), []);
});

t.test("bad input is refused with the reason", async (t) => {
  t.throws(() => purgedKFold(spansOf(10, 1), 1), /folds must be an integer ≥ 2/);
  t.throws(() => purgedKFold(spansOf(3, 1), 4), /3 samples cannot make 4 folds/);
  t.throws(
    () =>
      purgedKFold(
        [
          { t0: 2, t1: 3 },
          { t0: 1, t1: 2 },
        ],
        2,
      ),
    /sample 1: t0 1 is before/,
  );
  t.throws(
    () =>
      purgedKFold(
        [
          { t0: 2, t1: 1 },
          { t0: 3, t1: 4 },
        ],
        2,
      ),
    /t1 1 is before t0 2/,
  );
  t.throws(() => purgedKFold(spansOf(10, 1), 2, -1), /embargoUs must be ≥ 0/);
  t.throws(() => combinatorialPurgedSplits(spansOf(10, 1), 4, 4), CrossValidationError);
});
