import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { asPrice, asQuantity, priceOf, quantityOf } from "../../actors/domain/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { type CorporateAction, PriceAdjustments, readCorporateActions } from "./corporate-actions.ts";

const DAY = 86_400_000_000;
const grids = new Map([["AAA.X", { priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);
const bar = (tsEvent: number, close: number, volume = 10): ReplayRecord => ({
  type: "Bar",
  instrument: "AAA.X",
  barType: "1d",
  tsOpen: tsEvent - DAY,
  open: priceOf(close),
  high: priceOf(close),
  low: priceOf(close),
  close: priceOf(close),
  volume: quantityOf(volume),
  vwap: priceOf(close),
  trades: 1,
  tsEvent,
  tsInit: tsEvent,
});
const closeOf = (r: ReplayRecord) => (r.type === "Bar" ? r.close / 1e8 : Number.NaN);
const volumeOf = (r: ReplayRecord) => (r.type === "Bar" ? r.volume / 1e8 : Number.NaN);

t.test("a 2:1 split halves the prices before its ex-date and doubles the sizes: a position held through it keeps its value", async (t) => {
  const split: CorporateAction = { instrument: "AAA.X", exDateUs: 10 * DAY, kind: "split", ratio: 2 };
  const adj = new PriceAdjustments([split], grids, 100 * DAY);
  const before = adj.adjust(bar(9 * DAY, 100, 10));
  const after = adj.adjust(bar(10 * DAY, 50, 20));
  t.equal(closeOf(before), 50);
  t.equal(volumeOf(before), 20);
  t.equal(closeOf(after), 50, "from the ex-date on, prices are as recorded");
  // $1000 bought 10 shares at 100 before the split, 20 at the adjusted 50: worth 20 × 50 = $1000 after it, as 10 × 100
  const shares = 1000 / closeOf(before);
  t.equal(shares, 20, "the position is twice the shares bought at the recorded price");
  t.equal(shares * closeOf(after), 1000, "equity unchanged over the split");
});

t.test("a cash dividend lowers the prices before its ex-date by its amount: the holder's P&L includes it, as cash", async (t) => {
  const adj = new PriceAdjustments([{ instrument: "AAA.X", exDateUs: 10 * DAY, kind: "dividend", amount: priceOf(1) }], grids, 100 * DAY);
  const cum = adj.adjust(bar(9 * DAY, 100));
  const ex = adj.adjust(bar(10 * DAY, 99));
  t.equal(closeOf(cum), 99);
  t.equal(closeOf(ex), 99);
  // recorded: bought at 100, the price fell to 99 on the ex-date and 1 was paid: P&L 0 a share, as adjusted
  t.equal(closeOf(ex) - closeOf(cum), 99 - 100 + 1);
});

t.test(
  "actions compose in time order, prices round to the increment, sizes to the lot; actions from the run's end on do not apply",
  async (t) => {
    const actions: CorporateAction[] = [
      { instrument: "AAA.X", exDateUs: 20 * DAY, kind: "dividend", amount: priceOf(1) },
      { instrument: "AAA.X", exDateUs: 10 * DAY, kind: "split", ratio: 3 },
      { instrument: "AAA.X", exDateUs: 50 * DAY, kind: "split", ratio: 10 },
    ];
    const adj = new PriceAdjustments(actions, grids, 50 * DAY);
    // 100 / 3 = 33.333… → 33.33, less the later dividend: 32.33; 10 shares × 3 = 30
    const first = adj.adjust(bar(5 * DAY, 100, 10));
    t.equal(closeOf(first), 32.33);
    t.equal(volumeOf(first), 30);
    t.equal(closeOf(adj.adjust(bar(15 * DAY, 40))), 39);
    t.equal(closeOf(adj.adjust(bar(25 * DAY, 40))), 40);
    const quote: ReplayRecord = {
      type: "RawQuote",
      instrument: "AAA.X",
      bid: asPrice(4_000_000_000),
      bidSize: asQuantity(100_000_000),
      ask: asPrice(4_001_000_000),
      askSize: asQuantity(0),
      tsEvent: 60 * DAY,
      tsInit: 60 * DAY,
    };
    t.equal(adj.adjust(quote), quote, "the 10:1 split at the run's end is not applied");
    t.throws(() => new PriceAdjustments([{ instrument: "ZZZ.X", exDateUs: 1, kind: "split", ratio: 2 }], grids, 10), {
      message: /ZZZ\.X: the instrument is not in the run's instruments/,
    });
    const big = new PriceAdjustments(
      [{ instrument: "AAA.X", exDateUs: 10 * DAY, kind: "dividend", amount: priceOf(200) }],
      grids,
      100 * DAY,
    );
    t.throws(() => big.adjust(bar(5 * DAY, 100)), { message: /open adjusted for later corporate actions is -100, not positive/ });
  },
);

t.test("a corporate-actions file is read with ISO dates; a bad line names the file, line and column", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bt-actions-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, "actions.csv");
  writeFileSync(good, "instrument,ex_date,action,value\nAAA.X,2024-03-05,split,2\n\nAAA.X,2024-06-03T13:30:00Z,dividend,0.25\n");
  t.same(readCorporateActions(good), [
    { instrument: "AAA.X", exDateUs: Date.parse("2024-03-05T00:00:00Z") * 1000, kind: "split", ratio: 2 },
    { instrument: "AAA.X", exDateUs: Date.parse("2024-06-03T13:30:00Z") * 1000, kind: "dividend", amount: 25_000_000 },
  ]);
  const bad = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return () => readCorporateActions(f);
  };
  t.throws(bad("h.csv", "instrument,date,action,value\n"), {
    message: /h\.csv line 1: the header must be instrument,ex_date,action,value/,
  });
  t.throws(bad("a.csv", "instrument,ex_date,action,value\nAAA.X,2024-03-05,merger,2\n"), {
    message: /a\.csv line 2, column action: "merger" is not split or dividend/,
  });
  t.throws(bad("d.csv", "instrument,ex_date,action,value\nAAA.X,05/03/2024,split,2\n"), { message: /d\.csv line 2, column ex_date/ });
  t.throws(bad("v.csv", "instrument,ex_date,action,value\nAAA.X,2024-03-05,split,0\n"), {
    message: /v\.csv line 2, column value: 0 must be positive/,
  });
});
