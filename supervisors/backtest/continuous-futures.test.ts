import t from "tap";
import { priceOf, quantityOf } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { ContinuousFutures, type RollRule } from "./continuous-futures.ts";

const DAY = 86_400_000_000;
const trade = (instrument: string, day: number, price: number): ReplayRecord => ({
  type: "RawTrade",
  instrument,
  price: priceOf(price),
  size: quantityOf(1),
  aggressor: "BUY",
  tradeId: `${instrument}-${day}`,
  tsEvent: day * DAY,
  tsInit: day * DAY,
});
const rule = (adjust: RollRule["adjust"]): RollRule => ({
  instrument: "ES.XCME",
  // in any order: sorted by expiry
  contracts: [
    { instrument: "ESM4.XCME", expiryUs: 40 * DAY },
    { instrument: "ESH4.XCME", expiryUs: 20 * DAY },
  ],
  rollDaysBefore: 5,
  adjust,
});
const seen = (f: ContinuousFutures, records: ReplayRecord[]) =>
  records.map((r) => f.roll(r)).map((r) => (r && r.type === "RawTrade" ? [r.instrument, r.tsEvent / DAY, r.price / 1e8] : undefined));

t.test("the front contract until N days before its expiry, then the next, shifted by the gap at the roll", async (t) => {
  const f = new ContinuousFutures([rule("difference")]);
  t.same(
    seen(f, [
      trade("ESH4.XCME", 10, 5000),
      trade("ESM4.XCME", 12, 5040),
      trade("ESH4.XCME", 14, 5010),
      // day 15 is the roll (20 − 5): the gap is 5040 − 5010 = 30
      trade("ESM4.XCME", 15, 5045),
      trade("ESH4.XCME", 16, 5020),
      trade("ESM4.XCME", 41, 5100),
      trade("NQ.XCME", 41, 18000),
    ]),
    [["ES.XCME", 10, 5000], undefined, ["ES.XCME", 14, 5010], ["ES.XCME", 15, 5015], undefined, undefined, ["NQ.XCME", 41, 18000]],
  );
});

t.test("without adjustment the series jumps at the roll; a next contract with no price before the roll is an error", async (t) => {
  const plain = new ContinuousFutures([rule("none")]);
  t.same(seen(plain, [trade("ESH4.XCME", 10, 5000), trade("ESM4.XCME", 12, 5040), trade("ESM4.XCME", 15, 5045)]), [
    ["ES.XCME", 10, 5000],
    undefined,
    ["ES.XCME", 15, 5045],
  ]);
  const f = new ContinuousFutures([rule("difference")]);
  f.roll(trade("ESH4.XCME", 10, 5000));
  t.throws(() => f.roll(trade("ESM4.XCME", 16, 5040)), {
    message: /roll of ES\.XCME from ESH4\.XCME to ESM4\.XCME .* ESM4\.XCME has no price before the roll/,
  });
  t.throws(() => new ContinuousFutures([rule("none"), { ...rule("none"), instrument: "ES2.XCME" }]), {
    message: /ESH4\.XCME is in two roll rules/,
  });
});
