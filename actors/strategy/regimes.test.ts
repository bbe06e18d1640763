import t from "tap";
import { MdChannel, parseInstrumentId, Reply, subjects, systemClock } from "../contract/index.ts";
import { priceOf, quantityOf } from "../domain/index.ts";
import { decodeAs, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../../supervisors/runtime/actor-tree.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { regimeKind } from "../regime/index.ts";
import { regimeBars } from "../regime/testing.ts";
import { strategyKind } from "./kind.ts";
import { trendFollower } from "./samples/index.ts";
import type { StrategyDefinition } from "./strategy.ts";

const INSTRUMENT = "X1.SIMX";
const trend = { fastPeriod: 5, slowPeriod: 20, atrPeriod: 10, riskPerTrade: 100, atrMultiple: 2, maxPosition: 1000, regimeFloor: 0.2 };
const configOf = (strategyId: string, regimes: boolean) => ({
  strategyId,
  book: "b1",
  instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
  channels: ["bar" as const],
  barType: "1m",
  regimes,
  parameters: trend,
});

t.test("live, a strategy hears its instrument's regime actor over NATS and shrinks its target at a change point", async (t) => {
  const f = await startTestServers(t);
  const hosted = new Map([
    ["plain", configOf("plain", false)],
    ["heard", configOf("heard", true)],
  ]);
  const tree = new ActorTree(
    [
      regimeKind({ warmupBars: 20 }),
      strategyKind({
        definitionOf: (id) => {
          const config = hosted.get(id);
          return config && { definition: trendFollower as StrategyDefinition<unknown>, config, autoStart: true };
        },
        known: () => [...hosted.keys()],
      }),
    ],
    { nc: f.nc, store: f.store, clock: systemClock, log: createLogger({ level: "error" }), onLifecycle: () => {} },
  );
  await tree.start();
  t.teardown(() => tree.stop());
  await tree.spawn("regime", INSTRUMENT);
  await tree.spawn("strategy", "plain");
  await tree.spawn("strategy", "heard");

  const publish = (subject: string, message: Message) => {
    const { data, headers } = encodeMessage(message);
    f.nc.publish(subject, data, { headers });
  };
  // the venue: every order the strategies send to their book fills at once at the last close
  let close = 0;
  let fills = 0;
  const positions = new Map<string, number>();
  const venue = f.nc.subscribe(subjects.cmd("risk-book", "b1"), {
    callback: (_e, m) => {
      const o = decodeMessage(m.data, m.headers, true).message as unknown as {
        type: string;
        clientOrderId: string;
        side: "BUY" | "SELL";
        quantity: number;
        strategy: string;
      };
      if (o.type !== "SubmitOrder") return;
      positions.set(o.strategy, (positions.get(o.strategy) ?? 0) + (o.side === "BUY" ? 1 : -1) * (o.quantity / 1e8));
      const now = Date.now() * 1000;
      publish(subjects.evt("order", o.clientOrderId, "OrderFilled"), {
        type: "OrderFilled",
        clientOrderId: o.clientOrderId,
        execId: `x${++fills}`,
        side: o.side,
        lastQty: o.quantity,
        lastPx: close,
        fee: 0,
        liquidity: "TAKER",
        cumQty: o.quantity,
        leavesQty: 0,
        avgPx: close,
        venueSeq: fills,
        tsEvent: now,
        tsInit: now,
      });
    },
  });
  t.teardown(() => venue.unsubscribe());
  let estimated = 0;
  let probability = 0;
  const estimates = f.nc.subscribe(subjects.evt("regime", INSTRUMENT, "RegimeEstimated"), {
    callback: (_e, m) => {
      estimated++;
      probability = Number(decodeMessage(m.data, m.headers, true).message.changeProbability);
    },
  });
  t.teardown(() => estimates.unsubscribe());
  await f.nc.flush();
  // StartStrategy to a started strategy is a no-op answered after what is ahead of it in its mailbox: lockstep
  const settled = async () => {
    for (const id of hosted.keys()) {
      const now = Date.now() * 1000;
      const { data, headers } = encodeMessage({ type: "StartStrategy", tsEvent: now, tsInit: now });
      const r = await f.nc.request(subjects.cmd("strategy", id), data, { headers, timeout: 5_000 });
      if (!decodeAs(Reply, r.data, r.headers).ok) throw new Error(`StartStrategy to ${id} was refused`);
    }
  };

  const { bars, changes } = regimeBars(INSTRUMENT, 3, [
    [120, 0.002, 0.001],
    [12, 0.0, 0.006],
  ]);
  const change = changes[0]!;
  const seen: { bar: number; plain: number; heard: number; p: number }[] = [];
  for (const [k, b] of bars.entries()) {
    close = b.close;
    publish(subjects.md(MdChannel.Bar, parseInstrumentId(INSTRUMENT)), { type: "Bar", ...b });
    // the regime actor estimates from the 21st bar on (20 returns of warm-up)
    if (k >= 21) await eventually(`the estimate of bar ${k}`, () => estimated === k - 20);
    await settled(); // bar and estimate taken, orders sent
    await settled(); // their fills taken
    seen.push({ bar: k, plain: positions.get("plain") ?? 0, heard: positions.get("heard") ?? 0, p: probability });
  }
  const before = seen[change - 1]!;
  t.ok(before.plain > 0 && before.heard >= before.plain * 0.9, `both long and about as large before the change: ${JSON.stringify(before)}`);
  const after = seen.slice(change, change + 5);
  t.ok(
    after.some((x) => x.p > 0.5 && x.heard < x.plain * 0.6),
    `within 5 bars of the change the strategy hearing regimes holds well under the other: ${JSON.stringify(after)}`,
  );
});
