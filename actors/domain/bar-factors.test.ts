import { readFileSync } from "node:fs";
import t from "tap";
import { BAR_FACTORS, barFactorSeries, type FactorBar, nextFactors, emptyFactorWindow, pairwiseSum } from "./bar-factors.ts";
import { toNumber } from "./fixed.ts";

interface Fixture {
  factors: string[];
  /** open, high, low, close, volume in 1e-8 units */
  bars: [number, number, number, number, number][];
  expected: (number[] | null)[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/bar-factors-v1.json", import.meta.url), "utf8")) as Fixture;
const bars: FactorBar[] = fixture.bars.map(([, high, low, close, volume]) => ({
  high: toNumber(high),
  low: toNumber(low),
  close: toNumber(close),
  volume: toNumber(volume),
}));

t.test("the factors are train.py's to the last bit on the same bars", async (t) => {
  t.same(fixture.factors, BAR_FACTORS.features, "the fixture's columns are the set's");
  const series = barFactorSeries(bars);
  let compared = 0;
  for (const [i, row] of fixture.expected.entries()) {
    const got = series[i];
    if (row === null) {
      t.equal(got, undefined, `bar ${i} has no factors, as in train.py`);
      continue;
    }
    if (!got) {
      t.fail(`bar ${i} lacks factors`);
      continue;
    }
    for (const [k, f] of BAR_FACTORS.features.entries())
      if (!Object.is(got[f], row[k])) t.fail(`bar ${i} ${f}: ${got[f]} where train.py has ${row[k]}`);
    compared++;
  }
  t.equal(compared, bars.length - 20, "every bar from the 21st on has factors");
});

t.test("a bar's factors read only that bar and earlier ones (point in time)", async (t) => {
  const whole = barFactorSeries(bars);
  const cut = barFactorSeries(bars.slice(0, 60));
  t.same(cut, whole.slice(0, 60), "later bars change no earlier factor");
  const changed = bars.slice(0, 61).map((b, i) => (i === 60 ? { ...b, close: b.close * 1.5 } : b));
  t.same(barFactorSeries(changed).slice(0, 60), whole.slice(0, 60));
});

t.test("bars without volume give no factors rather than a non-finite one", async (t) => {
  let window = emptyFactorWindow;
  let last: ReturnType<typeof nextFactors> | undefined;
  for (let i = 0; i < 25; i++) {
    last = nextFactors(window, { high: 101, low: 99, close: 100 + (i % 3), volume: 0 });
    window = last.window;
  }
  t.equal(last?.factors, undefined);
  t.equal(window.closes.length, 21, "the window keeps 21 closes");
  t.equal(window.volumes.length, 20, "and 20 volumes");
});

t.test("pairwiseSum adds in numpy's order", async (t) => {
  const xs = [1e16, 1, -1e16, 1, 1, 1, 1, 1, 1, 1];
  // eight partial sums from the first eight, then 1 + 1 one by one: ((1e16+1)+(-1e16+1))+... = 0+... in float64
  t.equal(pairwiseSum(xs), 1e16 + 1 + (-1e16 + 1) + (1 + 1 + (1 + 1)) + 1 + 1);
  t.throws(() => pairwiseSum(new Array(129).fill(1)), /at most 128/);
});
