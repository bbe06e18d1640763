/** Drives a strategy definition through the real actor machine, with a venue that fills on request (tests only). */
import { createActor, SimulatedClock } from "xstate";
import { type Bar, type BarFactorValues, type Quote, priceOf, quantityOf, ZERO_QUANTITY } from "../../domain/index.ts";
import type { Emitted } from "../../contract/index.ts";
import { submitOrderFromMessage } from "../order-intents.ts";
import { type StrategyDefinition, OrderStatus } from "../strategy.ts";
import { strategyMachine } from "../machine.ts";

export const INSTRUMENT = "ES.XCME";

export function drive<P>(
  definition: StrategyDefinition<P>,
  parameters: Record<string, unknown>,
  channels: ("bar" | "quote" | "features")[],
  lot = 1,
  signals: string[] = [],
  instruments: readonly string[] = [INSTRUMENT],
  regimes = false,
) {
  let now = 1_700_000_000_000_000;
  // the machine's delayed events (timers, proposal deadlines) run on this clock, moved by `elapse`
  const clock = new SimulatedClock();
  const actor = createActor(strategyMachine, {
    clock,
    input: {
      definition: definition as StrategyDefinition<unknown>,
      config: {
        strategyId: "s1",
        book: "b1",
        instruments: instruments.map((id) => ({ id, tickSize: priceOf(0.01), lotSize: quantityOf(lot) })),
        channels,
        parameters,
        signals,
        regimes,
      },
    },
  });
  const emitted: Emitted[] = [];
  const errors: unknown[] = [];
  actor.on("*", (e) => emitted.push(e));
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  const ledger = () => actor.getSnapshot().context.session.ledger;
  const stamp = () => ({ tsEvent: now, tsInit: now, nowUs: now });
  actor.send({ type: "StartStrategy", ...stamp() });
  return {
    actor,
    errors,
    emitted,
    /** sends any input stamped with the driver's clock, `afterUs` later */
    send(input: { type: string; [field: string]: unknown }, afterUs = 0) {
      now += afterUs;
      actor.send({ ...stamp(), ...input } as Parameters<typeof actor.send>[0]);
    },
    /** time passes with no input: the driver's clock and the machine's delayed events move `us` on */
    elapse(us: number) {
      now += us;
      clock.increment(us / 1000);
    },
    ledger,
    position: (instrument = INSTRUMENT) => ledger().position(instrument),
    orders: () =>
      emitted.flatMap((e) => (e.type === "forward" && e.message.type === "SubmitOrder" ? [submitOrderFromMessage(e.message)] : [])) as {
        clientOrderId: string;
        instrument: string;
        side: "BUY" | "SELL";
        orderType: string;
        quantity: number;
        price?: number;
        postOnly: boolean;
      }[],
    cancels: () =>
      emitted.flatMap((e) => (e.type === "forward" && e.message.type === "CancelOrder" ? [e.message.clientOrderId as string] : [])),
    /** a bar of `instrument` (the first one by default); a stepUs of 0 gives it the previous bar's time */
    bar(close: number, range = 0.5, stepUs = 60_000_000, instrument = instruments[0]!) {
      now += stepUs;
      const c = priceOf(close);
      const b: Bar & { type: "Bar"; nowUs: number } = {
        type: "Bar",
        instrument,
        barType: "1m",
        tsOpen: now - stepUs,
        open: c,
        high: priceOf(close + range),
        low: priceOf(close - range),
        close: c,
        volume: quantityOf(100),
        vwap: c,
        trades: 5,
        ...stamp(),
      };
      actor.send(b);
    },
    /** a model's forecast from the features of the last bar (stamped with its close) */
    forecast(forecast: number, model = "gbt-return-5f") {
      actor.send({ type: "ModelForecast", model, version: 1, instrument: INSTRUMENT, barType: "1m", forecast, ...stamp() });
    },
    /** the last bar's factors */
    factors(factors: BarFactorValues) {
      const tsOpen = now - 60_000_000;
      actor.send({
        type: "BarFactors",
        instrument: INSTRUMENT,
        barType: "1m",
        tsOpen,
        featureSet: "bar-factors",
        version: 1,
        factors,
        ...stamp(),
      });
    },
    quote(bid: number, ask: number, stepUs = 100_000) {
      now += stepUs;
      const q: Quote & { type: "Quote"; nowUs: number } = {
        type: "Quote",
        instrument: INSTRUMENT,
        bid: priceOf(bid),
        ask: priceOf(ask),
        bidSize: quantityOf(10),
        askSize: quantityOf(10),
        seq: 1,
        ...stamp(),
      };
      actor.send(q);
    },
    /** the venue: acknowledge new orders and confirm pending cancels */
    settle() {
      for (const o of [...ledger().allOpenOrders()]) {
        if (o.status === OrderStatus.PendingCancel) actor.send({ type: "OrderCanceled", clientOrderId: o.clientOrderId, ...stamp() });
        else if (o.status === OrderStatus.PendingNew) actor.send({ type: "OrderAccepted", clientOrderId: o.clientOrderId, ...stamp() });
      }
    },
    /** the venue fills an order completely at its price (or the given one) */
    fill(clientOrderId: string, price?: number) {
      const o = ledger().order(clientOrderId);
      if (!o) return;
      actor.send({
        type: "OrderFilled",
        clientOrderId,
        lastQty: o.leavesQty,
        lastPx: price === undefined ? (o.price ?? priceOf(1)) : priceOf(price),
        leavesQty: ZERO_QUANTITY,
        ...stamp(),
      });
    },
    fillAll(price?: number) {
      for (const o of [...ledger().allOpenOrders()]) if (o.status !== OrderStatus.PendingCancel) this.fill(o.clientOrderId, price);
    },
    state: () => actor.getSnapshot().context.state,
  };
}
