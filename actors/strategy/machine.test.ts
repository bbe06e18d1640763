import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { z } from "zod";
import { type Bar, fromNumber, SubmitOrder, priceOf, quantityOf, asPrice, asQuantity } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { submitOrderFromMessage } from "./order-intents.ts";
import type { Strategy, StrategyDefinition } from "./strategy.ts";
import { strategyMachine } from "./machine.ts";
import { subscriptions } from "./subscriptions.ts";

const INSTRUMENT = "AAPL.XNAS";
const LOT = quantityOf(1);

/** A strategy that wants `target` after `warmupBars` bars, and throws on a bar closing at `throwOnClose`. */
const probeParams = z
  .object({
    warmupBars: z.number().int().min(1).default(2),
    target: z.number().int().default(fromNumber(10)).brand<"Quantity">(),
    throwOnClose: z.number().int().optional(),
    ticks: z.number().int().default(0),
  })
  .refine((p) => p.target % LOT === 0, { path: ["target"], message: "must be a whole number of lots" });
type ProbeParams = z.output<typeof probeParams>;

const probe: StrategyDefinition<ProbeParams> = {
  name: "probe",
  parameters: probeParams,
  create(params): Strategy<ProbeParams> {
    let bars = 0;
    return {
      isReady: () => bars >= params.warmupBars,
      onBar(bar, ctx) {
        bars += 1;
        if (ctx.params.throwOnClose !== undefined && bar.close === ctx.params.throwOnClose)
          throw new Error(`strategy bug at close ${bar.close}`);
        return [{ kind: "target", instrument: bar.instrument, quantity: ctx.params.target }];
      },
      onTimer(ctx) {
        return [
          {
            kind: "submit",
            instrument: INSTRUMENT,
            side: "BUY",
            type: "LIMIT",
            price: priceOf(1),
            quantity: LOT,
            timeInForce: "DAY",
            tag: `timer@${ctx.nowUs}`,
          },
        ];
      },
    };
  },
};

const config = (over: Record<string, unknown> = {}) => ({
  strategyId: "probe-1",
  book: "main",
  instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: LOT }],
  channels: ["bar" as const],
  ...over,
});

let clock = 1_700_000_000_000_000;
const bar = (close = 100): Bar & { type: "Bar"; nowUs: number } => {
  clock += 60_000_000;
  const px = fromNumber(close);
  return {
    type: "Bar",
    instrument: INSTRUMENT,
    barType: "1m",
    tsOpen: clock - 60_000_000,
    open: asPrice(px),
    high: asPrice(px),
    low: asPrice(px),
    close: asPrice(px),
    volume: quantityOf(1000),
    vwap: asPrice(px),
    trades: 10,
    tsEvent: clock,
    tsInit: clock,
    nowUs: clock,
  };
};
const cmd = (type: string, extra: Record<string, unknown> = {}) => {
  clock += 1;
  return { type, tsEvent: clock, tsInit: clock, nowUs: clock, ...extra } as never;
};

function start(definition: StrategyDefinition<ProbeParams> = probe, over: Record<string, unknown> = {}, xclock?: SimulatedClock) {
  const actor = createActor(strategyMachine, {
    input: { definition: definition as StrategyDefinition<unknown>, config: config(over) },
    ...(xclock ? { clock: xclock } : {}),
  });
  const emitted: Emitted[] = [];
  const errors: unknown[] = [];
  actor.on("*", (e) => emitted.push(e));
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  // what it sends the risk book: orders and cancels, forwarded (asked again until the book answers)
  const toBook = () =>
    emitted.filter((e) => e.type === "forward" && (e.message.type === "SubmitOrder" || e.message.type === "CancelOrder"));
  const replies = () => emitted.filter((e) => e.type === "reply");
  const state = () => actor.getSnapshot().context.state;
  return { actor, emitted, errors, toBook, replies, state };
}

t.test("a stopped strategy ignores market data and warms up after StartStrategy until primed", async (t) => {
  const a = start();
  a.actor.send(bar());
  a.actor.send(bar());
  t.equal(a.state(), "stopped");
  t.equal(a.toBook().length, 0);
  a.actor.send(cmd("StartStrategy"));
  t.equal(a.state(), "warmingUp");
  t.same(a.replies().at(-1), { type: "reply", ok: true });
  a.actor.send(bar());
  t.equal(a.state(), "warmingUp", "one bar of two is not enough");
  t.equal(a.toBook().length, 0, "no orders while warming up");
  a.actor.send(bar());
  t.equal(a.state(), "running", "the second bar primes it");
  t.equal(a.toBook().length, 1, "the priming bar's signal trades");
  const changes = a.emitted
    .filter((e) => e.type === "domain")
    .map((e) => (e.type === "domain" ? `${e.event.previous}->${e.event.state}` : ""));
  t.same(changes, ["stopped->warmingUp", "warmingUp->running"]);
});

t.test("orders go to the risk book as valid SubmitOrders with deterministic client order ids", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  const session = clock.toString(36);
  a.actor.send(bar());
  a.actor.send(bar());
  const p = a.toBook()[0]!;
  t.equal(p.type === "forward" && p.subject, subjects.cmd("risk-book", "main"));
  const order = SubmitOrder.schema.parse(submitOrderFromMessage(p.type === "forward" ? p.message : {}));
  t.equal(order.clientOrderId, `probe-1.${session}.1`);
  t.equal(order.side, "BUY");
  t.equal(order.orderType, "MARKET");
  t.equal(order.quantity, fromNumber(10));
  t.equal(order.strategy, "probe-1");
  t.equal(order.book, "main");
});

t.test("a denial by the risk book ends the order for the strategy, which may then try again", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  for (let i = 0; i < 5; i++) a.actor.send(bar());
  t.equal(a.toBook().length, 1);
  const id = a.actor.getSnapshot().context.session.ledger.allOpenOrders().next().value!.clientOrderId;
  a.actor.send({ type: "OrderDenied", clientOrderId: id, reason: "MAX_POSITION", tsEvent: clock, tsInit: clock, nowUs: clock } as never);
  t.equal([...a.actor.getSnapshot().context.session.ledger.allOpenOrders()].length, 0, "no order left open");
  a.actor.send(bar());
  t.equal(a.toBook().length, 2, "the target is pursued again");
  t.same(a.errors, []);
});

t.test("an order in flight is not sent again when the strategy repeats its target", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  for (let i = 0; i < 5; i++) a.actor.send(bar());
  t.equal(a.toBook().length, 1);
  const id = a.actor.getSnapshot().context.session.ledger.allOpenOrders().next().value!.clientOrderId;
  a.actor.send({
    type: "OrderFilled",
    clientOrderId: id,
    lastQty: quantityOf(4),
    lastPx: priceOf(100),
    leavesQty: quantityOf(6),
    fee: 100,
    tsEvent: clock,
    tsInit: clock,
    nowUs: clock,
  });
  t.equal(a.actor.getSnapshot().context.session.ledger.position(INSTRUMENT), fromNumber(4));
  a.actor.send(bar());
  t.equal(a.toBook().length, 1, "the remaining 6 are still working");
  a.actor.send({ type: "OrderCanceled", clientOrderId: id, tsEvent: clock, tsInit: clock, nowUs: clock });
  a.actor.send(bar());
  t.equal(a.toBook().length, 2, "after the cancel the remainder is sent");
  const m = a.toBook()[1]!;
  t.equal(m.type === "forward" && m.message.quantity, fromNumber(6));
});

t.test("a paused strategy emits no orders and trades again after ResumeStrategy", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  a.actor.send(bar());
  a.actor.send(bar());
  a.actor.send(cmd("PauseStrategy"));
  t.equal(a.state(), "paused");
  const before = a.toBook().length;
  a.actor.send(cmd("SetStrategyParameters", { parameters: { target: fromNumber(-5) } }));
  a.actor.send(bar());
  a.actor.send(bar());
  t.equal(a.toBook().length, before, "no orders while paused");
  a.actor.send(cmd("ResumeStrategy"));
  t.equal(a.state(), "running");
  a.actor.send(bar());
  t.ok(a.toBook().length > before, "orders again once resumed");
  const latest = a.toBook().at(-1)!;
  t.equal(latest.type === "forward" && latest.message.type, "CancelOrder", "the opposite working order is canceled first");
});

t.test("StopStrategy cancels open orders and the stopped strategy ignores data", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  a.actor.send(bar());
  a.actor.send(bar());
  a.actor.send(cmd("StopStrategy"));
  t.equal(a.state(), "stopped");
  const last = a.toBook().at(-1)!;
  t.equal(last.type === "forward" && last.message.type, "CancelOrder");
  const n = a.toBook().length;
  a.actor.send(bar());
  a.actor.send(bar());
  t.equal(a.toBook().length, n);
  a.actor.send(cmd("ResumeStrategy"));
  const r = a.replies().at(-1)!;
  t.equal(r.type === "reply" && !r.ok && r.error.code, "INVALID_STATE");
});

t.test("bad parameters are rejected with the field named and change nothing", async (t) => {
  const a = start();
  a.actor.send(cmd("StartStrategy"));
  a.actor.send(bar());
  const before = a.actor.getSnapshot().context.session.params;
  a.actor.send(cmd("SetStrategyParameters", { parameters: { warmupBars: 0, target: fromNumber(3) } }));
  let r = a.replies().at(-1)!;
  t.equal(r.type === "reply" && !r.ok && r.error.code, "INVALID_PARAMETERS");
  t.match(r.type === "reply" && !r.ok ? r.error.message : "", /^parameters\.warmupBars: /);
  a.actor.send(cmd("SetStrategyParameters", { parameters: { target: fromNumber(2.5) } }));
  r = a.replies().at(-1)!;
  t.match(r.type === "reply" && !r.ok ? r.error.message : "", /^parameters\.target: must be a whole number of lots/);
  a.actor.send(cmd("SetStrategyParameters", { parameters: { tagret: fromNumber(3) } }));
  r = a.replies().at(-1)!;
  t.match(r.type === "reply" && !r.ok ? r.error.message : "", /^parameters\.tagret: not a parameter of probe/);
  t.same(a.actor.getSnapshot().context.session.params, before);
  t.equal(a.state(), "warmingUp");
  a.actor.send(cmd("SetStrategyParameters", { parameters: { target: fromNumber(3) }, by: "OPS/operator" }));
  r = a.replies().at(-1)!;
  t.equal(r.type === "reply" && r.ok, true);
  t.equal((a.actor.getSnapshot().context.session.params as ProbeParams).target, fromNumber(3));
  const announced = a.emitted.filter((e) => e.type === "domain" && e.event.type === "StrategyParametersChanged");
  t.equal(announced.length, 1, "only the accepted change is announced");
  t.match(announced[0], { event: { strategy: "probe-1", by: "OPS/operator" } }, "the change names who sent it");
});

t.test("a strategy that throws fails its actor while another strategy actor keeps trading", async (t) => {
  const bad = start(probe, { parameters: { throwOnClose: fromNumber(13) } });
  const good = start(probe, { strategyId: "probe-2" });
  for (const a of [bad, good]) a.actor.send(cmd("StartStrategy"));
  for (const close of [10, 11, 13, 14]) {
    const b = bar(close);
    bad.actor.send(b);
    good.actor.send(b);
  }
  t.equal(bad.actor.getSnapshot().status, "error");
  t.match(String(bad.errors[0]), /strategy bug at close/);
  t.equal(bad.toBook().length, 1, "only the order from before the failure");
  good.actor.send(cmd("SetStrategyParameters", { parameters: { target: fromNumber(20) } }));
  good.actor.send(bar(15));
  t.equal(good.actor.getSnapshot().status, "active");
  t.equal(good.toBook().length, 2, "the healthy actor sends its next order");
});

t.test("a malformed intent is a strategy bug and fails the actor, naming the field", async (t) => {
  const a = start(probe, {
    parameters: { target: fromNumber(2) },
    instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(5) }],
  });
  a.actor.send(cmd("StartStrategy"));
  a.actor.send(bar());
  a.actor.send(bar());
  t.equal(a.actor.getSnapshot().status, "error");
  t.match(String(a.errors[0]), /target\.quantity: .* multiple of lot size/);
});

t.test("fills of other strategies' orders are ignored", async (t) => {
  const a = start();
  a.actor.send({
    type: "OrderFilled",
    clientOrderId: "other.x.1",
    instrument: INSTRUMENT,
    side: "BUY",
    lastQty: asQuantity(LOT),
    lastPx: priceOf(1),
    tsEvent: 1,
    tsInit: 1,
    nowUs: clock,
  });
  a.actor.send({
    type: "OrderFilled",
    clientOrderId: "probe-1.old.7",
    instrument: INSTRUMENT,
    side: "SELL",
    lastQty: asQuantity(LOT),
    lastPx: priceOf(1),
    tsEvent: 1,
    tsInit: 1,
    nowUs: clock,
  });
  t.equal(a.actor.getSnapshot().context.session.ledger.position(INSTRUMENT), -LOT, "a fill of an earlier session of this strategy counts");
});

t.test("onTimer runs on the XState clock while running, stamped with the runtime time", async (t) => {
  const xclock = new SimulatedClock();
  const a = start(probe, { timerIntervalMs: 1000, parameters: { warmupBars: 1, target: 0 } }, xclock);
  a.actor.send(cmd("StartStrategy"));
  a.actor.send(bar());
  t.equal(a.state(), "running");
  const t0 = clock;
  xclock.increment(1000);
  xclock.increment(1000);
  const tags = [...a.actor.getSnapshot().context.session.ledger.allOpenOrders()].map((o) => o.tag);
  t.same(tags, [`timer@${t0 + 1_000_000}`, `timer@${t0 + 2_000_000}`]);
  a.actor.send(cmd("PauseStrategy"));
  xclock.increment(5000);
  t.equal(a.toBook().length, 2, "no timer while paused");
});

t.test("startAtUs starts the strategy at creation, as after a supervisor restart", async (t) => {
  const a = start(probe, { startAtUs: 42 });
  t.equal(a.state(), "warmingUp");
  a.actor.send(bar());
  a.actor.send(bar());
  const p = a.toBook()[0]!;
  t.equal(p.type === "forward" && p.message.clientOrderId, `probe-1.${(42).toString(36)}.1`);
});

t.test("subscriptions name each traded instrument's channels and the strategy's command subject", async (t) => {
  const s = subscriptions(config({ channels: ["quote", "bar"], instruments: [{ id: "BRK.B.XNYS", tickSize: 1, lotSize: 1 }] }));
  t.same(s.marketData, [subjects.md("quote", { symbol: "BRK.B", venue: "XNYS" }), subjects.md("bar", { symbol: "BRK.B", venue: "XNYS" })]);
  t.equal(s.commands, subjects.cmd("strategy", "probe-1"));
  t.same(s.orderEvents, [subjects.evtAll("order"), subjects.evt("risk-book", "main", "OrderDenied")]);
});

t.test("an invalid config fails the actor at start, naming the field", async (t) => {
  for (const [over, field] of [
    [{ strategyId: "a.b" }, /strategyId/],
    [{ parameters: { warmupBars: -1 } }, /parameters\.warmupBars/],
  ] as const) {
    const actor = createActor(strategyMachine, { input: { definition: probe as StrategyDefinition<unknown>, config: config(over) } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    t.equal(actor.getSnapshot().status, "error");
    t.match(String(errors[0]), field);
  }
});
