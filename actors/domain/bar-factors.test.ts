import t from "tap";
import { BAR_FACTORS, BarFactorError, BarFactorWindow, namedFactors } from "./bar-factors.ts";

// 26 bars: close 100 + 3 sin(0.7 i) + 0.1 i, high close + 0.5 + 0.01 i, low close − 0.4, volume 1000 + (37 i mod 200)
const bars = Array.from({ length: 26 }, (_, i) => {
  const close = 100 + Math.sin(i * 0.7) * 3 + i * 0.1;
  return { close, high: close + 0.5 + 0.01 * i, low: close - 0.4, volume: 1000 + ((i * 37) % 200) };
});

// factors() of scripts/models/train.py on the same bars, rows 20 to 25
const fromTrainPy = [
  [0.010231219190324436, 0.06181319976583732, 0.014406808134099489, 0.010479002634602538, 1.0377787892580792],
  [-0.0031873465380262145, 0.06055771636274332, 0.01385564298563949, 0.010608077915335577, 1.064676616915423],
  [-0.014601736590020509, 0.03268813826071648, 0.014085831958121874, 0.010862253955880833, 0.9197278911564626],
  [-0.018965973751431497, -0.0073314722387385345, 0.014680462238285867, 0.011171109332577278, 0.9558890404729422],
  [-0.014003300407510633, -0.04014495431590037, 0.014660867423710786, 0.011430026806235378, 0.9922480620155039],
  [-0.0016460934622442025, -0.05142999308937335, 0.01403362514882014, 0.011549301428848097, 1.02880658436214],
];

t.test("the factors match the Python training code's bar-factors v1 on the same bars", async (t) => {
  const w = new BarFactorWindow();
  const rows = bars.map((b) => w.push(b));
  t.same(rows.slice(0, 20), Array(20).fill(undefined), "no row before 20 earlier bars are known");
  for (let i = 20; i < 26; i++)
    for (let f = 0; f < BAR_FACTORS.features.length; f++)
      t.ok(Math.abs(rows[i]![f]! - fromTrainPy[i - 20]![f]!) < 1e-12, `bar ${i} ${BAR_FACTORS.features[f]}`);
});

t.test("a bar's factors do not depend on later bars", async (t) => {
  const w1 = new BarFactorWindow();
  const w2 = new BarFactorWindow();
  const a = bars.map((b) => w1.push(b));
  const b = bars.map((x, i) => w2.push(i > 22 ? { ...x, close: x.close * 2, high: x.high * 2, low: x.low * 2 } : x));
  t.same(b.slice(0, 23), a.slice(0, 23));
  t.not(b[23]![0], a[23]![0], "the changed bar's own factors change");
});

t.test("fixed-point units give the same factors as plain prices", async (t) => {
  const w1 = new BarFactorWindow();
  const w2 = new BarFactorWindow();
  const scale = (v: number) => Math.round(v * 1e8);
  for (const b of bars) {
    const x = w1.push(b);
    const y = w2.push({ close: scale(b.close), high: scale(b.high), low: scale(b.low), volume: scale(b.volume) });
    if (x && y) for (let f = 0; f < 5; f++) t.ok(Math.abs(x[f]! - y[f]!) < 1e-8, `${BAR_FACTORS.features[f]}`);
  }
});

t.test("bad bars are refused with the field and change nothing; all-zero volume gives no row", async (t) => {
  const w = new BarFactorWindow();
  t.throws(() => w.push({ close: 0, high: 1, low: 0, volume: 1 }), BarFactorError);
  t.throws(() => w.push({ close: 1, high: 0.5, low: 0.9, volume: 1 }), /high 0.5 is below its low 0.9/);
  t.throws(() => w.push({ close: 1, high: 1, low: 1, volume: -1 }), /volume must be non-negative/);
  t.equal(w.bars, 0);
  const quiet = new BarFactorWindow();
  for (let i = 0; i < 25; i++) t.equal(quiet.push({ close: 100, high: 100, low: 100, volume: 0 }), undefined);
  t.same(namedFactors([1, 2, 3, 4, 5]), { ret1: 1, ret5: 2, vol20: 3, range: 4, volumeRatio: 5 });
  t.throws(() => namedFactors([1]), /has 5 values, got 1/);
});
