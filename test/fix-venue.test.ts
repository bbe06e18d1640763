import { createServer, Socket } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { type ActorKind, parseInstrumentId, subjects, systemClock } from "../actors/contract/index.ts";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../actors/domain/index.ts";
import { exchangeKind } from "../actors/exchange/index.ts";
import { demoUniverse } from "../actors/instrument/index.ts";
import { orderKind } from "../actors/order/index.ts";
import { submitCommand } from "../actors/order/testing.ts";
import { venueKind } from "../actors/venue/index.ts";
import {
  type BusMessage,
  FixExchangeAcceptor,
  type FixSessionBucket,
  type FixSessionConfig,
  FixVenueInitiator,
  fieldsOf,
  fixExchangeSubjects,
  frame,
  SOH,
  utcTimestamp,
  type VenueBus,
} from "../actors/venue/fix/index.ts";
import { connectNats } from "../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import type { SnapshotStore } from "../infra/nats/snapshot-store.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorHost } from "../supervisors/runtime/actor-host.ts";
import { natsVenueBus, snapshotBucketForFix } from "../supervisors/node/kinds/fix-venues.ts";
import { shardName } from "../supervisors/sharding/shard-of.ts";
import { ShardRegion } from "../supervisors/sharding/shard-region.ts";
import { eventually, startTestServers, type Teardown } from "./testing.ts";

/**
 * Trading over FIX 4.4 end to end on real servers: order actors → venue connection → FIX initiator → TCP on
 * loopback → FIX acceptor → the simulated exchange actor, and back. Sessions keep their sequence numbers in the
 * node's snapshot bucket (JetStream KV).
 */

const log = createLogger({ level: "error" });
const [def] = demoUniverse(1);
const INSTRUMENT = def!.id;
const VENUE = def!.venue;
const POLL = { timeoutMs: 20_000, everyMs: 50 };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

function host(t: Teardown, kind: ActorKind, id: string, nc: NatsConnection, store: SnapshotStore) {
  const h = new ActorHost(kind, id, { nc, store, clock: systemClock, log });
  t.teardown(() => h.stop());
  return h;
}

async function ask(nc: NatsConnection, id: string, message: Message) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd("order", id), data, { headers, timeout: 3_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; result?: Record<string, unknown> };
}

const now = () => Date.now() * 1000;
const orderOf = async (nc: NatsConnection, id: string) =>
  (await ask(nc, id, { type: "GetOrder", clientOrderId: id, tsEvent: 1, tsInit: 1 } as Message)).result ?? {};

function publish(nc: NatsConnection, subject: string, message: Message): void {
  const { data, headers } = encodeMessage(message);
  nc.publish(subject, data, { headers });
}

/** The market at 100.00 / 100.02: the exchange rests 100 lots on each of five levels either side. */
const quote = (nc: NatsConnection) =>
  publish(nc, subjects.md("quote", parseInstrumentId(INSTRUMENT)), {
    type: "Quote",
    instrument: INSTRUMENT,
    bid: priceOf(100),
    bidSize: quantityOf(100),
    ask: priceOf(100.02),
    askSize: quantityOf(100),
    seq: 1,
    tsEvent: now(),
    tsInit: now(),
  } as Message);

/** A bus that lets a test act on what the exchange answers before the acceptor hears it. */
function tappedBus(bus: VenueBus, tap: (subject: string, m: BusMessage) => void): VenueBus {
  return {
    publish: (s, m) => bus.publish(s, m),
    subscribe: (s, on) =>
      bus.subscribe(s, (m) => {
        on(m);
        tap(s, m);
      }),
  };
}

interface Fixture {
  nc: NatsConnection;
  bus: VenueBus;
  bucket: FixSessionBucket;
  acceptor: FixExchangeAcceptor;
  initiator: FixVenueInitiator;
  initiatorConfig: FixSessionConfig;
  /** execution reports the venue connection forwarded to order actors, in order */
  forwarded: ExecutionReport[];
  /** execution reports the exchange sent the acceptor */
  sent: ExecutionReport[];
  /** fills the order actors applied (their journaled OrderFilled events) */
  applied: ExecutionReport[];
  /** how many times the venue connection reconciled (once per logon) */
  reconciled: () => number;
  submit(id: string, over: Record<string, unknown>): Promise<void>;
}

async function fixVenue(t: Teardown, onExchange: (f: Fixture, m: BusMessage) => void = () => {}): Promise<Fixture> {
  const s = await startTestServers(t);
  const port = await freePort();
  const nc = await connectNats(s.infra.natsUrl, "fix");
  t.teardown(() => nc.close());
  const bus = natsVenueBus(nc);
  const bucket = await snapshotBucketForFix(nc);
  const forwarded: ExecutionReport[] = [];
  const sent: ExecutionReport[] = [];
  const applied: ExecutionReport[] = [];
  const events = s.nc.subscribe(subjects.evtAll("order"), {
    callback: (_e, m) => {
      const msg = decodeMessage(m.data, m.headers, false).message;
      if (msg.type === "OrderFilled") applied.push(msg as unknown as ExecutionReport);
    },
  });
  t.teardown(() => events.unsubscribe());
  const sub = s.nc.subscribe(subjects.cmdAll("order"), {
    callback: (_e, m) => {
      const msg = decodeMessage(m.data, m.headers, false).message;
      if (msg.type === "ExecutionReport") forwarded.push(msg as unknown as ExecutionReport);
    },
  });
  t.teardown(() => sub.unsubscribe());
  const region = new ShardRegion(orderKind({ venueInquiry: { firstMs: 2_000, maxMs: 8_000 } }), {
    nc: s.nc,
    store: s.store,
    clock: systemClock,
    log,
  });
  t.teardown(() => region.stop());
  for (let n = 0; n < 32; n++) await region.own(shardName(n));

  const session = { venue: VENUE, host: "127.0.0.1", port, heartbeatSecs: 5, resetSeqNumOnLogon: false };
  const initiatorConfig: FixSessionConfig = { ...session, senderCompId: "ALPHAMIND", targetCompId: "SIMX" };
  const f = {} as Fixture;
  const acceptor = new FixExchangeAcceptor(
    { ...session, senderCompId: "SIMX", targetCompId: "ALPHAMIND" },
    tappedBus(bus, (subject, m) => {
      if (subject !== fixExchangeSubjects(VENUE).fromExchange || m.type !== "ExecutionReport") return;
      sent.push(m as unknown as ExecutionReport);
      onExchange(f, m);
    }),
    bucket,
  );
  acceptor.start();
  t.teardown(() => acceptor.stop());
  const initiator = new FixVenueInitiator(initiatorConfig, bus, bucket);
  initiator.start();
  t.teardown(() => f.initiator.stop());
  Object.assign(f, {
    nc: s.nc,
    bus,
    bucket,
    acceptor,
    initiator,
    initiatorConfig,
    forwarded,
    sent,
    applied,
    async submit(id: string, over: Record<string, unknown>) {
      const r = await ask(s.nc, id, {
        type: "SubmitOrder",
        ...submitCommand({ clientOrderId: id, instrument: INSTRUMENT, tsEvent: now(), tsInit: now(), ...over }),
      } as unknown as Message);
      if (!r.ok) throw new Error(`order ${id} refused: ${JSON.stringify(r)}`);
    },
  });

  let reconciliations = 0;
  const reconciled = s.nc.subscribe(subjects.evt("venue", VENUE, "VenueReconciled"), { callback: () => void reconciliations++ });
  t.teardown(() => reconciled.unsubscribe());
  f.reconciled = () => reconciliations;
  await host(t, exchangeKind(new Map([[INSTRUMENT, def!]]), {}, {}, {}, new Set([VENUE])), VENUE, s.nc, s.store).incarnate();
  // the venue connection on a connection of its own (another cell): its reports to the orders cross NATS, where the
  // test hears them
  await host(t, venueKind(), VENUE, nc, s.store).incarnate();
  await eventually("the venue connection reconciled over FIX", () => (reconciliations > 0 ? true : undefined), POLL);
  quote(s.nc);
  await s.nc.flush();
  return f;
}

const fillsOf = (reports: readonly ExecutionReport[], id: string) =>
  reports.filter((r) => r.clientOrderId === id && (r.execType === ExecType.Fill || r.execType === ExecType.PartialFill));

t.test("an order goes New, partially filled and filled over FIX, each report once", async (t) => {
  const f = await fixVenue(t);
  // 150 lots through two ask levels of 100: a partial fill at 100.02, the rest at 100.03
  await f.submit("fix-rt-1", { quantity: quantityOf(150), price: priceOf(100.05) });
  const o = await eventually(
    "filled",
    async () => {
      const v = await orderOf(f.nc, "fix-rt-1");
      return v.status === "FILLED" ? v : undefined;
    },
    POLL,
  );
  t.equal(o.cumQty, quantityOf(150));
  const mine = f.forwarded.filter((r) => r.clientOrderId === "fix-rt-1");
  t.same(
    mine.map((r) => r.execType),
    [ExecType.New, ExecType.PartialFill, ExecType.Fill],
  );
  t.same(
    fillsOf(mine, "fix-rt-1").map((r) => [r.lastQty, r.lastPx]),
    [
      [quantityOf(100), priceOf(100.02)],
      [quantityOf(50), priceOf(100.03)],
    ],
    "quantities and prices exact through FIX's decimal text",
  );
  t.same(
    mine.map((r) => r.execId),
    f.sent.filter((r) => r.clientOrderId === "fix-rt-1").map((r) => r.execId),
    "the exchange's execution ids, unchanged",
  );
});

t.test("cancel/replace over FIX: a resting order is repriced, then cancelled", async (t) => {
  const f = await fixVenue(t);
  await f.submit("fix-cr-1", { quantity: quantityOf(5), price: priceOf(99) });
  await eventually("resting", async () => ((await orderOf(f.nc, "fix-cr-1")).status === "NEW" ? true : undefined), POLL);
  const replaced = await ask(f.nc, "fix-cr-1", {
    type: "ReplaceOrder",
    clientOrderId: "fix-cr-1",
    price: priceOf(99.5),
    quantity: quantityOf(7),
    tsEvent: now(),
    tsInit: now(),
  } as Message);
  t.equal(replaced.ok, true);
  const o = await eventually(
    "repriced",
    async () => {
      const v = await orderOf(f.nc, "fix-cr-1");
      return v.price === priceOf(99.5) && v.status === "NEW" ? v : undefined;
    },
    POLL,
  );
  t.equal(o.quantity, quantityOf(7));
  t.equal(o.version, 2);
  t.equal(
    (await ask(f.nc, "fix-cr-1", { type: "CancelOrder", clientOrderId: "fix-cr-1", tsEvent: now(), tsInit: now() } as Message)).ok,
    true,
  );
  await eventually("cancelled", async () => ((await orderOf(f.nc, "fix-cr-1")).status === "CANCELED" ? true : undefined), POLL);
  t.same(
    f.forwarded.filter((r) => r.clientOrderId === "fix-cr-1").map((r) => r.execType),
    [ExecType.New, ExecType.Replaced, ExecType.Canceled],
  );
});

t.test("a bracket crosses FIX as NewOrderList: ListStatus acknowledges it, exits are restated to the entry's fill", async (t) => {
  const f = await fixVenue(t);
  const tag = (leg: number, role: string) => ({ listId: "fixbr", contingency: "BRACKET", leg, legCount: 3, role, triggerOnPartial: false });
  // the entry takes the 100 lots at 100.02 and rests 50 at its limit; its exits wait off-book at the venue
  await f.submit("list.fixbr.0", { quantity: quantityOf(150), price: priceOf(100.02), list: tag(0, "ENTRY") });
  await f.submit("list.fixbr.1", { side: "SELL", quantity: quantityOf(150), price: priceOf(101), list: tag(1, "TAKE_PROFIT") });
  await f.submit("list.fixbr.2", {
    side: "SELL",
    orderType: "STOP",
    price: undefined,
    stopPrice: priceOf(95),
    quantity: quantityOf(150),
    list: tag(2, "STOP_LOSS"),
  });
  await eventually("the list acknowledged by ListStatus", () => f.initiator.listStatus("fixbr"), POLL);
  await eventually(
    "the entry partly filled",
    async () => ((await orderOf(f.nc, "list.fixbr.0")).status === "PARTIALLY_FILLED" ? true : undefined),
    POLL,
  );
  t.equal(
    (await ask(f.nc, "list.fixbr.0", { type: "CancelOrder", clientOrderId: "list.fixbr.0", tsEvent: now(), tsInit: now() } as Message)).ok,
    true,
  );
  // the entry ended having filled 100: both exits are placed at 100 (restated from 150), the take-profit rests
  for (const id of ["list.fixbr.1", "list.fixbr.2"])
    await eventually(
      `${id} restated to the entry's fill`,
      async () => ((await orderOf(f.nc, id)).quantity === quantityOf(100) ? true : undefined),
      POLL,
    );
  const restated = f.forwarded.filter((r) => r.clientOrderId === "list.fixbr.1" && r.execType === ExecType.Replaced);
  t.same(
    restated.map((r) => [r.quantity, r.leavesQty]),
    [[quantityOf(100), quantityOf(100)]],
    "one restatement (FIX ExecType D) of the take-profit",
  );
  t.equal((await orderOf(f.nc, "list.fixbr.1")).status, "NEW", "the take-profit works at the venue");
  // canceling the take-profit ends the exits' one-cancels-other pair: the venue cancels the stop-loss, the list is done
  await ask(f.nc, "list.fixbr.1", { type: "CancelOrder", clientOrderId: "list.fixbr.1", tsEvent: now(), tsInit: now() } as Message);
  await eventually(
    "the stop-loss canceled",
    async () => ((await orderOf(f.nc, "list.fixbr.2")).status === "CANCELED" ? true : undefined),
    POLL,
  );
  const done = await eventually(
    "the list's last ListStatus",
    () => (f.initiator.listStatus("fixbr")?.statusType === 5 ? f.initiator.listStatus("fixbr") : undefined),
    POLL,
  );
  t.match(done, { statusType: 5, orderStatus: 6 }, "ListStatus all done once every leg ended");
});

t.test("a TCP connection dropped while the exchange sends fills: after reconnect and resend each fill applies exactly once", async (t) => {
  let dropped = false;
  const f = await fixVenue(t, (fx, m) => {
    // the line goes after the exchange's second fill reached the acceptor: the rest are sent into a dead socket
    const r = m as unknown as ExecutionReport;
    if (!dropped && r.clientOrderId === "fix-drop-1" && fillsOf(fx.sent, "fix-drop-1").length === 2) {
      dropped = true;
      fx.acceptor.current?.dropConnection();
    }
  });
  // 450 lots through five ask levels: four partial fills and a fill
  await f.submit("fix-drop-1", { quantity: quantityOf(450), price: priceOf(100.1) });
  const o = await eventually(
    "filled after the reconnect",
    async () => {
      const v = await orderOf(f.nc, "fix-drop-1");
      return v.status === "FILLED" ? v : undefined;
    },
    POLL,
  );
  t.ok(dropped, "the line was dropped mid-fill");
  t.ok(f.initiator.resends.heard > 0, `reports lost on the line came back by resend (${JSON.stringify(f.initiator.resends)})`);
  const atExchange = fillsOf(f.sent, "fix-drop-1");
  t.equal(atExchange.length, 5, "the exchange filled the order in five executions");
  const forwarded = fillsOf(f.forwarded, "fix-drop-1").map((r) => r.execId);
  t.same([...new Set(forwarded)].sort(), atExchange.map((r) => r.execId).sort(), "every fill reached the order over FIX");
  const applied = await eventually(
    "five fills journaled",
    () => {
      const mine = f.applied.filter((r) => r.clientOrderId === "fix-drop-1");
      return mine.length >= 5 ? mine : undefined;
    },
    POLL,
  );
  await new Promise((r) => setTimeout(r, 300));
  t.same(
    f.applied
      .filter((r) => r.clientOrderId === "fix-drop-1")
      .map((r) => r.execId)
      .sort(),
    atExchange.map((r) => r.execId).sort(),
    "each fill applied exactly once (one OrderFilled per execution at the exchange)",
  );
  t.equal(applied.length, 5);
  const filled = atExchange.reduce((q, r) => q + r.lastQty, 0);
  t.equal(o.cumQty, filled, "the order's position is the exchange's fills");
  t.equal(o.cumQty, quantityOf(450));
});

t.test("a restarted initiator resumes its sequence numbers from the durable store", async (t) => {
  const f = await fixVenue(t);
  await f.submit("fix-seq-1", { quantity: quantityOf(10), price: priceOf(100.05) });
  await eventually("filled", async () => ((await orderOf(f.nc, "fix-seq-1")).status === "FILLED" ? true : undefined), POLL);
  const before = f.initiator.store!;
  const sentBefore = before.senderSeqNum;
  const heardBefore = before.targetSeqNum;
  t.ok(sentBefore > 3, `the session sent messages (next ${sentBefore})`);
  const logons = f.reconciled();
  await f.initiator.stop();
  // a new process: a fresh initiator on the same bucket; the venue connection logs it on again
  f.initiator = new FixVenueInitiator(f.initiatorConfig, f.bus, f.bucket);
  f.initiator.start();
  await eventually("logged on and reconciled again", () => (f.reconciled() > logons ? true : undefined), POLL);
  await f.submit("fix-seq-2", { quantity: quantityOf(10), price: priceOf(100.05) });
  await eventually(
    "traded after the restart",
    async () => ((await orderOf(f.nc, "fix-seq-2")).status === "FILLED" ? true : undefined),
    POLL,
  );
  const after = f.initiator.store!;
  t.not(after, before, "a new store, read from the bucket");
  t.ok(after.senderSeqNum > sentBefore, `outgoing numbers continue (${sentBefore} → ${after.senderSeqNum}), no reset to 1`);
  t.ok(after.targetSeqNum > heardBefore, `incoming numbers continue (${heardBefore} → ${after.targetSeqNum})`);
});

/** A FIX counterparty written by hand: logs on, then sends what it is told, and collects what comes back. */
async function rawCounterparty(port: number, sender: string, target: string) {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.connect(port, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  let buffer = "";
  const received: Map<number, string>[] = [];
  socket.on("data", (d) => {
    buffer += d.toString("latin1");
    let end = buffer.indexOf(`${SOH}10=`);
    while (end >= 0 && buffer.length >= end + 8) {
      received.push(new Map(fieldsOf(buffer.slice(0, end + 8))));
      buffer = buffer.slice(end + 8);
      end = buffer.indexOf(`${SOH}10=`);
    }
  });
  let seq = 0;
  const body = (type: string, fields: [number, string][]): [number, string][] => [
    [35, type],
    [49, sender],
    [56, target],
    [34, String(++seq)],
    [52, utcTimestamp(new Date())],
    ...fields,
  ];
  return {
    received,
    send: (type: string, fields: [number, string][]) => socket.write(Buffer.from(frame("FIX.4.4", body(type, fields)), "latin1")),
    sendText: (text: string) => socket.write(Buffer.from(text, "latin1")),
    next: (type: string, fields: [number, string][]) => frame("FIX.4.4", body(type, fields)),
    close: () => socket.destroy(),
  };
}

t.test("a malformed or garbled message gets a Reject naming the tag, and the exchange hears nothing", async (t) => {
  const s = await startTestServers(t);
  const port = await freePort();
  const bus = natsVenueBus(s.nc);
  const toExchange: string[] = [];
  const unsubscribe = bus.subscribe(fixExchangeSubjects(VENUE).toExchange, (m) => void toExchange.push(m.type));
  t.teardown(unsubscribe);
  const acceptor = new FixExchangeAcceptor(
    { venue: VENUE, host: "127.0.0.1", port, senderCompId: "SIMX", targetCompId: "OTHER", heartbeatSecs: 30, resetSeqNumOnLogon: false },
    bus,
    await snapshotBucketForFix(s.nc),
  );
  acceptor.start();
  t.teardown(() => acceptor.stop());
  const peer = await eventually("the acceptor listening", async () => rawCounterparty(port, "OTHER", "SIMX").catch(() => undefined), POLL);
  t.teardown(() => peer.close());
  peer.send("A", [
    [98, "0"],
    [108, "30"],
  ]);
  await eventually("logged on", () => (peer.received.some((m) => m.get(35) === "A") ? true : undefined), POLL);
  await eventually("the exchange told of the logon", () => (toExchange.includes("AdapterConnect") ? true : undefined), POLL);
  const order = (fields: [number, string][]): [number, string][] => [
    [11, "raw-1"],
    [21, "1"],
    [55, INSTRUMENT],
    [60, utcTimestamp(new Date())],
    [38, "5"],
    [44, "99"],
    ...fields,
  ];
  const rejects = () => peer.received.filter((m) => m.get(35) === "3");

  // Side (54) missing
  peer.send("D", order([[40, "2"]]));
  await eventually("a Reject of the order without a side", () => (rejects().length === 1 ? true : undefined), POLL);
  t.match(rejects()[0]!.get(58), /54/, "the Reject's text names tag 54");

  // an OrdType (40) this venue does not take
  peer.send(
    "D",
    order([
      [54, "1"],
      [40, "Z"],
    ]),
  );
  await eventually("a Reject of the unknown order type", () => (rejects().length === 2 ? true : undefined), POLL);
  t.equal(rejects()[1]!.get(371), "40", "RefTagID names tag 40");

  // a checksum that does not add up: one more than the right one (a fixed 000 is right for 1 message in 256)
  const garbled = peer
    .next(
      "D",
      order([
        [54, "1"],
        [40, "2"],
      ]),
    )
    .replace(new RegExp(`10=(\\d{3})${SOH}$`), (_m, sum: string) => `10=${String((Number(sum) + 1) % 256).padStart(3, "0")}${SOH}`);
  peer.sendText(garbled);
  const heard = () => peer.received.map((m) => `${m.get(35)} ${m.get(45) ?? ""} ${m.get(58) ?? ""}`.trim()).join(" | ");
  await eventually("a Reject of the garbled message", () => (rejects().length >= 3 ? true : undefined), POLL).catch((e: Error) => {
    throw new Error(`${e.message}; the counterparty heard: ${heard()}`);
  });
  t.equal(rejects().length, 3, `one Reject per refused message (heard: ${heard()})`);
  t.match(rejects()[2]!.get(58), /checksum/i);

  // a NewOrderList whose contingency (ListExecInst 69) is not one the venue holds, then one whose second leg's
  // ListSeqNo (67) is beyond its TotNoOrders: neither sends a leg
  const list = (execInst: string, seqs: [string, string]): [number, string][] => [
    [66, "raw-list"],
    [394, "3"],
    [69, execInst],
    [68, "2"],
    [73, "2"],
    ...seqs.flatMap((seq, i): [number, string][] => [
      [11, `raw-leg-${i}`],
      [67, seq],
      [55, INSTRUMENT],
      [54, "1"],
      [38, "5"],
      [40, "2"],
      [44, "99"],
    ]),
  ];
  peer.send("E", list("ICEBERG", ["1", "2"]));
  await eventually("a Reject of the unknown contingency", () => (rejects().length === 4 ? true : undefined), POLL);
  t.equal(rejects()[3]!.get(371), "69", "RefTagID names ListExecInst");
  peer.send("E", list("OCO", ["1", "3"]));
  await eventually("a Reject of the leg beyond the list", () => (rejects().length === 5 ? true : undefined), POLL);
  t.equal(rejects()[4]!.get(371), "67", "RefTagID names ListSeqNo");

  await new Promise((r) => setTimeout(r, 200));
  t.same(toExchange, ["AdapterConnect"], "no order reached the exchange");
});
