import { asMoney } from "../domain/index.ts";
import fc from "fast-check";
import t from "tap";
import { emptyEquityCurve, equityPoints, sampleDue, sampleEquity } from "./equity-curve.ts";
import { AAPL, BookHarness, money, px, qty } from "./testing.ts";

t.test("GetRiskLimits answers the book's limits, and SetRiskLimits answers with the limits in force", async (t) => {
  const h = new BookHarness();
  const set = h.limits({ maxOrderQuantity: qty(7), maxGrossExposure: { hard: money("5000") } });
  t.equal(set?.ok, true);
  t.match((set as { result: unknown }).result, { maxOrderQuantity: qty(7), maxGrossExposure: { hard: money("5000") } });
  const got = h.send({ type: "GetRiskLimits" });
  t.same((got as { result: unknown }).result, h.book.limits);
  const again = h.limits({ maxOrderQuantity: qty(7), maxGrossExposure: { hard: money("5000") } });
  t.same((again as { result: unknown }).result, h.book.limits, "re-applying the same limits answers them too");
});

t.test("the equity curve samples on marks and fills at most once per interval, and GetEquityCurve returns a range", async (t) => {
  const h = new BookHarness();
  h.fill({ side: "BUY", quantity: qty(10), price: px(100) });
  for (let i = 0; i < 100; i++) {
    h.nowUs += 1_000_000; // one mark a second: a sample every 30
    h.mark(AAPL, px(100 + (i % 7)));
  }
  const journalBefore = h.journal.length;
  const all = h.send({ type: "GetEquityCurve", fromUs: 0, toUs: h.nowUs, limit: 1000 }) as {
    ok: true;
    result: { points: { tsUs: number; equity: bigint }[] };
  };
  const points = all.result.points;
  t.equal(points.length, 4, "samples at 0 s, 30 s, 60 s and 90 s of 100 s");
  t.ok(
    points.every((p, i) => i === 0 || p.tsUs - points[i - 1]!.tsUs >= 30_000_000),
    "at least the interval apart",
  );
  t.equal(points[0]!.equity, money("1000000"), "the first sample after the fill: cash + position at cost");
  const some = h.send({ type: "GetEquityCurve", fromUs: points[1]!.tsUs, toUs: points[2]!.tsUs, limit: 1 }) as typeof all;
  t.same(some.result.points, [points[1]], "range and limit apply, oldest first");
  t.equal(h.journal.length, journalBefore, "queries journal nothing");
});

t.test("the equity ring keeps the last `capacity` points in time order", async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (capacity, n) => {
        const c = emptyEquityCurve({ everyUs: 10, capacity });
        for (let i = 1; i <= n; i++) if (sampleDue(c, i * 10)) sampleEquity(c, i * 10, asMoney(BigInt(i)));
        const got = equityPoints(c, 0, Number.MAX_SAFE_INTEGER, 1000);
        const want = Array.from({ length: Math.min(n, capacity) }, (_, k) => n - Math.min(n, capacity) + k + 1);
        return JSON.stringify(got.map((p) => p.tsUs / 10)) === JSON.stringify(want) && got.every((p) => p.equity === BigInt(p.tsUs / 10));
      }),
    ),
  );
});
