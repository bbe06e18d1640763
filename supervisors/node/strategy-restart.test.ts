import t from "tap";
import { z } from "zod";
import { subjects, defineKind } from "../../actors/contract/index.ts";
import { fromNumber, priceOf, quantityOf } from "../../actors/domain/index.ts";
import { type StrategyDefinition, strategyMachine, subscriptions } from "../../actors/strategy/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import type { LifecycleEvent } from "../runtime/actor-tree.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { startTestTree } from "../runtime/testing/tree.ts";

const INSTRUMENT = "X1.SIMX";
const POISON_BID = fromNumber(13.13);

/** Sends one order per quote; the "bomb" variant has a bug that throws on one particular quote. */
const perQuote = (bomb: boolean): StrategyDefinition<Record<string, never>> => ({
  name: bomb ? "bomb" : "steady",
  parameters: z.object({}),
  create: () => ({
    isReady: () => true,
    onQuote(q, ctx) {
      if (bomb && q.bid === POISON_BID) throw new Error("strategy bug on 13.13");
      return [
        {
          kind: "submit",
          instrument: INSTRUMENT,
          side: "BUY",
          type: "LIMIT",
          price: priceOf(10),
          quantity: quantityOf(1),
          timeInForce: "DAY",
          tag: `q${ctx.nowUs}`,
        },
      ];
    },
  }),
});

const config = (id: string) => ({
  strategyId: id,
  book: "b1",
  instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
  channels: ["quote" as const],
  startAtUs: 1,
});

const strategyKind = defineKind({
  name: "strategy",
  machine: strategyMachine,
  input: (id) => ({ definition: perQuote(id === "bomb") as StrategyDefinition<unknown>, config: config(id) }),
  consumes: (id) => subscriptions(config(id)).marketData,
  persistence: "none",
  supervision: { maxRestarts: 5, periodMs: 60_000 },
});

t.test("a strategy that throws is restarted by its supervisor while the other strategy keeps trading", async (t) => {
  const f = await startTestServers(t);
  const lifecycle: LifecycleEvent[] = [];
  const tree = await startTestTree(t, f, [strategyKind], { onLifecycle: (e) => lifecycle.push(e) });
  await tree.spawn("strategy", "bomb");
  await tree.spawn("strategy", "steady");

  const orders: string[] = [];
  const sub = f.nc.subscribe(subjects.cmd("risk-book", "b1"), {
    callback: (_e, m) => void orders.push(String(decodeMessage(m.data, m.headers, true).message.strategy)),
  });
  t.teardown(() => sub.unsubscribe());
  let seq = 0;
  const quote = async (bid: number) => {
    seq++;
    const { data, headers } = encodeMessage({
      type: "Quote",
      instrument: INSTRUMENT,
      bid,
      bidSize: quantityOf(5),
      ask: bid + fromNumber(0.02),
      askSize: quantityOf(5),
      seq,
      tsEvent: seq,
      tsInit: seq,
    });
    f.nc.publish(subjects.md("quote", { venue: "SIMX", symbol: "X1" }), data, { headers });
    await f.nc.flush();
  };
  const count = (s: string) => orders.filter((o) => o === s).length;

  await eventually("both strategies trading", async () => {
    await quote(fromNumber(10));
    return count("bomb") > 0 && count("steady") > 0;
  });
  // Let the orders of the warm-up quotes arrive, so that the next order counted is the poison quote's.
  await new Promise((r) => setTimeout(r, 300));
  const before = { bomb: count("bomb"), steady: count("steady") };
  await quote(POISON_BID);
  await eventually("the bomb restarted by its supervisor", () => lifecycle.some((e) => e.type === "restarted" && e.id === "bomb"));
  t.ok(
    lifecycle.some((e) => e.type === "failed" && e.id === "bomb" && /strategy bug/.test(e.error)),
    "its failure is reported with the error",
  );
  t.ok(
    await eventually("the steady strategy's order on the poison quote", () => count("steady") > before.steady),
    "the poison quote still reached the steady strategy",
  );
  await eventually("both trading after the restart", async () => {
    await quote(fromNumber(10.5));
    return count("bomb") > before.bomb && count("steady") > before.steady + 1;
  });
  t.notOk(
    lifecycle.some((e) => e.id === "steady" && e.type !== "started"),
    "the steady strategy never failed or restarted",
  );
});
