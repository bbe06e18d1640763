import { asMoney } from "../domain/index.ts";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import t from "tap";
import { createActor } from "xstate";
import { messageDef } from "../contract/index.ts";
import { replay } from "./evolve.ts";
import { AAPL, BookHarness, ES, MSFT, money, px, testConfig, qty } from "./testing.ts";
import { riskBookMachine } from "./machine.ts";
import type { RiskReport } from "./report.ts";

const instruments = [AAPL, MSFT, ES];
const step = fc.oneof(
  fc.record({ kind: fc.constant("mark" as const), i: fc.integer({ min: 0, max: 2 }), p: fc.integer({ min: 50, max: 150 }) }),
  fc.record({
    kind: fc.constant("fill" as const),
    i: fc.integer({ min: 0, max: 2 }),
    buy: fc.boolean(),
    q: fc.integer({ min: 1, max: 50 }),
    p: fc.integer({ min: 50, max: 150 }),
    fee: fc.integer({ min: 0, max: 100 }),
    order: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant("check" as const),
    i: fc.integer({ min: 0, max: 2 }),
    buy: fc.boolean(),
    q: fc.integer({ min: 1, max: 50 }),
    id: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({ kind: fc.constant("cancel" as const), id: fc.integer({ min: 0, max: 5 }) }),
  fc.record({
    kind: fc.constant("replace" as const),
    id: fc.integer({ min: 0, max: 5 }),
    q: fc.integer({ min: 1, max: 80 }),
    p: fc.integer({ min: 50, max: 150 }),
  }),
  fc.record({
    kind: fc.constant("submit" as const),
    i: fc.integer({ min: 0, max: 2 }),
    buy: fc.boolean(),
    q: fc.integer({ min: 1, max: 50 }),
    p: fc.integer({ min: 50, max: 150 }),
    id: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant("venueFill" as const),
    id: fc.integer({ min: 0, max: 5 }),
    q: fc.integer({ min: 1, max: 20 }),
    p: fc.integer({ min: 50, max: 150 }),
    fee: fc.integer({ min: -50, max: 50 }),
  }),
  fc.record({
    kind: fc.constant("limits" as const),
    dd: fc.integer({ min: 1, max: 5000 }),
    gross: fc.integer({ min: 1000, max: 2_000_000 }),
    pos: fc.integer({ min: 10, max: 200 }),
  }),
  fc.record({ kind: fc.constant("kill" as const), on: fc.boolean(), global: fc.boolean() }),
  fc.record({ kind: fc.constant("sod" as const) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function drive(h: BookHarness, steps: Step[]): void {
  let fillNo = 0;
  for (const s of steps) {
    h.nowUs += 1_000;
    switch (s.kind) {
      case "mark":
        h.mark(instruments[s.i]!, px(s.p));
        break;
      case "fill":
        h.fill({
          fillId: `F${++fillNo}`,
          instrument: instruments[s.i]!,
          side: s.buy ? "BUY" : "SELL",
          quantity: qty(s.q),
          price: px(s.p),
          fee: asMoney(BigInt(s.fee) * 1_000_000n),
          clientOrderId: `o${s.order}`,
        });
        break;
      case "check":
        h.check({
          clientOrderId: `o${s.id}`,
          instrument: instruments[s.i]!,
          side: s.buy ? "BUY" : "SELL",
          quantity: qty(s.q),
          orderType: "MARKET",
        });
        break;
      case "cancel":
        h.send({ type: "OrderCanceled", clientOrderId: `o${s.id}` });
        break;
      case "replace":
        h.send({ type: "ReplaceOrder", clientOrderId: `o${s.id}`, quantity: qty(s.q), price: px(s.p) });
        break;
      case "submit":
        h.send({
          type: "SubmitOrder",
          clientOrderId: `o${s.id}`,
          instrument: instruments[s.i]!,
          side: s.buy ? "BUY" : "SELL",
          orderType: "LIMIT",
          quantity: qty(s.q),
          price: px(s.p),
          timeInForce: "DAY",
          postOnly: false,
          reduceOnly: false,
          strategy: "s1",
          book: "test-book",
        });
        break;
      case "venueFill": {
        // The order actor's OrderFilled: no instrument, execId, lastQty/lastPx, a signed fee as a number.
        const side = h.book.pending[`o${s.id}`]?.side ?? "BUY";
        h.send({
          type: "OrderFilled",
          clientOrderId: `o${s.id}`,
          execId: `E${++fillNo}`,
          side,
          lastQty: qty(s.q),
          lastPx: px(s.p),
          fee: s.fee * 1000,
          liquidity: "TAKER",
          cumQty: px(s.q),
          leavesQty: 0,
          avgPx: px(s.p),
          venueSeq: fillNo,
        });
        break;
      }
      case "limits":
        h.limits({
          maxDrawdown: { hard: money(String(s.dd)) },
          maxGrossExposure: { hard: money(String(s.gross)) },
          maxPosition: qty(s.pos),
          orderRate: { maxOrders: 3, windowUs: 5_000 },
        });
        break;
      case "kill":
        h.send({ type: s.on ? "EngageKillSwitch" : "ReleaseKillSwitch", scope: s.global ? "GLOBAL" : "BOOK", by: "ops", reason: "drill" });
        break;
      case "sod":
        h.send({ type: "StartOfDay", tradingDay: "2026-11-27" });
        break;
    }
  }
}

t.test("replaying the journal rebuilds a book identical to the live one", async (t) => {
  for (const positionMode of ["NETTING", "HEDGING"] as const) {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const config = testConfig({ positionMode });
        const h = new BookHarness(config);
        drive(h, steps);
        // Every journaled event fits its registered schema (what the codec validates).
        for (const e of h.journal) {
          const parsed = messageDef(e.type)?.schema.safeParse(e);
          if (!parsed?.success) throw new Error(`${e.type} does not fit its schema: ${parsed?.error.message}`);
        }
        if (!isDeepStrictEqual(replay(h.journal, config), h.book)) return false;
        // The machine applies its own events as inputs the same way (what the runtime does on restore).
        const restored = createActor(riskBookMachine, { input: { config } });
        const emitted: unknown[] = [];
        restored.on("*", (e) => emitted.push(e));
        restored.start();
        for (const e of h.journal) restored.send({ ...e, nowUs: e.tsEvent } as Parameters<typeof restored.send>[0]);
        return emitted.length === 0 && isDeepStrictEqual(restored.getSnapshot().context.book, h.book);
      }),
      { numRuns: 60 },
    );
  }
  t.pass();
});

t.test("replay survives money fields decoded as plain numbers", async (t) => {
  const config = testConfig();
  const h = new BookHarness(config);
  h.mark(AAPL, px(10));
  h.fill({ side: "BUY", quantity: qty(3), price: px(10), fee: asMoney(5n) });
  const restored = createActor(riskBookMachine, { input: { config } }).start();
  for (const e of h.journal) {
    const plain = JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
    restored.send({ ...plain, nowUs: 0 });
  }
  t.ok(isDeepStrictEqual(restored.getSnapshot().context.book, h.book));
});

t.test("a redelivered fill is applied once", async (t) => {
  const h = new BookHarness();
  h.fill({ fillId: "dup", side: "BUY", quantity: qty(3), price: px(10) });
  const r = h.fill({ fillId: "dup", side: "BUY", quantity: qty(3), price: px(10) });
  t.same(r, { type: "reply", ok: true, result: { applied: false, duplicate: true } });
  t.equal(h.book.portfolio.positions[AAPL]?.quantity, px(3));
});

t.test("a fill journals FillApplied and PositionChanged with the average price", async (t) => {
  const h = new BookHarness();
  h.fill({ side: "BUY", quantity: qty(1), price: px(10) });
  h.fill({ side: "BUY", quantity: qty(2), price: px(11) });
  const changed = h.journal.filter((e) => e.type === "PositionChanged");
  t.equal(changed.length, 2);
  const last = changed.at(-1);
  if (last?.type === "PositionChanged") {
    t.equal(last.quantity, px(3));
    t.equal(last.avgPrice, 1_066_666_667, "32 / 3 rounded half up to 1e-8");
  }
});

t.test("a fill of an unknown instrument is refused, naming it", async (t) => {
  const h = new BookHarness();
  const r = h.fill({ instrument: "ZZZ.XNAS", side: "BUY", quantity: qty(1), price: px(1) });
  t.equal(r?.ok, false);
  t.match(r && !r.ok ? r.error.message : "", /ZZZ\.XNAS/);
  t.equal(h.journal.length, 0);
});

t.test("alerts are raised once per crossing, not on every tick", async (t) => {
  const h = new BookHarness();
  h.limits({ maxDrawdown: { hard: money("100") } }); // warn at 80 %
  h.mark(AAPL, px(10));
  h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
  h.mark(AAPL, px(12)); // high-water mark + 200
  const alerts = () => h.journal.filter((e) => e.type === "LimitWarning" || e.type === "LimitBreached" || e.type === "LimitCleared");
  for (const p of [11.1, 11.15, 11.05]) h.mark(AAPL, px(p)); // drawdown 90, 85, 95: one warning
  t.same(
    alerts().map((e) => [e.type, e.level]),
    [["LimitWarning", "WARN"]],
  );
  for (const p of [10.95, 10.9, 10.8]) h.mark(AAPL, px(p)); // 105, 110, 120: one breach
  t.same(
    alerts().map((e) => e.type),
    ["LimitWarning", "LimitBreached"],
  );
  const breach = alerts()[1];
  if (breach?.type === "LimitBreached") {
    t.equal(breach.limit, "MAX_DRAWDOWN");
    t.equal(breach.value, money("105"));
    t.equal(breach.threshold, money("100"));
  }
  h.mark(AAPL, px(11.5)); // 50: cleared
  h.mark(AAPL, px(11.6));
  h.mark(AAPL, px(11.1)); // 90: warning again
  t.same(
    alerts().map((e) => `${e.type}:${e.level}`),
    ["LimitWarning:WARN", "LimitBreached:BREACH", "LimitCleared:OK", "LimitWarning:WARN"],
  );
});

t.test("the high-water mark is journaled only when it rises by hwmStep", async (t) => {
  const h = new BookHarness(testConfig({ hwmStep: money("10") }));
  h.fill({ side: "BUY", quantity: qty(100), price: px(10) });
  for (const p of [10.05, 10.09, 10.1, 10.15, 10.2]) h.mark(AAPL, px(p));
  const raised = h.journal.filter((e) => e.type === "HighWaterMarkRaised");
  t.same(
    raised.map((e) => (e.type === "HighWaterMarkRaised" ? e.equity : 0n)),
    [money("1000010"), money("1000020")],
  );
});

t.test("SetRiskLimits journals who changed what, and bad limits are refused naming the field", async (t) => {
  const h = new BookHarness();
  h.limits({ maxPosition: qty(5) });
  const e = h.journal.at(-1);
  t.equal(e?.type, "RiskLimitsChanged");
  if (e?.type === "RiskLimitsChanged") {
    t.equal(e.by, "tester");
    t.equal(e.old.maxPosition, undefined);
    t.equal(e.new.maxPosition, px(5));
    t.equal(e.tsEvent, h.nowUs);
  }
  const r = h.limits({ maxDrawdown: { hard: money("1"), warn: money("2") } });
  t.equal(r?.ok, false);
  t.match(r && !r.ok ? r.error.message : "", /maxDrawdown\.warn/);
  t.equal(h.book.limits.maxPosition, px(5), "limits unchanged");
});

t.test("the risk report shows positions, P&L, exposure by sector and asset class, limit usage and VaR", async (t) => {
  const h = new BookHarness(testConfig(), { confidence: 0.95, window: 100, sampleUs: 1 });
  h.limits({ maxGrossExposure: { hard: money("400000") } });
  h.fill({ side: "BUY", quantity: qty(100), price: px(10), fee: money("1") });
  h.fill({ instrument: MSFT, side: "SELL", quantity: qty(10), price: px(20) });
  h.fill({ instrument: ES, side: "BUY", quantity: qty(1), price: px(4000) });
  for (let k = 0; k < 40; k++) {
    h.nowUs += 10;
    h.mark(AAPL, px(k % 2 ? 10.1 : 9.9));
    h.mark(ES, px(4000 + (k % 3) * 10));
    h.mark(MSFT, px(20));
  }
  h.mark(AAPL, px(11));
  h.mark(ES, px(4010));
  const r = h.send({ type: "GetRiskReport" });
  t.equal(r?.ok, true);
  const report = (r?.ok ? r.result : undefined) as RiskReport;
  t.equal(report.positions.length, 3);
  t.equal(report.pnl.unrealised, money("100") + money("500"), "AAPL +100, ES +10 × 50");
  t.equal(report.pnl.net, report.pnl.realised + report.pnl.unrealised - report.pnl.fees);
  t.equal(report.pnl.equity - money("1000000"), report.pnl.net);
  t.equal(report.exposure.bySector.TECH?.gross, money("1300"), "AAPL 1 100 + |MSFT −200|");
  t.equal(report.exposure.bySector.TECH?.net, money("900"));
  t.equal(report.exposure.byAssetClass.FUTURE?.gross, money("200500"));
  t.equal(report.exposure.gross, money("201800"));
  const gross = report.limits.find((l) => l.limit === "MAX_GROSS_EXPOSURE");
  t.equal(gross?.usedPct, 50.45);
  t.equal(gross?.level, "OK");
  t.ok(report.valueAtRisk.samples > 30);
  t.ok((report.valueAtRisk.historical ?? 0) > 0, "historical VaR from the marked returns");
  t.ok((report.valueAtRisk.parametric ?? 0) > 0, "parametric VaR from the same series");
});

t.test("a persisted snapshot survives the msgpack codec and restores an equal book", async (t) => {
  // The same options as infra/nats/codec.ts (int64 ↔ bigint, maps as objects).
  const { Packr } = await import("msgpackr");
  const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: "bigint", mapsAsObjects: true, variableMapSize: true });
  const config = testConfig();
  const h = new BookHarness(config);
  h.limits({ maxDrawdown: { hard: money("50") }, orderRate: { maxOrders: 5, windowUs: 1_000 } });
  h.mark(AAPL, px(10));
  h.fill({ side: "BUY", quantity: qty(100), price: px(10), fee: money("1.5") });
  h.check({ side: "BUY", quantity: qty(1), price: px(10) });
  h.mark(AAPL, px(9));
  const decoded = packr.unpack(packr.pack(h.actor.getPersistedSnapshot()));
  const restored = createActor(riskBookMachine, { input: { config }, snapshot: decoded }).start();
  t.ok(isDeepStrictEqual(restored.getSnapshot().context.book, h.book));
  restored.send({ type: "MarkPrice", instrument: AAPL, last: px(8), tsEvent: 1, tsInit: 1, nowUs: h.nowUs + 1 });
  t.equal(restored.getSnapshot().context.book.portfolio.cash, h.book.portfolio.cash, "marks work on the restored cache");
});
