import t from "tap";
import {
  icebergChild,
  povChild,
  scheduledChild,
  sliceTimes,
  splitLots,
  twapSchedule,
  volumeProfile,
  weightedSchedule,
} from "./schedule.ts";

const LOT = 100;

t.test("splitLots gives whole lots in proportion to the weights, summing to the total exactly", async (t) => {
  t.same(splitLots(1000, LOT, [1, 1, 1, 1, 1]), [200, 200, 200, 200, 200]);
  t.same(splitLots(1000, LOT, [1, 1, 1]), [400, 300, 300], "the left-over lot goes to the earliest slice");
  t.same(splitLots(1000, LOT, [3, 0, 1]), [800, 0, 200]);
  t.throws(() => splitLots(1050, LOT, [1]), /whole number of lots/);
  t.throws(() => splitLots(1000, LOT, [0, 0]), /at least one must be positive/);
});

t.test("TWAP slices the horizon into equal-time slices of equal size, the first at the start", async (t) => {
  const s = twapSchedule(1000, LOT, 1_000_000, 2_000_000, 4);
  t.same(
    s.map((x) => x.atUs),
    [1_000_000, 1_250_000, 1_500_000, 1_750_000],
  );
  t.same(
    s.map((x) => x.quantity),
    [300, 300, 200, 200],
  );
  t.same(sliceTimes(0, 10, 2), [0, 5]);
  t.throws(() => sliceTimes(10, 10, 2), /endAtUs 10 must be after the start 10/);
});

t.test("VWAP sizes slices by the volume profile", async (t) => {
  const s = weightedSchedule(1000, LOT, 0, 4_000, [0.4, 0.1, 0.1, 0.4]);
  t.same(
    s.map((x) => x.quantity),
    [400, 100, 100, 400],
  );
});

t.test("the volume profile is the average intraday share of volume per bucket, flat without history", async (t) => {
  const hour = 3_600_000_000;
  const day = 24 * hour;
  const trades = [
    { tsUs: 9 * hour, size: 30 },
    { tsUs: 10 * hour + 1, size: 10 },
    { tsUs: day + 9 * hour + 5, size: 30 },
    { tsUs: day + 11 * hour, size: 30 },
    { tsUs: 20 * hour, size: 1_000 }, // outside the window
  ];
  t.same(volumeProfile(trades, 9 * hour, 12 * hour, 3), [0.6, 0.1, 0.3]);
  t.same(volumeProfile([], 9 * hour, 12 * hour, 4), [0.25, 0.25, 0.25, 0.25]);
  t.throws(() => volumeProfile([], 12 * hour, 9 * hour, 3), /within one day/);
});

t.test("a scheduled child is what is due less what is done and open, within the cap and the minimum", async (t) => {
  const schedule = twapSchedule(1000, LOT, 0, 1_000, 5);
  const base = { schedule, done: 0, open: 0, remaining: 1000, lot: LOT, minChild: LOT, volumeSinceLast: 0 };
  t.equal(scheduledChild({ ...base, index: 0 }), 200);
  t.equal(scheduledChild({ ...base, index: 2, done: 200 }), 400, "catches up on a missed slice");
  t.equal(scheduledChild({ ...base, index: 1, done: 100, open: 200 }), 100);
  t.equal(scheduledChild({ ...base, index: 1, cap: 0.1, volumeSinceLast: 2_000 }), 200, "10% of 2000 traded");
  t.equal(scheduledChild({ ...base, index: 0, minChild: 300 }), 0, "below the minimum child");
  t.equal(scheduledChild({ ...base, index: 9, done: 900, remaining: 100, minChild: 300 }), 100, "the rest is sent even below the minimum");
  t.equal(scheduledChild({ ...base, index: 7, done: 600, remaining: 400 }), 400, "past the horizon: all that is left");
});

t.test("POV targets its rate of the traded volume; iceberg shows one slice at a time", async (t) => {
  const pov = { rate: 0.1, done: 0, open: 0, remaining: 1000, lot: LOT, minChild: LOT };
  t.equal(povChild({ ...pov, marketVolume: 5_000 }), 500);
  t.equal(povChild({ ...pov, marketVolume: 5_000, done: 300, open: 100, remaining: 700 }), 100);
  t.equal(povChild({ ...pov, marketVolume: 500 }), 0, "5% of a lot is not a lot");
  t.equal(povChild({ ...pov, marketVolume: 100_000 }), 1000, "never more than the parent");
  t.equal(icebergChild({ display: 300, open: 0, remaining: 1000, lot: LOT }), 300);
  t.equal(icebergChild({ display: 300, open: 300, remaining: 1000, lot: LOT }), 0);
  t.equal(icebergChild({ display: 300, open: 0, remaining: 200, lot: LOT }), 200);
});
