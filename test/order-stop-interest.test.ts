import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { parseInstrumentId, subjects, systemClock } from "../actors/contract/index.ts";
import { priceOf, quantityOf } from "../actors/domain/index.ts";
import { orderKind } from "../actors/order/index.ts";
import { submitCommand } from "../actors/order/testing.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { shardName } from "../supervisors/sharding/shard-of.ts";
import { ShardRegion } from "../supervisors/sharding/shard-region.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The order kind in its shard region on a real NATS server: an order emulating a stop hears its instrument's market
 * data only while it holds the stop, and lets go of it once triggered or closed.
 */

const log = createLogger({ level: "error" });
const INSTRUMENT = "ACME.NOSTOP";
const kind = orderKind({
  venues: { NOSTOP: { orderTypes: ["MARKET", "LIMIT"], timesInForce: ["DAY", "GTC", "IOC", "FOK"], postOnly: true, reduceOnly: true } },
});
const POLL = { timeoutMs: 10_000, everyMs: 50 };

async function ask(nc: NatsConnection, id: string, message: Message) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd("order", id), data, { headers, timeout: 5_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; error?: { message: string } };
}

function quote(nc: NatsConnection, bid: number, ask: number): void {
  const now = Date.now() * 1000;
  const q = encodeMessage({
    type: "Quote",
    instrument: INSTRUMENT,
    bid: priceOf(bid),
    bidSize: quantityOf(10),
    ask: priceOf(ask),
    askSize: quantityOf(10),
    seq: 1,
    tsEvent: now,
    tsInit: now,
  });
  nc.publish(subjects.md("quote", parseInstrumentId(INSTRUMENT)), q.data, { headers: q.headers });
}

t.test("an emulated stop listens to its instrument until it triggers, then stops listening", async (t) => {
  const f = await startTestServers(t);
  const region = new ShardRegion(kind, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  for (let n = 0; n < 32; n++) await region.own(shardName(n));
  const toVenue: Message[] = [];
  const venue = f.nc.subscribe(subjects.cmd("venue", "NOSTOP"), {
    callback: (_e, m) => void toVenue.push(decodeMessage(m.data, m.headers, false).message),
  });
  t.teardown(() => venue.unsubscribe());

  const id = "stop-1";
  const stop = submitCommand({
    clientOrderId: id,
    instrument: INSTRUMENT,
    orderType: "STOP_LIMIT",
    stopPrice: priceOf(105),
    price: priceOf(106),
  });
  t.equal((await ask(f.nc, id, { type: "SubmitOrder", ...stop })).ok, true);
  const entity = region.entity(id)!;
  await eventually("the stop listening to quotes and trades", async () => entity.listening === 2, POLL);
  t.equal(toVenue.length, 0, "nothing sent to a venue without stops");

  quote(f.nc, 100, 101);
  await eventually("a quote below the stop reaching the order", async () => entity.stats.processed >= 2, POLL);
  t.equal(toVenue.length, 0, "a quote below the stop does not trigger it");

  quote(f.nc, 105, 106);
  const sent = await eventually("the triggered order at the venue", async () => toVenue[0], POLL);
  t.match(sent, { type: "VenueNewOrder", clientOrderId: id, orderType: "LIMIT", price: priceOf(106) });
  await eventually("the triggered order no longer listening", async () => entity.listening === 0, POLL);
  const processed = entity.stats.processed;
  quote(f.nc, 110, 111);
  await f.nc.flush();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(entity.stats.processed, processed, "a later quote does not reach it");
});

t.test("a held stop canceled before it triggers stops listening; an order sent to the venue never listens", async (t) => {
  const f = await startTestServers(t);
  const region = new ShardRegion(kind, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  for (let n = 0; n < 32; n++) await region.own(shardName(n));

  const id = "stop-2";
  const stop = submitCommand({ clientOrderId: id, instrument: INSTRUMENT, orderType: "STOP", stopPrice: priceOf(95), side: "SELL" });
  t.equal((await ask(f.nc, id, { type: "SubmitOrder", ...stop, price: undefined })).ok, true);
  const entity = region.entity(id)!;
  await eventually("the stop listening", async () => entity.listening === 2, POLL);
  const now = Date.now() * 1000;
  t.equal((await ask(f.nc, id, { type: "CancelOrder", clientOrderId: id, tsEvent: now, tsInit: now })).ok, true);
  await eventually("the canceled stop no longer listening", async () => entity.listening === 0, POLL);

  const limit = submitCommand({ clientOrderId: "limit-1", instrument: INSTRUMENT });
  t.equal((await ask(f.nc, "limit-1", { type: "SubmitOrder", ...limit })).ok, true);
  t.equal(region.entity("limit-1")?.listening, 0, "a limit order hears no market data");
});
