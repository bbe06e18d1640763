import t from "tap";
import { stitchOutOfSample, walkForwardWindows } from "./walk-forward.ts";

t.test("rolling windows: in-sample before out-of-sample, no overlap, the embargo between, all inside the range", async (t) => {
  const w = walkForwardWindows({ startUs: 0, endUs: 100, inSampleUs: 30, outOfSampleUs: 10, embargoUs: 5 });
  t.same(
    w.map((x) => [x.inSample.fromUs, x.inSample.toUs, x.outOfSample.fromUs, x.outOfSample.toUs]),
    [
      [0, 30, 35, 45],
      [10, 40, 45, 55],
      [20, 50, 55, 65],
      [30, 60, 65, 75],
      [40, 70, 75, 85],
      [50, 80, 85, 95],
    ],
  );
  for (const [i, x] of w.entries()) {
    t.ok(x.inSample.toUs + 5 <= x.outOfSample.fromUs, `window ${i}: the embargo separates in-sample from out-of-sample`);
    if (i > 0) t.ok(w[i - 1]!.outOfSample.toUs <= x.outOfSample.fromUs, `window ${i}: out-of-sample windows do not overlap`);
  }
  const tiled = walkForwardWindows({ startUs: 0, endUs: 60, inSampleUs: 20, outOfSampleUs: 20 });
  t.same(
    tiled.map((x) => x.outOfSample),
    [
      { fromUs: 20, toUs: 40 },
      { fromUs: 40, toUs: 60 },
    ],
    "without a step the out-of-sample windows tile the rest of the range",
  );
  t.throws(() => walkForwardWindows({ startUs: 0, endUs: 10, inSampleUs: 8, outOfSampleUs: 5 }), /do not fit/);
  t.throws(() => walkForwardWindows({ startUs: 0, endUs: 100, inSampleUs: 8, outOfSampleUs: 5, stepUs: 4 }), /step 4 µs is shorter/);
});

t.test("stitching compounds the windows' returns and adds their P&L", async (t) => {
  const s = stitchOutOfSample(
    [
      { equity: [100, 110], pnl: 10, orders: 2, fills: 3 },
      { equity: [100, 90, 99], pnl: -1, orders: 1, fills: 1 },
    ],
    252,
  );
  t.equal(s.periods, 3);
  t.ok(Math.abs(s.totalReturn - (1.1 * 0.9 * 1.1 - 1)) < 1e-12);
  t.ok(Math.abs(s.maxDrawdown - 0.1) < 1e-12, "from 1.1 down to 0.99");
  t.equal(s.pnl, 9);
  t.equal(s.orders, 3);
  t.equal(s.fills, 4);
});
