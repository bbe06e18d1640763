import fc from "fast-check";
import t from "tap";
import { type FillFields, fromNumber, SCALE, priceOf, quantityOf, asPrice, asMoney, asQuantity } from "../domain/index.ts";
import { AAPL, ES, specs } from "./testing.ts";
import { applyFill, averagePrice, emptyPortfolio, type MarkTable, netQuantity, type Portfolio, totals } from "./portfolio.ts";

const specTable = Object.fromEntries(specs.map((s) => [s.instrument, s]));
const instruments = [AAPL, ES] as const;

const fillArb = fc.record({
  instrument: fc.constantFrom(...instruments),
  side: fc.constantFrom("BUY" as const, "SELL" as const),
  quantity: fc.integer({ min: 1, max: 5_000 * SCALE }),
  price: fc.integer({ min: 1, max: 20_000 * SCALE }),
  fee: fc.bigInt({ min: 0n, max: 10n ** 10n }),
  positionSide: fc.option(fc.constantFrom("LONG" as const, "SHORT" as const), { nil: undefined }),
});
const marksArb = fc.record({ [AAPL]: fc.integer({ min: 1, max: 20_000 * SCALE }), [ES]: fc.integer({ min: 1, max: 20_000 * SCALE }) });

type RandomFill = typeof fillArb extends fc.Arbitrary<infer T> ? T : never;

function run(mode: "NETTING" | "HEDGING", fills: RandomFill[]): Portfolio {
  let p = emptyPortfolio(mode, asMoney(10n ** 15n));
  fills.forEach((f, k) => {
    const full: FillFields = {
      ...f,
      quantity: asQuantity(f.quantity),
      price: asPrice(f.price),
      fee: asMoney(f.fee),
      fillId: `f${k}`,
      tsEvent: k,
      tsInit: k,
    };
    p = applyFill(p, full, specTable[f.instrument]!.multiplier).portfolio;
  });
  return p;
}

for (const mode of ["NETTING", "HEDGING"] as const) {
  t.test(`in ${mode} mode the position is the sum of signed fills`, async (t) => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 60 }), (fills) => {
        const p = run(mode, fills);
        for (const i of instruments) {
          const expected = fills.filter((f) => f.instrument === i).reduce((s, f) => s + (f.side === "BUY" ? f.quantity : -f.quantity), 0);
          if (netQuantity(p, i) !== expected) return false;
        }
        // A hedging leg never holds the other direction.
        return Object.values(p.positions).every((pos) =>
          pos.leg === "LONG" ? pos.quantity >= 0 : pos.leg === "SHORT" ? pos.quantity <= 0 : true,
        );
      }),
    );
    t.pass();
  });

  t.test(`in ${mode} mode realised + unrealised − fees equals the change of equity, exactly`, async (t) => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 60 }), marksArb, (fills, m) => {
        const start = 10n ** 15n;
        const p = run(mode, fills);
        const marks: MarkTable = { [AAPL]: { last: asPrice(m[AAPL]!) }, [ES]: { last: asPrice(m[ES]!) } };
        const tot = totals(p, specTable, marks, "LAST");
        const feeSum = fills.reduce((s, f) => s + f.fee, 0n);
        return p.fees === feeSum && tot.equity - start === p.realisedPnl + tot.unrealisedPnl - p.fees;
      }),
    );
    t.pass();
  });
}

t.test("a round trip realises exactly its cash flows and leaves no cost basis", async (t) => {
  let p = emptyPortfolio("NETTING", asMoney(0n));
  const f = (side: "BUY" | "SELL", q: number, price: number, id: string): FillFields => ({
    fillId: id,
    instrument: ES,
    side,
    quantity: quantityOf(q),
    price: priceOf(price),
    fee: asMoney(0n),
    tsEvent: 0,
    tsInit: 0,
  });
  const mult = specTable[ES]!.multiplier;
  p = applyFill(p, f("BUY", 3, 4000.25, "a"), mult).portfolio;
  p = applyFill(p, f("BUY", 1, 4001, "b"), mult).portfolio;
  t.equal(averagePrice(p.positions[ES]!, mult), fromNumber(4000.4375), "average of 3 @ 4000.25 and 1 @ 4001");
  p = applyFill(p, f("SELL", 1, 4010, "c"), mult).portfolio;
  p = applyFill(p, f("SELL", 5, 4005, "d"), mult).portfolio;
  t.equal(p.positions[ES]!.quantity, fromNumber(-2), "flipped to short 2");
  t.equal(averagePrice(p.positions[ES]!, mult), fromNumber(4005), "the flipped part opens at the fill price");
  p = applyFill(p, f("BUY", 2, 4000, "e"), mult).portfolio;
  t.equal(p.positions[ES]!.cost, 0n, "flat position has no cost basis");
  t.equal(p.realisedPnl, p.cash, "all cash flow is realised P&L");
  // 50 × (−3·4000.25 − 4001 + 4010 + 5·4005 − 2·4005... ) computed by hand:
  // long 4 @ avg 4000.4375 sold 1 @ 4010 and 3 @ 4005 → 50 × (9.5625 + 13.6875) = 1162.5; short 2 @ 4005 bought @ 4000 → 500
  t.equal(p.realisedPnl, BigInt(fromNumber(1662.5)));
});

t.test("hedging mode holds long and short legs of one instrument separately", async (t) => {
  let p = emptyPortfolio("HEDGING", asMoney(0n));
  const base = { instrument: AAPL, fee: asMoney(0n), tsEvent: 0, tsInit: 0 };
  p = applyFill(p, { ...base, fillId: "1", side: "BUY", quantity: quantityOf(10), price: priceOf(100) }, SCALE).portfolio;
  p = applyFill(p, { ...base, fillId: "2", side: "SELL", quantity: quantityOf(4), price: priceOf(101) }, SCALE).portfolio;
  t.equal(p.positions[`${AAPL}|LONG`]!.quantity, fromNumber(10), "a sell without positionSide opens the short leg");
  t.equal(p.positions[`${AAPL}|SHORT`]!.quantity, fromNumber(-4));
  t.equal(netQuantity(p, AAPL), fromNumber(6));
  t.equal(p.realisedPnl, 0n, "nothing closed");
  p = applyFill(
    p,
    { ...base, fillId: "3", side: "SELL", quantity: quantityOf(3), price: priceOf(105), positionSide: "LONG" },
    SCALE,
  ).portfolio;
  t.equal(p.positions[`${AAPL}|LONG`]!.quantity, fromNumber(7), "positionSide LONG closes the long leg");
  t.equal(p.realisedPnl, BigInt(fromNumber(15)), "3 × (105 − 100)");
  const tot = totals(p, specTable, { [AAPL]: { last: priceOf(100) } }, "LAST");
  t.equal(tot.grossExposure, BigInt(fromNumber(1100)), "both legs count in gross: 700 + 400");
  t.equal(tot.netExposure, BigInt(fromNumber(300)));
});

t.test("the mark is the mid or the last trade as configured, the other as fallback", async (t) => {
  let p = emptyPortfolio("NETTING", asMoney(0n));
  p = applyFill(
    p,
    { fillId: "1", instrument: AAPL, side: "BUY", quantity: quantityOf(1), price: priceOf(100), fee: asMoney(0n), tsEvent: 0, tsInit: 0 },
    SCALE,
  ).portfolio;
  const marks: MarkTable = { [AAPL]: { bid: priceOf(101), ask: priceOf(103), last: priceOf(110) } };
  t.equal(totals(p, specTable, marks, "MID").unrealisedPnl, BigInt(fromNumber(2)));
  t.equal(totals(p, specTable, marks, "LAST").unrealisedPnl, BigInt(fromNumber(10)));
  t.equal(totals(p, specTable, { [AAPL]: { last: priceOf(99) } }, "MID").unrealisedPnl, BigInt(fromNumber(-1)), "no quote: last trade");
  t.equal(totals(p, specTable, {}, "MID").unrealisedPnl, 0n, "no market: the last fill price");
});
