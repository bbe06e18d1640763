import fc from "fast-check";
import t from "tap";
import { BarAggregator, type BarRecord, mergeBars, parseBarType, vwapOf } from "./index.ts";

const trades = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3_000_000 }), fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 1, max: 1_000 })), {
    minLength: 1,
    maxLength: 300,
  })
  .map((xs) => {
    let ts = 1_700_000_000_000_000;
    return xs.map(([dt, priceTicks, lots]) => {
      ts += dt;
      return { ts, price: priceTicks * 1_000_000, size: lots * 100_000_000 };
    });
  });

function aggregate(barType: string, xs: { ts: number; price: number; size: number }[]): BarRecord[] {
  const a = new BarAggregator(parseBarType(barType));
  const out: BarRecord[] = [];
  for (const x of xs) a.onTrade(x.ts, x.price, x.size, BigInt(x.price) * BigInt(x.size), out);
  a.closeDue(Number.MAX_SAFE_INTEGER, out);
  return out;
}

t.test("1 m bars merged from 1 s bars equal 1 m bars built directly", async (t) => {
  fc.assert(
    fc.property(trades, (xs) => {
      const direct = aggregate("1m", xs);
      const seconds = aggregate("1s", xs);
      const merged: BarRecord[] = [];
      const byMinute = new Map<number, BarRecord[]>();
      for (const b of seconds) {
        const m = b.tsOpen - (b.tsOpen % 60_000_000);
        if (!byMinute.has(m)) byMinute.set(m, []);
        byMinute.get(m)!.push(b);
      }
      for (const [m, bs] of byMinute) merged.push(mergeBars(bs, "1m", m, m + 60_000_000));
      t.same(merged, direct);
      for (let i = 0; i < direct.length; i++) {
        t.equal(vwapOf(merged[i]!.turnover, merged[i]!.volume), vwapOf(direct[i]!.turnover, direct[i]!.volume));
      }
      // the published VWAPs (rounded) re-aggregate to within one unit of the exact value
      for (const [m, bs] of byMinute) {
        const d = direct.find((b) => b.tsOpen === m)!;
        const approx = bs.reduce((s, b) => s + vwapOf(b.turnover, b.volume) * b.volume, 0) / d.volume;
        t.ok(Math.abs(approx - vwapOf(d.turnover, d.volume)) <= 1);
      }
    }),
    { numRuns: 60 },
  );
});

t.test("OHLCV, VWAP and trade count of a bar follow its trades", async (t) => {
  fc.assert(
    fc.property(trades, (xs) => {
      const [bar] = aggregate("1d", xs.slice(0, 1).concat(xs.slice(1).map((x) => ({ ...x, ts: xs[0]!.ts }))));
      const prices = xs.map((x) => x.price);
      t.equal(bar!.open, prices[0]);
      t.equal(bar!.close, prices[prices.length - 1]);
      t.equal(bar!.high, Math.max(...prices));
      t.equal(bar!.low, Math.min(...prices));
      t.equal(bar!.trades, xs.length);
      const vol = xs.reduce((s, x) => s + x.size, 0);
      t.equal(bar!.volume, vol);
      const pv = xs.reduce((s, x) => s + BigInt(x.price) * BigInt(x.size), 0n);
      t.equal(vwapOf(bar!.turnover, bar!.volume), Number((2n * pv + BigInt(vol)) / (2n * BigInt(vol))));
    }),
    { numRuns: 40 },
  );
});

t.test("tick bars close every N trades and volume bars on the trade that reaches the threshold", async (t) => {
  const xs = [1, 2, 3, 4, 5].map((i) => ({ ts: i, price: 100_000_000, size: i * 100_000_000 }));
  t.same(
    aggregate("2t", xs).map((b) => b.trades),
    [2, 2],
    "the fifth trade waits in the open bar",
  );
  t.same(
    aggregate("4v", xs).map((b) => b.volume / 100_000_000),
    [6, 4, 5],
  );
  t.throws(() => parseBarType("0s"));
  t.throws(() => parseBarType("1w"));
});

t.test("VWAP rounds half up to a whole unit", async (t) => {
  t.equal(vwapOf(5n, 2), 3);
  t.equal(vwapOf(4n, 3), 1);
  t.equal(vwapOf(5n, 3), 2);
});
