import t from "tap";
import { z } from "zod";
import { Reply, subjects, systemClock } from "../contract/index.ts";
import { asMoney, fromNumber, priceOf, quantityOf, SCALE } from "../domain/index.ts";
import { defaultBookConfig, riskBookKind } from "../risk-book/index.ts";
import { connectNats } from "../../infra/nats/index.ts";
import { decodeAs, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../../supervisors/runtime/actor-tree.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { strategyKind } from "./kind.ts";
import { StrategySession } from "./session.ts";
import type { StrategyDefinition } from "./strategy.ts";

const INSTRUMENT = "X1.SIMX";
const X1 = { venue: "SIMX", symbol: "X1" };

/**
 * Keeps `target` units bought or on order, one resting buy of 1 at a time per quote, and counts the quotes it has
 * seen: its "indicator", ready after three.
 */
const ladder = (target: number): StrategyDefinition<unknown> => ({
  name: "ladder",
  parameters: z.object({}),
  create: () => {
    let seen = 0;
    return {
      isReady: () => seen >= 3,
      onQuote(_q, ctx) {
        seen++;
        const open = ctx.openOrders(INSTRUMENT).length;
        if (ctx.position(INSTRUMENT) + open * SCALE >= fromNumber(target)) return undefined;
        return [
          {
            kind: "submit",
            instrument: INSTRUMENT,
            side: "BUY",
            type: "LIMIT",
            price: priceOf(10),
            quantity: quantityOf(1),
            timeInForce: "DAY",
          },
        ];
      },
    };
  },
});

const config = {
  strategyId: "s1",
  book: "b1",
  instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
  channels: ["quote" as const],
};

t.test("a restored session rebuilds its indicators from the market data it kept", async (t) => {
  const session = new StrategySession(ladder(3), config);
  session.start(1);
  const quote = {
    type: "Quote" as const,
    instrument: INSTRUMENT,
    bid: priceOf(11),
    bidSize: quantityOf(1),
    ask: priceOf(12),
    askSize: quantityOf(1),
    seq: 1,
    tsEvent: 1,
    tsInit: 1,
  };
  for (let i = 0; i < 3; i++) session.onMarketData(quote, 10 + i, false, []);
  t.ok(session.isReady(), "primed by three quotes");
  const restored = new StrategySession(ladder(3), config);
  restored.restore(JSON.parse(JSON.stringify(session.toPlain())));
  t.ok(restored.isReady(), "a fresh instance fed the kept quotes again is primed too");
  t.same(restored.toPlain(), session.toPlain(), "the restored session is the one saved");
  restored.onMarketData(quote, 13, false, []);
  t.not(restored.ids.next(), session.ids.next(), "a restored session sends orders under ids of a new session");
});

t.test("a strategy killed mid-run restarts with its open orders and positions, and the book's view wins", async (t) => {
  const f = await startTestServers(t);
  const log = createLogger({ level: "error" });
  const book = defaultBookConfig("b1", {
    initialCash: asMoney(100_000_000_000_000n),
    instruments: [{ instrument: INSTRUMENT, multiplier: SCALE, sector: "TECH", assetClass: "EQUITY" }],
  });
  const kinds = () => [
    riskBookKind({ books: new Map([["b1", book]]), marked: [] }),
    strategyKind({
      definitionOf: (id) => (id === "s1" ? { definition: ladder(3), config, autoStart: true } : undefined),
      known: () => ["s1"],
    }),
  ];
  const treeOn = async (nc: typeof f.nc, store: SnapshotStore) => {
    const tree = new ActorTree(kinds(), { nc, store, clock: systemClock, log, onLifecycle: () => {} });
    await tree.start();
    return tree;
  };
  // the book lives on, on its own "node"
  const bookNode = await treeOn(f.nc, f.store);
  t.teardown(() => bookNode.stop());
  await bookNode.spawn("risk-book", "b1");
  // the strategy's first node has a connection of its own, closed to kill it
  const nc1 = await connectNats(f.infra.natsUrl, "strategy-node-1");
  const first = await treeOn(nc1, await SnapshotStore.open(nc1));
  await first.spawn("strategy", "s1");

  const reconciled: Message[] = [];
  const sub = f.nc.subscribe(subjects.evt("strategy", "s1", "StrategyPositionReconciled"), {
    callback: (_e, m) => void reconciled.push(decodeMessage(m.data, m.headers, true).message),
  });
  t.teardown(() => sub.unsubscribe());
  let seq = 0;
  const publish = (subject: string, message: Message) => {
    const { data, headers } = encodeMessage(message);
    f.nc.publish(subject, data, { headers });
  };
  const quote = async () => {
    seq++;
    const now = Date.now() * 1000;
    publish(subjects.md("quote", X1), {
      type: "Quote",
      instrument: INSTRUMENT,
      bid: priceOf(11),
      bidSize: quantityOf(5),
      ask: priceOf(11.02),
      askSize: quantityOf(5),
      seq,
      tsEvent: now,
      tsInit: now,
    });
    await f.nc.flush();
  };
  const view = async () => {
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage({ type: "GetStrategyView", strategy: "s1", tsEvent: now, tsInit: now });
    const r = await f.nc.request(subjects.cmd("risk-book", "b1"), data, { headers, timeout: 5_000 });
    return (decodeAs(Reply, r.data, r.headers).result ?? {}) as { orders: { clientOrderId: string }[]; positions?: Record<string, number> };
  };
  let exec = 0;
  const fill = (clientOrderId: string) => {
    const now = Date.now() * 1000;
    const q = quantityOf(1);
    publish(subjects.evt("order", clientOrderId, "OrderFilled"), {
      type: "OrderFilled",
      clientOrderId,
      execId: `x${++exec}`,
      side: "BUY",
      lastQty: q,
      lastPx: priceOf(10),
      fee: 0,
      liquidity: "MAKER",
      cumQty: q,
      leavesQty: 0,
      avgPx: priceOf(10),
      venueSeq: exec,
      tsEvent: now,
      tsInit: now,
    });
  };
  const cancel = (clientOrderId: string) => {
    const now = Date.now() * 1000;
    publish(subjects.evt("order", clientOrderId, "OrderCanceled"), {
      type: "OrderCanceled",
      clientOrderId,
      cause: "USER",
      cumQty: 0,
      tsEvent: now,
      tsInit: now,
    });
  };
  const summary = (tree: ActorTree) => {
    const c = (tree.describe("strategy", "s1")?.context ?? {}) as {
      positions?: { instrument: string; quantity: number }[];
      openOrders?: number;
    };
    return { openOrders: c.openOrders, position: c.positions?.find((p) => p.instrument === INSTRUMENT)?.quantity };
  };

  const orders = await eventually("three orders approved by the book", async () => {
    await quote();
    const v = await view();
    return v.orders.length === 3 ? v.orders.map((o) => o.clientOrderId).sort() : undefined;
  });
  fill(orders[0]!);
  await eventually("the strategy holds the fill", () => summary(first).position === fromNumber(1) && summary(first).openOrders === 2);
  await eventually("the snapshot in KV holds the fill", async () => {
    const { stored } = await f.store.load("strategy", "s1");
    const session = (
      stored?.snapshot as { context?: { session?: { ledger?: { positions?: Record<string, number>; orders?: unknown[] } } } }
    )?.context?.session;
    return session?.ledger?.positions?.[INSTRUMENT] === fromNumber(1) && session.ledger.orders?.length === 2;
  });

  // killed: its connection dies with its process; while it is down one order is canceled and the other filled
  await nc1.close();
  t.teardown(() => Promise.race([first.stop(), new Promise((r) => setTimeout(r, 2_000))]));
  cancel(orders[1]!);
  fill(orders[2]!);
  await eventually("the book saw both", async () => (await view()).orders.length === 0);

  // restarted on another node: from its snapshot, then reconciled with the book
  const second = await treeOn(f.nc, f.store);
  t.teardown(() => second.stop());
  await second.spawn("strategy", "s1");
  await eventually("the book's position wins", () => summary(second).position === fromNumber(2));
  t.equal(summary(second).openOrders ?? -1, 0, "the orders the book no longer has are dropped");
  await eventually("the difference is announced", () => reconciled.length === 1);
  t.match(reconciled[0], { strategy: "s1", book: "b1", instrument: INSTRUMENT, believed: fromNumber(1), held: fromNumber(2) });

  // it trades on from there (one more to its target of 3) and a plain restart keeps that order and position
  await eventually("one new order", async () => {
    await quote();
    return summary(second).openOrders === 1;
  });
  const before = await view();
  t.equal(before.orders.length, 1, "the book holds the new order");
  t.notOk(orders.includes(before.orders[0]!.clientOrderId), "its id is new");
  await second.restartActor("strategy", "s1");
  await eventually(
    "restarted with its open order and position",
    () => summary(second).openOrders === 1 && summary(second).position === fromNumber(2),
  );
  await quote();
  await new Promise((r) => setTimeout(r, 300));
  t.same(
    (await view()).orders.map((o) => o.clientOrderId),
    before.orders.map((o) => o.clientOrderId),
    "no order sent twice after the restart",
  );
  t.equal(reconciled.length, 1, "nothing differed on the plain restart");
});
