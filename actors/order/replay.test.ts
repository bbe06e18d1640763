import fc from "fast-check";
import t from "tap";
import { SimulatedClock } from "xstate";
import { ExecType, priceOf, quantityOf, asPrice, asQuantity } from "../domain/index.ts";
import { fullCapabilities, type VenueCapabilities } from "./capabilities.ts";
import { report, startOrder, submit, T0 } from "./testing.ts";
import type { OrderInput } from "./machine.ts";
import { replay } from "./replay.ts";

const q = quantityOf;
const noStops: VenueCapabilities = { ...fullCapabilities, orderTypes: ["MARKET", "LIMIT"], timesInForce: ["GTC", "DAY"] };

/** One step of a random order life; many are illegal in the state they meet, which must change nothing. */
const step = fc.oneof(
  fc.record({ k: fc.constant("cancel" as const) }),
  fc.record({ k: fc.constant("replace" as const), qty: fc.integer({ min: 1, max: 30 }), px: fc.integer({ min: 90, max: 110 }) }),
  fc.record({
    k: fc.constant("report" as const),
    execType: fc.constantFrom(...Object.values(ExecType)),
    qty: fc.integer({ min: 1, max: 8 }),
    px: fc.integer({ min: 90, max: 110 }),
  }),
  fc.record({ k: fc.constant("redeliver" as const) }),
  fc.record({ k: fc.constant("trade" as const), px: fc.integer({ min: 90, max: 110 }) }),
);

t.test("replaying the journal rebuilds the live state for random input sequences", async (t) => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.array(step, { maxLength: 30 }), (stop, emulate, steps) => {
      const o = startOrder(emulate ? noStops : fullCapabilities, new SimulatedClock());
      let now = T0;
      const over = stop ? { type: "STOP_LIMIT" as const, price: priceOf(100), stopPrice: priceOf(101) } : {};
      const gtd = emulate ? { timeInForce: "GTD" as const, expireAtUs: T0 + 20_000 } : {};
      o.send(submit({ ...over, ...gtd }, now));
      let lastFill: OrderInput | undefined;
      for (const s of steps) {
        now += 1_000;
        let input: OrderInput;
        if (s.k === "cancel") input = { type: "CancelOrder", clientOrderId: "c1", tsEvent: now, tsInit: now, nowUs: now };
        else if (s.k === "replace")
          input = { type: "ReplaceOrder", clientOrderId: "c1", quantity: q(s.qty), tsEvent: now, tsInit: now, nowUs: now };
        else if (s.k === "trade")
          input = {
            type: "Trade",
            instrument: "AAPL.XNAS",
            price: priceOf(s.px),
            size: q(1),
            aggressor: "NONE",
            tradeId: `t${now}`,
            seq: 1,
            tsEvent: now,
            tsInit: now,
            nowUs: now,
          };
        else if (s.k === "redeliver" && lastFill) input = { ...lastFill, nowUs: now };
        else if (s.k === "report") {
          const fill = s.execType === "FILL" || s.execType === "PARTIAL_FILL";
          input = report(s.execType, {
            lastQty: fill ? q(s.qty) : asQuantity(0),
            lastPx: fill ? priceOf(s.px) : asPrice(0),
            liquidity: "TAKER",
            quantity: q(s.qty + 10),
            tsEvent: now,
            nowUs: now,
          });
          if (fill) lastFill = input;
        } else continue;
        o.send(input);
      }
      const live = o.actor.getSnapshot();
      const rebuilt = replay(o.journal(), { capabilities: emulate ? noStops : fullCapabilities });
      t.same(rebuilt.context.order, live.context.order);
      t.equal((rebuilt.value as { status: string }).status, (live.value as { status: string }).status);
      const order = live.context.order!;
      t.ok(order.cumQty <= order.quantity, "never overfilled");
      t.equal(new Set(order.execIds).size, order.execIds.length, "each execId applied once");
      o.actor.stop();
    }),
    { numRuns: 150, seed: 42 },
  );
});

t.test("replay ignores nothing and emits nothing: the journal alone defines the order", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send(report("PARTIAL_FILL", { lastQty: q(3), lastPx: priceOf(99), liquidity: "MAKER" }));
  const snap = replay(o.journal());
  t.match(snap.context.order, { status: "PARTIALLY_FILLED", cumQty: q(3), avgPx: priceOf(99), acked: true });
});
