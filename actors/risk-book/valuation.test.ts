import fc from "fast-check";
import t from "tap";
import { AAPL, BookHarness, ES, MSFT, px, testConfig, qty } from "./testing.ts";
import { totals } from "./portfolio.ts";
import { emptyValuation, valuate } from "./valuation.ts";

const instruments = [AAPL, MSFT, ES];

t.test("incremental marking gives the same totals as a full revaluation", async (t) => {
  for (const positionMode of ["NETTING", "HEDGING"] as const) {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            fill: fc.boolean(),
            i: fc.integer({ min: 0, max: 2 }),
            buy: fc.boolean(),
            q: fc.integer({ min: 1, max: 30 }),
            p: fc.integer({ min: 1, max: 5000 }),
          }),
          { maxLength: 50 },
        ),
        (steps) => {
          const h = new BookHarness(testConfig({ positionMode, markSource: "MID" }));
          const v = emptyValuation();
          for (const s of steps) {
            const instrument = instruments[s.i]!;
            if (s.fill) h.fill({ instrument, side: s.buy ? "BUY" : "SELL", quantity: qty(s.q), price: px(s.p) });
            else h.send({ type: "MarkPrice", instrument, bid: px(s.p), ask: px(s.p) + 2 });
            const { book, marks } = h.actor.getSnapshot().context;
            const incremental = valuate(v, book, marks, s.fill ? undefined : instrument);
            const full = totals(book.portfolio, book.instruments, marks, book.markSource);
            if (
              incremental.equity !== full.equity ||
              incremental.grossExposure !== full.grossExposure ||
              incremental.unrealisedPnl !== full.unrealisedPnl
            )
              return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  }
  t.pass();
});
