import { createServer, Socket } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseInstrumentId, subjects, systemClock } from "../../../actors/contract/index.ts";
import { priceOf, quantityOf } from "../../../actors/domain/index.ts";
import { exchangeKind } from "../../../actors/exchange/index.ts";
import {
  type BusMessage,
  FixExchangeAcceptor,
  FixVenueInitiator,
  fixExchangeSubjects,
  memoryFixSessionBucket,
  type VenueBus,
} from "../../../actors/venue/fix/index.ts";
import { encodeMessage, type Message } from "../../../infra/nats/codec.ts";
import { SnapshotStore } from "../../../infra/nats/index.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { natsVenueBus, snapshotBucketForFix } from "../../../supervisors/node/kinds/fix-venues.ts";
import { ActorHost } from "../../../supervisors/runtime/actor-host.ts";

const VENUE = "SIMF";
const INSTRUMENT = `SIM001.${VENUE}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Logs an initiator on (standing in for the venue connection, in process), then times `count` NewOrderSingles from
 * the hand-over of the VenueNewOrder to the initiator's ExecutionReport(New), one at a time.
 */
async function timedAcks(
  count: number,
  initiatorOn: (bus: VenueBus) => FixVenueInitiator,
  market: () => Promise<void> = async () => {},
): Promise<number[]> {
  let command: ((m: BusMessage) => void) | undefined;
  let heard: ((m: BusMessage, at: number) => void) | undefined;
  const bus: VenueBus = {
    publish: (_subject, m) => heard?.(m, performance.now()),
    subscribe: (_subject, on) => {
      command = on;
      return () => {};
    },
  };
  const initiator = initiatorOn(bus);
  initiator.start();
  const answer = (type: string, match: (m: BusMessage) => boolean = () => true) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} from the FIX initiator within 10 s`)), 10_000);
      heard = (m, at) => {
        if (m.type === "AdapterConnectFailed") {
          // the acceptor may still be opening its listener: the venue connection would back off and try again
          setTimeout(() => command?.({ type: "AdapterConnect", venue: VENUE }), 200);
          return;
        }
        if (m.type !== type || !match(m)) return;
        clearTimeout(timer);
        resolve(at);
      };
    });
  try {
    const loggedOn = answer("AdapterLoggedOn");
    command!({ type: "AdapterConnect", venue: VENUE });
    await loggedOn;
    await market();
    const us: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = `fix-bench-${i}`;
      const acked = answer("ExecutionReport", (m) => m.clientOrderId === id && m.execType === "NEW");
      const now = Date.now() * 1000;
      const t0 = performance.now();
      command!({
        type: "VenueNewOrder",
        clientOrderId: id,
        version: 1,
        instrument: INSTRUMENT,
        side: "BUY",
        orderType: "LIMIT",
        quantity: quantityOf(1),
        price: priceOf(90),
        timeInForce: "GTC",
        postOnly: false,
        reduceOnly: false,
        tsEvent: now,
        tsInit: now,
      });
      us.push(((await acked) - t0) * 1000);
      if (i % 500 === 0) process.stderr.write(`fix ack ${i}/${count}\n`);
    }
    return us;
  } finally {
    await initiator.stop();
  }
}

/**
 * FIX NewOrderSingle → ExecutionReport(New) through the real path, timed at the initiator: the venue connection's
 * VenueNewOrder handed to the initiator in process, the NewOrderSingle encoded and sent over loopback TCP, the
 * acceptor's parse and its venue-adapter message to the simulated exchange actor over NATS, the exchange's
 * ExecutionReport back over NATS, the acceptor's FIX ExecutionReport over TCP, and the initiator's parse up to the
 * platform ExecutionReport it publishes. The exchange runs in an ActorHost as on a node; sessions keep their
 * sequence numbers and sent reports in the snapshot bucket (JetStream KV) as on a node.
 */
export async function fixAckRoundTrips(
  natsUrl: string,
  connect: (url: string, name: string) => Promise<NatsConnection>,
  count: number,
): Promise<number[]> {
  const exchangeNc = await connect(natsUrl, "bench-fix-exchange");
  const acceptorNc = await connect(natsUrl, "bench-fix-acceptor");
  const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: VENUE, priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);
  const exchange = new ActorHost(exchangeKind(catalogue, {}, {}, {}, new Set([VENUE])), VENUE, {
    nc: exchangeNc,
    store: await SnapshotStore.open(exchangeNc),
    clock: systemClock,
    log: createLogger({ level: "warn" }),
  });
  await exchange.incarnate();
  const port = await freePort();
  const session = { venue: VENUE, host: "127.0.0.1", port, heartbeatSecs: 30, resetSeqNumOnLogon: false };
  const bucket = await snapshotBucketForFix(acceptorNc);
  const acceptor = new FixExchangeAcceptor({ ...session, senderCompId: VENUE, targetCompId: "BENCH" }, natsVenueBus(acceptorNc), bucket);
  acceptor.start();

  try {
    return await timedAcks(
      count,
      (bus) => new FixVenueInitiator({ ...session, senderCompId: "BENCH", targetCompId: VENUE }, bus, bucket),
      async () => {
        const q = encodeMessage({
          type: "Quote",
          instrument: INSTRUMENT,
          bid: priceOf(100),
          bidSize: quantityOf(100),
          ask: priceOf(100.02),
          askSize: quantityOf(100),
          seq: 1,
          tsEvent: Date.now() * 1000,
          tsInit: Date.now() * 1000,
        } as Message);
        acceptorNc.publish(subjects.md("quote", parseInstrumentId(INSTRUMENT)), q.data, { headers: q.headers });
        await acceptorNc.flush();
      },
    );
  } finally {
    await acceptor.stop();
    await exchange.stop();
    await exchangeNc.close();
    await acceptorNc.close();
  }
}

/**
 * The FIX engines alone, for where the time goes: the same initiator and acceptor over loopback TCP, the acceptor's
 * venue-adapter messages answered in process at once (an ExecutionReport(New) per VenueNewOrder) instead of by the
 * exchange actor over NATS; sessions keep their state in an in-memory bucket.
 */
export async function fixEngineRoundTrips(count: number): Promise<number[]> {
  const port = await freePort();
  const session = { venue: VENUE, host: "127.0.0.1", port, heartbeatSecs: 30, resetSeqNumOnLogon: false };
  const { fromExchange } = fixExchangeSubjects(VENUE);
  let toAcceptor: ((m: BusMessage) => void) | undefined;
  const exchangeBus: VenueBus = {
    publish: (_subject, m) => {
      if (m.type === "AdapterConnect") queueMicrotask(() => toAcceptor?.({ type: "AdapterLoggedOn", venue: VENUE }));
      if (m.type !== "VenueNewOrder") return;
      const t = Date.now() * 1000;
      toAcceptor?.({
        type: "ExecutionReport",
        clientOrderId: m.clientOrderId,
        venueOrderId: String(m.clientOrderId),
        execId: `x:${String(m.clientOrderId)}`,
        execType: "NEW",
        instrument: m.instrument,
        side: m.side,
        lastQty: 0,
        lastPx: 0,
        cumQty: 0,
        leavesQty: m.quantity,
        avgPx: 0,
        fee: 0,
        venueSeq: 1,
        tsEvent: t,
        tsInit: t,
      });
    },
    subscribe: (subject, on) => {
      if (subject === fromExchange) toAcceptor = on;
      return () => {};
    },
  };
  const acceptor = new FixExchangeAcceptor(
    { ...session, senderCompId: VENUE, targetCompId: "BENCH" },
    exchangeBus,
    memoryFixSessionBucket(),
  );
  acceptor.start();
  try {
    return await timedAcks(
      count,
      (bus) => new FixVenueInitiator({ ...session, senderCompId: "BENCH", targetCompId: VENUE }, bus, memoryFixSessionBucket()),
    );
  } finally {
    await acceptor.stop();
  }
}

/** The raw baseline of the same run: a plain TCP echo round trip on loopback, message by message, 200 bytes. */
export async function tcpEchoRoundTrips(count: number): Promise<number[]> {
  const server = createServer((s) => s.on("data", (d) => s.write(d)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const socket = new Socket();
  await new Promise<void>((r) => socket.connect((server.address() as { port: number }).port, "127.0.0.1", r));
  socket.setNoDelay(true);
  const payload = Buffer.alloc(200, 65);
  let pending: ((at: number) => void) | undefined;
  let got = 0;
  socket.on("data", (d) => {
    got += d.length;
    if (got >= payload.length) {
      got -= payload.length;
      pending?.(performance.now());
    }
  });
  const us: number[] = [];
  for (let i = 0; i < count; i++) {
    const back = new Promise<number>((r) => {
      pending = r;
    });
    const t0 = performance.now();
    socket.write(payload);
    us.push(((await back) - t0) * 1000);
  }
  socket.destroy();
  await new Promise((r) => server.close(r));
  return us;
}
