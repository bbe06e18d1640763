import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { parseInstrumentId, subjects, systemClock } from "../actors/contract/index.ts";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../actors/domain/index.ts";
import { exchangeKind } from "../actors/exchange/index.ts";
import "../actors/venue/index.ts";
import { connectNats } from "../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import { SnapshotStore } from "../infra/nats/snapshot-store.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorHost } from "../supervisors/runtime/actor-host.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The simulated exchange hosted on a real NATS server, restarted cleanly and after a crash: its resting orders are
 * back with their ids and fills, its clients are told to log on again, and no execution id is used twice.
 */

const log = createLogger({ level: "error" });
const INSTRUMENT = "SIM001.SIMX";
const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: "SIMX", priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);
const POLL = { timeoutMs: 10_000, everyMs: 50 };

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
const buy = (nc: NatsConnection, clientOrderId: string, price: number) =>
  toVenue(nc, {
    type: "VenueNewOrder",
    clientOrderId,
    version: 1,
    instrument: INSTRUMENT,
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(3),
    price: priceOf(price),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    ...stamp(),
  });

t.test("the exchange's resting orders survive a clean restart and a crash, and execution ids are never reused", async (t) => {
  const f = await startTestServers(t);
  const heard: Message[] = [];
  const sub = f.nc.subscribe(subjects.cmd("venue", "SIMX"), {
    callback: (_e, m) => void heard.push(decodeMessage(m.data, m.headers, false).message),
  });
  t.teardown(() => sub.unsubscribe());
  const reports = () => heard.filter((m) => m.type === "ExecutionReport") as unknown as ExecutionReport[];
  const newest = (type: string) => heard.filter((m) => m.type === type).at(-1);
  /** an incarnation on its own connection, as a node process would have */
  const incarnation = async (name: string) => {
    const nc = await connectNats(f.infra.natsUrl, name);
    const host = new ActorHost(exchangeKind(catalogue), "SIMX", { nc, store: await SnapshotStore.open(nc), clock: systemClock, log });
    await host.incarnate();
    t.teardown(async () => {
      await host.stop().catch(() => {});
      if (!nc.isClosed()) await nc.close();
    });
    return { nc, host };
  };
  const logOn = async (seen: number) => {
    toVenue(f.nc, { type: "AdapterConnect", venue: "SIMX" });
    await eventually("logged on", async () => heard.filter((m) => m.type === "AdapterLoggedOn").length > seen, POLL);
  };
  const openOrders = async () => {
    const seen = heard.filter((m) => m.type === "VenueStateSnapshot").length;
    toVenue(f.nc, { type: "AdapterRequestState", venue: "SIMX", sinceSeq: 0 });
    await eventually("the venue's state", async () => heard.filter((m) => m.type === "VenueStateSnapshot").length > seen, POLL);
    return (newest("VenueStateSnapshot")!.openOrders as { clientOrderId: string; venueOrderId: string }[]).map((o) => [
      o.clientOrderId,
      o.venueOrderId,
    ]);
  };

  const first = await incarnation("exchange-1");
  await logOn(0);
  quote(f.nc, 100, 100.02);
  buy(f.nc, "before-stop", 99);
  await eventually("the first order resting", async () => reports().find((r) => r.clientOrderId === "before-stop"), POLL);
  const restingBefore = await openOrders();

  await first.host.stop();
  await first.nc.close();
  const second = await incarnation("exchange-2");
  await eventually("clients told the venue restarted", async () => newest("AdapterDisconnected"), POLL);
  await logOn(1);
  t.same(await openOrders(), restingBefore, "after a clean restart the order rests again with its venue id");

  buy(f.nc, "before-crash", 98);
  await eventually("the second order resting", async () => reports().find((r) => r.clientOrderId === "before-crash"), POLL);
  const restingAtCrash = await openOrders();
  // the crash: the snapshot written on its own schedule holds both orders, then the process's connection dies
  await eventually(
    "a snapshot with both orders",
    async () => {
      const { stored } = await f.store.load("exchange", "SIMX");
      const orders = (stored?.snapshot as { context?: { orders?: unknown[] } } | undefined)?.context?.orders;
      return orders?.length === 2;
    },
    POLL,
  );
  await second.nc.close();
  await incarnation("exchange-3");
  await logOn(2);
  t.same(await openOrders(), restingAtCrash, "after a crash both orders rest again with their venue ids");

  const earlier = new Set(reports().map((r) => r.execId));
  const from = reports().length;
  // the market falls through both buys: they fill, in the new session
  quote(f.nc, 97, 97.01);
  const fills = await eventually(
    "both restored orders filled",
    async () => {
      const f2 = reports()
        .slice(from)
        .filter((r) => r.execType === ExecType.Fill);
      return f2.length === 2 ? f2 : undefined;
    },
    POLL,
  );
  t.same(fills.map((r) => r.clientOrderId).sort(), ["before-crash", "before-stop"]);
  t.notOk(
    fills.some((r) => earlier.has(r.execId)),
    "no execution id of an earlier session is used again",
  );
});
