/**
 * The trading loop hosted in this process on a throwaway nats-server, for the order-path benchmarks, built from the
 * kinds a node hosts (supervisors/node/kinds.ts): the simulated exchange, the venue connection, a risk book with
 * limits on, the order kind as a shard region that owns all its shards (an order entity activates on its first
 * command, as on a node), and optionally a strategy. Orders enter as SubmitOrder to the risk book, as the gateway
 * and strategies send them. Every hop is a real NATS message through the codec; events are journaled in JetStream.
 * What differs from a node's defaults is returned as `settings`, for the benchmark's JSON.
 */
import { z } from "zod";
import { type ActorKind, systemClock } from "../../../actors/contract/index.ts";
import { asPrice, asQuantity, parseFixed, parseMoney, type RiskLimitsInput } from "../../../actors/domain/index.ts";
import { exchangeKind } from "../../../actors/exchange/index.ts";
import { orderKind } from "../../../actors/order/index.ts";
import { defaultBookConfig, riskBookKind } from "../../../actors/risk-book/index.ts";
import { type StrategyDefinition, strategyKind } from "../../../actors/strategy/index.ts";
import { venueKind } from "../../../actors/venue/connection/index.ts";
import { startTestInfra, type TestInfra } from "../../../infra/local/index.ts";
import { connectNats, declareResources, SnapshotStore } from "../../../infra/nats/index.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { ActorHost, type HostEnv } from "../../../supervisors/runtime/actor-host.ts";
import { shardNames } from "../../../supervisors/sharding/shard-of.ts";
import { ShardRegion } from "../../../supervisors/sharding/shard-region.ts";
import type { NatsConnection } from "@nats-io/transport-node";

export const VENUE = "SIMX";
export const INSTRUMENT = "SIM001.SIMX";
export const BOOK = "bench";
export const TICK = asPrice(1_000_000);
export const LOT = asQuantity(100_000_000);

/** A bench strategy: one resting 1-lot buy below the bid for every quote (so each tick makes exactly one order). */
export const quoteEcho: StrategyDefinition<unknown> = {
  name: "quote-echo",
  parameters: z.object({}),
  create: () => ({
    isReady: () => true,
    onQuote: (q) => [
      {
        kind: "submit",
        instrument: q.instrument,
        side: "BUY",
        type: "LIMIT",
        quantity: LOT,
        price: asPrice(q.bid - 50 * TICK),
        timeInForce: "GTC",
      },
    ],
  }),
};

/**
 * The bench book's limits, as decimal text: every kind of limit on, each sized so that `orders` resting 1-lot buys
 * at `ordersPerSecond` pass (the demo book's maxPosition 50 and 200 orders/s would refuse a benchmark within a
 * second). Printed in the JSON as they are.
 */
export const benchLimits = (orders: number, ordersPerSecond: number) => ({
  maxOrderQuantity: "100",
  maxOrderNotional: "100000",
  maxPosition: String(2 * orders),
  maxGrossExposure: "10000000",
  maxNetExposure: "10000000",
  maxDailyLoss: "1000000",
  maxDrawdown: "1000000",
  orderRate: { maxOrders: ordersPerSecond, windowUs: 1_000_000 },
});

/** The risk limits `benchLimits` describes. */
export function riskLimitsOf(l: ReturnType<typeof benchLimits>): RiskLimitsInput {
  return {
    maxOrderQuantity: parseFixed(l.maxOrderQuantity),
    maxOrderNotional: parseMoney(l.maxOrderNotional),
    maxPosition: parseFixed(l.maxPosition),
    maxGrossExposure: { hard: parseMoney(l.maxGrossExposure) },
    maxNetExposure: { hard: parseMoney(l.maxNetExposure) },
    maxDailyLoss: { hard: parseMoney(l.maxDailyLoss) },
    maxDrawdown: { hard: parseMoney(l.maxDrawdown) },
    orderRate: l.orderRate,
  };
}

/** The venue connection's order rate for benchmarks; a node's venueKind() allows 50 orders/s. */
export const BENCH_VENUE_RATE = 100_000;

export interface LoopOptions {
  /** host the quote-echo strategy `echo` trading book `bench` */
  strategy?: boolean;
  /** orders the run will leave resting (sizes maxPosition) */
  orders: number;
  /** approvals per second the book allows (its orderRate limit) */
  ordersPerSecond?: number;
}

export interface LoopFixture {
  infra: TestInfra;
  /** the driver's connection (the actors have their own) */
  nc: NatsConnection;
  /** the order kind's region: how many entities activated on demand */
  orders: ShardRegion;
  /** every setting that differs from what a node hosts by default */
  settings: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startLoop(opts: LoopOptions): Promise<LoopFixture> {
  const infra = await startTestInfra();
  const actorsNc = await connectNats(infra.natsUrl, "bench-actors");
  const nc = await connectNats(infra.natsUrl, "bench-driver");
  await declareResources(nc, { replicas: 1 });
  const env: HostEnv = {
    nc: actorsNc,
    store: await SnapshotStore.open(actorsNc),
    clock: systemClock,
    log: createLogger({ level: "warn" }),
    onExit: (h) => void h.restart(),
  };
  const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: VENUE, priceIncrement: TICK, lotSize: LOT }]]);
  const limits = benchLimits(opts.orders, opts.ordersPerSecond ?? 100_000);
  const book = defaultBookConfig(BOOK, {
    initialCash: parseMoney("100000000"),
    hwmStep: parseMoney("100"),
    instruments: [{ instrument: INSTRUMENT, multiplier: LOT, sector: "TECH", assetClass: "EQUITY" }],
    limits: riskLimitsOf(limits),
  });
  const venue = venueKind();
  const platformVenueInput = venue.input!(VENUE) as Record<string, unknown>;
  const kinds: Record<string, ActorKind> = {
    exchange: exchangeKind(catalogue),
    venue: {
      ...venue,
      input: (id) => ({ ...(venue.input!(id) as object), rateCapacity: BENCH_VENUE_RATE, ratePerSecond: BENCH_VENUE_RATE }),
    },
    book: riskBookKind({ books: new Map([[BOOK, book]]), marked: [INSTRUMENT] }),
    strategy: strategyKind({
      definitionOf: (id) =>
        id === "echo"
          ? {
              definition: quoteEcho,
              config: { strategyId: id, book: BOOK, instruments: [{ id: INSTRUMENT, tickSize: TICK, lotSize: LOT }], channels: ["quote"] },
              autoStart: false,
            }
          : undefined,
      known: () => ["echo"],
    }),
  };
  const hosts: ActorHost[] = [];
  const start = async (kind: ActorKind, id: string) => {
    const h = new ActorHost(kind, id, env);
    await h.incarnate();
    hosts.push(h);
  };
  await start(kinds.exchange!, VENUE);
  await start(kinds.venue!, VENUE);
  await start(kinds.book!, BOOK);
  if (opts.strategy) await start(kinds.strategy!, "echo");
  const order = orderKind();
  const orders = new ShardRegion(order, env);
  for (const shard of shardNames(order.sharding!.shards)) await orders.own(shard);
  await actorsNc.flush();
  // let the venue connection log on and reconcile
  await new Promise((r) => setTimeout(r, 300));
  return {
    infra,
    nc,
    orders,
    settings: {
      venueRate: { ratePerSecond: BENCH_VENUE_RATE, platform: platformVenueInput.ratePerSecond },
      bookLimits: { ...limits, platformDemoBook: "maxOrderQuantity 100, maxPosition 50, orderRate 200 per s" },
      orderShards: `all ${order.sharding!.shards} owned by this process (no placement)`,
      hosting: "one process: exchange, venue, risk book, order shard region" + (opts.strategy ? ", strategy" : ""),
    },
    stop: async () => {
      await orders.stop();
      for (const h of hosts) await h.stop().catch(() => {});
      await actorsNc.close();
      await nc.close();
      await infra.stop();
    },
  };
}

export function percentiles(us: number[]): { p50: number; p99: number; max: number } {
  const s = [...us].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(s[s.length - 1] ?? 0) };
}

export const quoteAt = (seq: number, bid: number, nowUs: number) => ({
  type: "Quote",
  instrument: INSTRUMENT,
  bid,
  bidSize: 10 * LOT,
  ask: bid + 2 * TICK,
  askSize: 10 * LOT,
  seq,
  tsEvent: nowUs,
  tsInit: nowUs,
});

/** A resting 1-lot limit buy for the bench book, as the gateway sends it to the risk book. */
export const submitOrder = (clientOrderId: string, nowUs: number) => ({
  type: "SubmitOrder",
  clientOrderId,
  instrument: INSTRUMENT,
  side: "BUY",
  orderType: "LIMIT",
  price: 9_000 * TICK,
  quantity: LOT,
  timeInForce: "GTC",
  postOnly: false,
  reduceOnly: false,
  strategy: "bench",
  book: BOOK,
  tsEvent: nowUs,
  tsInit: nowUs,
});
