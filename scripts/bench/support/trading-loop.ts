/**
 * The trading loop hosted in this process on a throwaway nats-server, for the order-path benchmarks: the
 * simulated exchange, a venue connection, a risk book without limits, optionally a strategy, and order actors
 * created in advance for the ids the benchmark will use (spawning an order actor through placement is the cold
 * path, measured apart). Every hop is a real NATS message through the codec; events are journaled in JetStream.
 */
import { z } from "zod";
import { type ActorKind, defineKind, subjects, systemClock } from "../../../actors/contract/index.ts";
import { asPrice, asQuantity, fromNumber, parseMoney } from "../../../actors/domain/index.ts";
import { fullCapabilities, orderMachine } from "../../../actors/order/index.ts";
import { defaultBookConfig, riskBookMachine } from "../../../actors/risk-book/index.ts";
import { type StrategyDefinition, strategyMachine } from "../../../actors/strategy/index.ts";
import { venueConnectionMachine } from "../../../actors/venue/connection/index.ts";
import { simulatedVenueMachine } from "../../../actors/exchange/index.ts";
import { startTestInfra, type TestInfra } from "../../../infra/local/index.ts";
import { connectNats, declareResources, SnapshotStore } from "../../../infra/nats/index.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { ActorHost } from "../../../supervisors/runtime/actor-host.ts";
import type { NatsConnection } from "@nats-io/transport-node";

export const INSTRUMENT = "SIM001.SIMX";
export const TICK = asPrice(1_000_000);
export const LOT = asQuantity(100_000_000);

/** A bench strategy: one resting 1-lot buy at the bid for every quote (so each tick makes exactly one order). */
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

export interface LoopFixture {
  infra: TestInfra;
  /** the driver's connection (the actors have their own) */
  nc: NatsConnection;
  hosts: ActorHost[];
  /** creates and starts order actors for these ids (journal read included), ahead of their first command */
  prepareOrders(ids: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startLoop(opts: { strategy?: boolean } = {}): Promise<LoopFixture> {
  const infra = await startTestInfra();
  const actorsNc = await connectNats(infra.natsUrl, "bench-actors");
  const nc = await connectNats(infra.natsUrl, "bench-driver");
  await declareResources(nc, { replicas: 1 });
  const env = {
    nc: actorsNc,
    store: await SnapshotStore.open(actorsNc),
    clock: systemClock,
    log: createLogger({ level: "warn" }),
    onExit: (h: ActorHost) => void h.restart(),
  };
  const instruments = [{ id: INSTRUMENT, tickSize: TICK, lotSize: LOT }];
  const kinds: Record<string, ActorKind> = {
    exchange: defineKind({
      name: "exchange",
      machine: simulatedVenueMachine,
      input: (venue) => ({ venue, instruments, background: { levels: 5, stepTicks: 1, quantity: 100 * LOT }, seqBase: Date.now() * 1000 }),
      consumes: (venue) => [subjects.cmd("venue-adapter", venue), subjects.mdAll("quote")],
      persistence: "none",
      batchAs: "QuoteBatch",
    }),
    venue: defineKind({
      name: "venue",
      machine: venueConnectionMachine,
      input: (venue) => ({ venue, rateCapacity: 100_000, ratePerSecond: 100_000 }),
      persistence: "none",
      startWith: { type: "Start" },
    }),
    book: defineKind({
      name: "risk-book",
      machine: riskBookMachine,
      input: (book) => ({
        config: defaultBookConfig(book, {
          initialCash: parseMoney("100000000"),
          hwmStep: parseMoney("1000000"),
          fillMemory: 64,
          instruments: [{ instrument: INSTRUMENT, multiplier: LOT, sector: "TECH", assetClass: "EQUITY" }],
        }),
      }),
      consumes: () => [subjects.evtAll("order"), subjects.md("quote", { venue: "SIMX", symbol: "SIM001" })],
      persistence: "event-sourced",
    }),
    order: defineKind({
      name: "order",
      machine: orderMachine,
      input: () => ({ capabilities: fullCapabilities }),
      persistence: "event-sourced",
    }),
    strategy: defineKind({
      name: "strategy",
      machine: strategyMachine,
      input: (id) => ({ definition: quoteEcho, config: { strategyId: id, book: "bench", instruments, channels: ["quote"] } }),
      consumes: () => [subjects.md("quote", { venue: "SIMX", symbol: "SIM001" }), subjects.evtAll("order")],
      persistence: "none",
    }),
  };
  const hosts: ActorHost[] = [];
  const start = async (kind: ActorKind, id: string) => {
    const h = new ActorHost(kind, id, env);
    await h.incarnate();
    hosts.push(h);
    return h;
  };
  await start(kinds.exchange!, "SIMX");
  await start(kinds.venue!, "SIMX");
  await start(kinds.book!, "bench");
  if (opts.strategy) await start(kinds.strategy!, "echo");
  await actorsNc.flush();
  // let the venue connection log on and reconcile
  await new Promise((r) => setTimeout(r, 300));
  return {
    infra,
    nc,
    hosts,
    prepareOrders: async (ids) => {
      for (const id of ids) await start(kinds.order!, id);
      await actorsNc.flush();
    },
    stop: async () => {
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

export { fromNumber };

/** What this machine's NATS costs at the moment of the run: core request/reply and one JetStream append. */
export async function natsBaseline(
  nc: NatsConnection,
  n = 200,
): Promise<{ rttP50Us: number; rttP99Us: number; appendP50Us: number; appendP99Us: number }> {
  const { jetstream } = await import("@nats-io/jetstream");
  const js = jetstream(nc);
  const sub = nc.subscribe("bench.echo", {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
  const rtt: number[] = [];
  const append: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await nc.request("bench.echo", new Uint8Array(64));
    rtt.push((performance.now() - t0) * 1000);
    t0 = performance.now();
    await js.publish(subjects.evt("bench", `b${process.pid}`, "Appended"), new Uint8Array(128));
    append.push((performance.now() - t0) * 1000);
  }
  sub.unsubscribe();
  const r = percentiles(rtt);
  const a = percentiles(append);
  return { rttP50Us: r.p50, rttP99Us: r.p99, appendP50Us: a.p50, appendP99Us: a.p99 };
}
