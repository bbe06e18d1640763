import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { parseInstrumentId, subjects, systemClock } from "../actors/contract/index.ts";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../actors/domain/index.ts";
import { exchangeKind } from "../actors/exchange/index.ts";
import "../actors/venue/index.ts";
import { connectNats } from "../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import { streams } from "../infra/nats/resources.ts";
import { SnapshotStore } from "../infra/nats/snapshot-store.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorHost } from "../supervisors/runtime/actor-host.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The simulated exchange crashes (its connection dies, no final save) the moment it has reported an order's
 * acknowledgement, and again the moment it has reported a partial fill: what it told its client is what the
 * restarted exchange knows (the order, its cumulative and open quantities), the order never fills twice, and no
 * execution id is used again. Its compaction snapshot then lets the journal before it go.
 */

const log = createLogger({ level: "error" });
const INSTRUMENT = "SIM001.SIMX";
const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: "SIMX", priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);
const POLL = { timeoutMs: 10_000, everyMs: 20 };

function publish(nc: NatsConnection, subject: string, message: Message): void {
  const { data, headers } = encodeMessage(message);
  nc.publish(subject, data, { headers });
}

const stamp = () => ({ tsEvent: Date.now() * 1000, tsInit: Date.now() * 1000 });
const toVenue = (nc: NatsConnection, message: Message) => publish(nc, subjects.cmd("venue-adapter", "SIMX"), message);
const quote = (nc: NatsConnection, bid: number, ask: number) =>
  publish(nc, subjects.md("quote", parseInstrumentId(INSTRUMENT)), {
    type: "Quote",
    instrument: INSTRUMENT,
    bid: priceOf(bid),
    bidSize: quantityOf(5),
    ask: priceOf(ask),
    askSize: quantityOf(5),
    seq: 1,
    ...stamp(),
  });

t.test("a crash right after an acknowledgement and right after a fill loses neither, and nothing fills twice", async (t) => {
  const f = await startTestServers(t);
  const heard: Message[] = [];
  const sub = f.nc.subscribe(subjects.cmd("venue", "SIMX"), {
    callback: (_e, m) => void heard.push(decodeMessage(m.data, m.headers, false).message),
  });
  t.teardown(() => sub.unsubscribe());
  const reports = () => heard.filter((m) => m.type === "ExecutionReport") as unknown as ExecutionReport[];
  const count = (type: string) => heard.filter((m) => m.type === type).length;
  /** an incarnation on its own connection, as a node process would have; 5 units rest per background level */
  const incarnation = async (name: string) => {
    const nc = await connectNats(f.infra.natsUrl, name);
    const kind = exchangeKind(catalogue, {}, {}, { SIMX: quantityOf(5) });
    const host = new ActorHost(kind, "SIMX", { nc, store: await SnapshotStore.open(nc), clock: systemClock, log });
    await host.incarnate();
    t.teardown(async () => {
      await host.stop().catch(() => {});
      if (!nc.isClosed()) await nc.close();
    });
    return { nc, host };
  };
  /** the process dies: its connection with it, before any save of its own schedule */
  const crash = (x: { nc: NatsConnection }) => x.nc.close();
  const logOn = async () => {
    const seen = count("AdapterLoggedOn");
    toVenue(f.nc, { type: "AdapterConnect", venue: "SIMX" });
    await eventually("logged on", async () => count("AdapterLoggedOn") > seen, POLL);
  };
  const openOrders = async () => {
    const seen = count("VenueStateSnapshot");
    toVenue(f.nc, { type: "AdapterRequestState", venue: "SIMX", sinceSeq: 0 });
    await eventually("the venue's state", async () => count("VenueStateSnapshot") > seen, POLL);
    const state = heard.filter((m) => m.type === "VenueStateSnapshot").at(-1)!;
    return state.openOrders as { clientOrderId: string; venueOrderId: string; cumQty: number; leavesQty: number }[];
  };

  const first = await incarnation("exchange-1");
  await logOn();
  quote(f.nc, 100, 100.02);
  toVenue(f.nc, {
    type: "VenueNewOrder",
    clientOrderId: "buy",
    version: 1,
    instrument: INSTRUMENT,
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(10),
    price: priceOf(99),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    ...stamp(),
  });
  const ack = await eventually("the order acknowledged", async () => reports().find((r) => r.execType === ExecType.New), POLL);
  await crash(first);

  const second = await incarnation("exchange-2");
  await logOn();
  t.match(
    await openOrders(),
    [{ clientOrderId: "buy", venueOrderId: ack.venueOrderId, cumQty: 0, leavesQty: quantityOf(10) }],
    "the acknowledged order rests after the crash, with its venue id",
  );
  // the market falls to 98.99 / 99: the background offer of 5 at 99 meets our buy
  quote(f.nc, 98.99, 99);
  const partial = await eventually("a partial fill", async () => reports().find((r) => r.execType === ExecType.PartialFill), POLL);
  t.match(partial, { cumQty: quantityOf(5), leavesQty: quantityOf(5) });
  await crash(second);

  await incarnation("exchange-3");
  await logOn();
  t.match(
    await openOrders(),
    [{ clientOrderId: "buy", venueOrderId: ack.venueOrderId, cumQty: quantityOf(5), leavesQty: quantityOf(5) }],
    "after the second crash the order holds the fill it reported",
  );
  // the same market again, then lower: the rest fills, and no more than the order's quantity ever does
  quote(f.nc, 98.99, 99);
  quote(f.nc, 97, 97.01);
  await eventually("filled", async () => reports().find((r) => r.execType === ExecType.Fill), POLL);
  await new Promise((r) => setTimeout(r, 200));
  const fills = reports().filter((r) => r.execType === ExecType.Fill || r.execType === ExecType.PartialFill);
  t.equal(
    fills.reduce((sum, r) => sum + r.lastQty, 0),
    quantityOf(10),
    "the fills add up to the order's quantity: none is repeated",
  );
  t.match(fills.at(-1), { execType: ExecType.Fill, cumQty: quantityOf(10), leavesQty: 0 });
  const ids = reports().map((r) => r.execId);
  t.equal(new Set(ids).size, ids.length, "no execution id is used twice across the three sessions");

  // compaction: a snapshot that holds the fills is saved, and the journal keeps nothing before it
  const compacted = await eventually(
    "a compaction snapshot holding the filled order",
    async () => {
      const { stored } = await f.store.load("exchange", "SIMX");
      const orders = (stored?.snapshot as { context?: { orders?: unknown[] } } | undefined)?.context?.orders;
      return stored && stored.seq > 0 && orders?.length === 0 ? stored : undefined;
    },
    { timeoutMs: 15_000, everyMs: 200 },
  );
  const jsm = await jetstreamManager(f.nc);
  const oldest = await eventually(
    "the journal purged before the snapshot",
    async () => {
      const m = await jsm.direct.getMessage(streams.events, { seq: 1, next_by_subj: subjects.evtOf("exchange", "SIMX") });
      return m && m.seq >= compacted.seq ? m : undefined;
    },
    POLL,
  );
  t.equal(oldest.seq, compacted.seq, "the record the snapshot ends at is the journal's first");
});
