import fc from "fast-check";
import tap from "tap";

const t = tap;
import { type RiskLimitsInput, asPrice, asQuantity } from "../domain/index.ts";
import { DenyReason } from "./deny-reason.ts";
import { AAPL, approved, BookHarness, denialCode, ES, MSFT, money, type order, px, qty } from "./testing.ts";

type Asserts = Pick<typeof tap, "ok" | "equal" | "match">;
type OrderSpec = Parameters<typeof order>[0];

/**
 * Runs a scenario twice: with the limit exactly at the order's value (allowed) and one unit (1e-8) tighter
 * (denied with the limit's reason).
 */
async function boundary(
  t: Asserts,
  reason: DenyReason,
  limitsAt: (tighterBy: number) => RiskLimitsInput,
  prepare: (h: BookHarness) => void,
  orderSpec: OrderSpec,
) {
  for (const [tighter, allowed] of [
    [0, true],
    [1, false],
  ] as const) {
    const h = new BookHarness();
    prepare(h);
    t.ok(approved(h.limits(limitsAt(tighter))), "limits accepted");
    const r = h.check(orderSpec);
    if (allowed) t.ok(approved(r), `at the limit: allowed (${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}` : v))})`);
    else {
      t.equal(denialCode(r), reason, `one unit over: denied with ${reason}`);
      const denied = h.journal.at(-1);
      t.equal(denied?.type, "OrderDenied");
      if (denied?.type === "OrderDenied") t.match(denied.message, reason);
    }
  }
}

const big = (n: number) => BigInt(n);

t.test("maxOrderQuantity denies exactly one unit over the limit", (t) =>
  boundary(
    t,
    DenyReason.MaxOrderQuantity,
    (d) => ({ maxOrderQuantity: qty(100) - d }),
    (h) => h.mark(AAPL, px(10)),
    { side: "BUY", quantity: qty(100), price: px(10) },
  ),
);

t.test("a per-instrument maxOrderQuantity overrides the book's", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.limits({ maxOrderQuantity: qty(1000), instruments: { [AAPL]: { maxOrderQuantity: qty(5) } } });
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(6), price: px(10) })), DenyReason.MaxOrderQuantity);
  t.ok(approved(h.check({ side: "BUY", quantity: qty(6), price: px(10), instrument: MSFT })));
});

t.test("maxOrderNotional denies exactly one unit over the limit, multiplier included", (t) =>
  // 2 ES @ 4000 × 50 = 400 000
  boundary(
    t,
    DenyReason.MaxOrderNotional,
    (d) => ({ maxOrderNotional: money("400000") - big(d) }),
    (h) => h.mark(ES, px(4000)),
    {
      instrument: ES,
      side: "BUY",
      quantity: qty(2),
      price: px(4000),
    },
  ),
);

t.test("maxPosition counts the position, the pending orders and the order (worst case)", (t) =>
  boundary(
    t,
    DenyReason.MaxPosition,
    (d) => ({ maxPosition: qty(100) - d }),
    (h) => {
      h.mark(AAPL, px(10));
      h.fill({ side: "BUY", quantity: qty(50), price: px(10) });
      h.check({ side: "BUY", quantity: qty(30), price: px(10) });
      h.check({ side: "SELL", quantity: qty(70), price: px(10) });
    },
    { side: "BUY", quantity: qty(20), price: px(10) },
  ),
);

t.test("maxGrossExposure counts every instrument after the order, worst case", (t) =>
  // AAPL long 100 @ 10 = 1 000; pending MSFT buy 10 @ 20 = 200; order ES 1 @ 4000 × 50 = 200 000
  boundary(
    t,
    DenyReason.MaxGrossExposure,
    (d) => ({ maxGrossExposure: { hard: money("201200") - big(d) } }),
    (h) => {
      h.mark(AAPL, px(10));
      h.mark(ES, px(4000));
      h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
      h.check({ instrument: MSFT, side: "BUY", quantity: qty(10), price: px(20) });
    },
    { instrument: ES, side: "BUY", quantity: qty(1), price: px(4000) },
  ),
);

t.test("maxNetExposure takes the worse of all buys or all sells filling", (t) =>
  // AAPL long 1 000; order sells ES 1 → net 1 000 − 200 000 = −199 000
  boundary(
    t,
    DenyReason.MaxNetExposure,
    (d) => ({ maxNetExposure: { hard: money("199000") - big(d) } }),
    (h) => {
      h.mark(AAPL, px(10));
      h.mark(ES, px(4000));
      h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
    },
    { instrument: ES, side: "SELL", quantity: qty(1), price: px(4000) },
  ),
);

t.test("the price collar denies a limit price one unit beyond the bps band around the last trade", async (t) => {
  // 50 bps of 100 = 0.5
  const h = new BookHarness();
  h.mark(AAPL, px(100));
  h.limits({ priceCollarBps: 50 });
  t.ok(approved(h.check({ side: "BUY", quantity: qty(1), price: px(100.5) })), "at the band: allowed");
  t.equal(
    denialCode(h.check({ side: "BUY", quantity: qty(1), price: asPrice(px(100.5) + 1) })),
    DenyReason.PriceCollar,
    "one unit beyond: denied",
  );
  t.ok(approved(h.check({ side: "SELL", quantity: qty(1), price: px(99.5) })), "the lower edge: allowed");
  t.equal(denialCode(h.check({ side: "SELL", quantity: qty(1), price: asPrice(px(99.5) - 1) })), DenyReason.PriceCollar);
});

t.test("the order rate allows maxOrders approvals per strategy in the sliding window, then denies", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.limits({ orderRate: { maxOrders: 3, windowUs: 1_000_000 } });
  const start = h.nowUs;
  for (let k = 0; k < 3; k++) {
    h.nowUs = start + k;
    t.ok(approved(h.check({ side: "BUY", quantity: qty(1), price: px(10) })), `order ${k + 1} of 3`);
  }
  h.nowUs = start + 3;
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(1), price: px(10) })), DenyReason.OrderRate, "the 4th in the window is denied");
  t.ok(approved(h.check({ side: "BUY", quantity: qty(1), price: px(10), strategy: "other" })), "another strategy has its own window");
  h.nowUs = start + 1_000_000;
  t.ok(approved(h.check({ side: "BUY", quantity: qty(1), price: px(10) })), "the first approval left the window");
});

t.test("the daily loss limit denies new risk one unit past the limit, but not reducing orders", async (t) => {
  for (const [tighter, allowed] of [
    [0n, true],
    [1n, false],
  ] as const) {
    const h = new BookHarness();
    h.mark(AAPL, px(10));
    h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
    h.mark(AAPL, px(9));
    h.limits({ maxDailyLoss: { hard: money("100") - tighter } });
    const r = h.check({ side: "BUY", quantity: qty(1), price: px(9) });
    if (allowed) t.ok(approved(r), "loss 100 at limit 100: allowed");
    else {
      t.equal(denialCode(r), DenyReason.DailyLoss, "loss 100 over limit 99.99999999: denied");
      t.ok(approved(h.check({ side: "SELL", quantity: qty(50), price: px(9) })), "a reducing order is still allowed");
    }
  }
});

t.test("StartOfDay resets the daily loss", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
  h.mark(AAPL, px(9));
  h.limits({ maxDailyLoss: { hard: money("50") } });
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(1), price: px(9) })), DenyReason.DailyLoss);
  h.send({ type: "StartOfDay", tradingDay: "2026-11-27" });
  t.ok(approved(h.check({ side: "BUY", quantity: qty(1), price: px(9) })));
});

t.test("max drawdown from the high-water mark denies one unit past the limit", async (t) => {
  for (const [tighter, allowed] of [
    [0n, true],
    [1n, false],
  ] as const) {
    const h = new BookHarness();
    h.mark(AAPL, px(10));
    h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
    h.mark(AAPL, px(12));
    h.mark(AAPL, px(11));
    h.limits({ maxDrawdown: { hard: money("100") - tighter } });
    const r = h.check({ side: "BUY", quantity: qty(1), price: px(11) });
    if (allowed) t.ok(approved(r), "drawdown 100 at limit: allowed");
    else t.equal(denialCode(r), DenyReason.MaxDrawdown, "one unit over: denied");
  }
});

t.test("reduce-only mode allows an order down to flat and denies one unit more, or any increase", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
  h.limits({ reduceOnly: true });
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(1), price: px(10) })), DenyReason.ReduceOnly, "a buy adds to the long");
  t.equal(
    denialCode(h.check({ side: "SELL", quantity: asQuantity(qty(100) + 1), price: px(10) })),
    DenyReason.ReduceOnly,
    "one unit more than flat flips",
  );
  t.ok(approved(h.check({ side: "SELL", quantity: qty(60), price: px(10) })), "reduces");
  t.equal(
    denialCode(h.check({ side: "SELL", quantity: asQuantity(qty(40) + 1), price: px(10) })),
    DenyReason.ReduceOnly,
    "pending sells count",
  );
  t.ok(approved(h.check({ side: "SELL", quantity: qty(40), price: px(10) })), "exactly to flat with the pending sell");
  const g = new BookHarness();
  g.mark(AAPL, px(10));
  t.equal(
    denialCode(g.check({ side: "BUY", quantity: qty(1), price: px(10), reduceOnly: true })),
    DenyReason.ReduceOnly,
    "a reduce-only order on a flat book",
  );
});

t.test("book and global kill switches deny new orders until released", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  const o = { side: "BUY" as const, quantity: qty(1), price: px(10) };
  t.ok(approved(h.check(o)));
  h.send({ type: "EngageKillSwitch", scope: "BOOK", by: "ops", reason: "test" });
  t.equal(h.journal.at(-1)?.type, "KillSwitchEngaged");
  const r = h.check(o);
  t.equal(denialCode(r), DenyReason.KillSwitch);
  t.match(r && !r.ok ? r.error.message : "", /engaged by ops/);
  h.send({ type: "EngageKillSwitch", scope: "GLOBAL", by: "risk-officer", reason: "market halt" });
  t.equal(denialCode(h.check(o)), DenyReason.GlobalKillSwitch, "the global switch is reported first");
  h.send({ type: "ReleaseKillSwitch", scope: "GLOBAL", by: "risk-officer" });
  t.equal(denialCode(h.check(o)), DenyReason.KillSwitch);
  h.send({ type: "ReleaseKillSwitch", scope: "BOOK", by: "ops" });
  t.equal(h.journal.at(-1)?.type, "KillSwitchReleased");
  t.ok(approved(h.check(o)), "released: allowed again");
});

t.test("a strategy's kill switch denies only that strategy's orders, until released", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  const o = { side: "BUY" as const, quantity: qty(1), price: px(10) };
  h.send({ type: "EngageKillSwitch", scope: "STRATEGY", strategy: "s1", by: "ops", reason: "runaway" });
  t.match(h.journal.at(-1), { type: "KillSwitchEngaged", scope: "STRATEGY", strategy: "s1" });
  const r = h.check({ ...o, strategy: "s1" });
  t.equal(denialCode(r), DenyReason.StrategyKillSwitch);
  t.match(r && !r.ok ? r.error.message : "", /strategy s1 engaged by ops \(runaway\)/);
  t.ok(approved(h.check({ ...o, strategy: "s2" })), "another strategy of the book still trades");
  h.send({ type: "ReleaseKillSwitch", scope: "STRATEGY", strategy: "s1", by: "ops" });
  t.ok(approved(h.check({ ...o, strategy: "s1" })), "released: allowed again");
});

t.test("two orders that each fit but not together: the second is denied by the first's reservation", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.limits({ maxPosition: qty(100) });
  t.ok(approved(h.check({ clientOrderId: "a", side: "BUY", quantity: qty(60), price: px(10) })));
  t.equal(denialCode(h.check({ clientOrderId: "b", side: "BUY", quantity: qty(60), price: px(10) })), DenyReason.MaxPosition);
  h.send({ type: "OrderCanceled", clientOrderId: "a" });
  t.equal(h.journal.at(-1)?.type, "OrderReleased");
  t.ok(approved(h.check({ clientOrderId: "b", side: "BUY", quantity: qty(60), price: px(10) })), "after the first closed");
  h.fill({ clientOrderId: "b", side: "BUY", quantity: qty(20), price: px(10), leavesQty: qty(40) });
  t.equal(h.book.pending.b?.remaining, px(40), "a partial fill moves quantity from pending to the position");
  t.equal(
    denialCode(h.check({ side: "BUY", quantity: asQuantity(qty(40) + 1), price: px(10) })),
    DenyReason.MaxPosition,
    "20 filled + 40 pending + 40 = 100",
  );
});

t.test("a retried check of an approved order is approved again without a second reservation", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  t.ok(approved(h.check({ clientOrderId: "x", side: "BUY", quantity: qty(1), price: px(10) })));
  const n = h.journal.length;
  t.ok(approved(h.check({ clientOrderId: "x", side: "BUY", quantity: qty(1), price: px(10) })));
  t.equal(h.journal.length, n);
  t.equal(denialCode(h.check({ clientOrderId: "x", side: "SELL", quantity: qty(1), price: px(10) })), DenyReason.DuplicateOrder);
});

t.test("a market order without any price is denied, an unknown instrument too", async (t) => {
  const h = new BookHarness();
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(1), orderType: "MARKET" })), DenyReason.NoReferencePrice);
  t.equal(denialCode(h.check({ side: "BUY", quantity: qty(1), price: px(1), instrument: "NOPE.XNAS" })), DenyReason.UnknownInstrument);
});

t.test("a denied order leaves the book deep-equal to before", async (t) => {
  const sides = fc.constantFrom("BUY" as const, "SELL" as const);
  fc.assert(
    fc.property(
      fc.array(fc.record({ side: sides, q: fc.integer({ min: 1, max: 200 }), p: fc.integer({ min: 5, max: 15 }) }), { maxLength: 8 }),
      fc.record({ side: sides, q: fc.integer({ min: 1, max: 400 }), p: fc.integer({ min: 1, max: 30 }), market: fc.boolean() }),
      fc.record({
        maxPosition: fc.integer({ min: 1, max: 300 }),
        gross: fc.integer({ min: 1, max: 4000 }),
        collar: fc.integer({ min: 1, max: 3000 }),
        rate: fc.integer({ min: 1, max: 5 }),
        reduceOnly: fc.boolean(),
      }),
      (fills, o, l) => {
        const h = new BookHarness();
        h.mark(AAPL, px(10));
        for (const f of fills) h.fill({ side: f.side, quantity: qty(f.q), price: px(f.p) });
        h.limits({
          maxPosition: qty(l.maxPosition),
          maxGrossExposure: { hard: money(String(l.gross)) },
          priceCollarBps: l.collar,
          orderRate: { maxOrders: l.rate, windowUs: 10 },
          reduceOnly: l.reduceOnly,
        });
        const before = structuredClone(h.book);
        const r = h.check({ side: o.side, quantity: qty(o.q), ...(o.market ? { orderType: "MARKET" as const } : { price: px(o.p) }) });
        if (r?.ok) return true;
        return JSON.stringify(h.book, bigints) === JSON.stringify(before, bigints);
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

const bigints = (_k: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);
