import t from "tap";
import { Barrier, checkLabelRule, LabelRuleError, PendingLabel } from "./labels.ts";

const run = (p: PendingLabel, closes: number[]) => {
  for (let i = 0; i < closes.length; i++) {
    const l = p.next(closes[i]!, (i + 1) * 60);
    if (l) return { ...l, after: i + 1 };
  }
  return undefined;
};

t.test("a fixed-horizon label is the return to the close horizonBars bars later, ending at that bar", async (t) => {
  const l = run(new PendingLabel({ kind: "fixed-horizon", horizonBars: 3 }, 100, 0.01), [101, 99, 102, 150]);
  t.match(l, { t1: 180, after: 3 });
  t.ok(Math.abs(l!.ret - 0.02) < 1e-12, `ret ${l?.ret}`);
});

t.test("the triple barrier labels the first barrier the closes touch", async (t) => {
  // volatility 0.01 over 4 bars: target 0.02, barriers at +0.04 and −0.02
  const rule = { kind: "triple-barrier" as const, horizonBars: 4, profitTaking: 2, stopLoss: 1 };
  t.match(run(new PendingLabel(rule, 100, 0.01), [101, 104.5, 90, 90]), { label: 1, barrier: Barrier.Upper, t1: 120, after: 2 });
  t.match(run(new PendingLabel(rule, 100, 0.01), [101, 97.9, 110, 110]), { label: -1, barrier: Barrier.Lower, t1: 120, after: 2 });
  t.match(run(new PendingLabel(rule, 100, 0.01), [101, 102, 99, 101.5, 200]), { label: 0, barrier: Barrier.Vertical, t1: 240, after: 4 });
  // a multiple of 0 leaves that barrier out: only the vertical barrier or the other one can end the label
  const noStop = { ...rule, stopLoss: 0 };
  t.match(run(new PendingLabel(noStop, 100, 0.01), [50, 50, 50, 50]), { label: 0, barrier: Barrier.Vertical, after: 4 });
});

t.test("a label rule out of range is refused naming the field", async (t) => {
  t.throws(() => checkLabelRule({ kind: "fixed-horizon", horizonBars: 0 }), LabelRuleError);
  t.throws(() => checkLabelRule({ kind: "triple-barrier", horizonBars: 5, profitTaking: -1, stopLoss: 1 }), /profitTaking/);
});
