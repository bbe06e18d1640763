import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import t from "tap";
import { type ActorKind, subjects, systemClock } from "../actors/contract/index.ts";
import { ExecType, priceOf, quantityOf, ZERO_QUANTITY } from "../actors/domain/index.ts";
import { exchangeKind } from "../actors/exchange/index.ts";
import { demoUniverse } from "../actors/instrument/index.ts";
import { orderKind } from "../actors/order/index.ts";
import { submitCommand } from "../actors/order/testing.ts";
import { venueKind } from "../actors/venue/index.ts";
import { connectNats } from "../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import { streams } from "../infra/nats/resources.ts";
import type { SnapshotStore } from "../infra/nats/snapshot-store.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorHost } from "../supervisors/runtime/actor-host.ts";
import { shardName } from "../supervisors/sharding/shard-of.ts";
import { ShardRegion } from "../supervisors/sharding/shard-region.ts";
import { eventually, startTestServers, type Teardown } from "./testing.ts";

/**
 * Orders whose venue message was lost while the process lived (a NATS outage, a venue connection not listening)
 * are settled by asking the venue: on their deadline, and at once when the NATS connection comes back.
 */

const log = createLogger({ level: "error" });
const [def] = demoUniverse(1);
const INSTRUMENT = def!.id;
const VENUE = def!.venue;

/** Every order shard served by one region on its own connection. */
async function orders(t: Teardown, url: string, store: SnapshotStore, firstMs: number) {
  const nc = await connectNats(url, "orders");
  const region = new ShardRegion(orderKind({ venueInquiry: { firstMs, maxMs: firstMs * 4 } }), { nc, store, clock: systemClock, log });
  t.teardown(async () => {
    await region.stop();
    await nc.close();
  });
  for (let n = 0; n < 32; n++) await region.own(shardName(n));
  return { nc, region };
}

async function ask(nc: NatsConnection, id: string, message: Message) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd("order", id), data, { headers, timeout: 3_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; result?: Record<string, unknown> };
}

const submit = (id: string) =>
  ({
    type: "SubmitOrder",
    ...submitCommand({ clientOrderId: id, instrument: INSTRUMENT, quantity: quantityOf(1), price: priceOf(1) }),
  }) as unknown as Message;

const statusOf = async (nc: NatsConnection, id: string) =>
  (await ask(nc, id, { type: "GetOrder", clientOrderId: id, tsEvent: 1, tsInit: 1 } as Message)).result?.status;

function host(t: Teardown, kind: ActorKind, id: string, nc: NatsConnection, store: SnapshotStore) {
  const h = new ActorHost(kind, id, { nc, store, clock: systemClock, log });
  t.teardown(() => h.stop());
  return h;
}

/**
 * A venue connection that never hears new orders (they are lost) and answers an order's status request with a
 * report of `execType`; returns the types of the messages it saw.
 */
function fakeVenue(t: Teardown, nc: NatsConnection, execType: ExecType, text: string): string[] {
  const seen: string[] = [];
  const venue: Subscription = nc.subscribe(subjects.cmd("venue", VENUE), {
    callback: (_err, msg) => {
      const m = decodeMessage(msg.data, msg.headers, false).message as unknown as Record<string, unknown> & { type: string };
      seen.push(m.type);
      if (m.type !== "VenueOrderStatusRequest") return;
      const now = Date.now() * 1000;
      const { data, headers } = encodeMessage({
        type: "ExecutionReport",
        clientOrderId: m.clientOrderId,
        venueOrderId: "v-1",
        execId: `test:${String(m.clientOrderId)}:${execType}`,
        execType,
        instrument: INSTRUMENT,
        side: m.side,
        lastQty: 0,
        lastPx: 0,
        cumQty: 0,
        leavesQty: execType === ExecType.New ? quantityOf(1) : ZERO_QUANTITY,
        avgPx: 0,
        fee: 0,
        venueSeq: 1,
        text,
        tsEvent: now,
        tsInit: now,
      } as Message);
      nc.publish(subjects.cmd("order", String(m.clientOrderId)), data, { headers });
    },
  });
  t.teardown(() => venue.unsubscribe());
  return seen;
}

t.test(
  "a new order sent while its venue connection did not listen is closed with the reason when the venue session logs on and the order asks",
  async (t) => {
    const f = await startTestServers(t);
    // a deadline far away: the venue session logging on (VenueReconciled) is what makes the order ask
    await orders(t, f.infra.natsUrl, f.store, 600_000);
    t.equal((await ask(f.nc, "lost-1", submit("lost-1"))).ok, true, "accepted and journaled");
    t.equal(await statusOf(f.nc, "lost-1"), "PENDING_NEW", "its VenueNewOrder reached no one");

    // the venue connection and the exchange come up now
    const exchange = host(t, exchangeKind(new Map([[INSTRUMENT, def!]])), VENUE, f.nc, f.store);
    const venue = host(t, venueKind(), VENUE, f.nc, f.store);
    await exchange.incarnate();
    await venue.incarnate();
    await eventually("the order closed", async () => ((await statusOf(f.nc, "lost-1")) === "REJECTED" ? true : undefined), {
      timeoutMs: 20_000,
    });
    const o = (await ask(f.nc, "lost-1", { type: "GetOrder", clientOrderId: "lost-1", tsEvent: 1, tsInit: 1 } as Message)).result;
    t.match(o, { status: "REJECTED", leavesQty: 0 }, "nothing left open: the book releases its reservation on OrderRejected");
    const jsm = await jetstreamManager(f.nc);
    const stored = await jsm.streams.getMessage(streams.events, { last_by_subj: subjects.evt("order", "lost-1", "OrderRejected") });
    t.match(
      decodeMessage(stored!.data, stored!.header, true).message,
      { type: "OrderRejected", message: /UNKNOWN_ORDER: venue .* never received/ },
      "journaled with the reason",
    );
  },
);

t.test("the NATS connection coming back makes a waiting order ask at once, long before its deadline", async (t) => {
  const f = await startTestServers(t);
  const { nc } = await orders(t, f.infra.natsUrl, f.store, 600_000);
  const seen = fakeVenue(t, f.nc, ExecType.Rejected, "UNKNOWN_ORDER: the venue never received the order");

  await f.nc.flush();
  t.equal((await ask(f.nc, "wait-1", submit("wait-1"))).ok, true);
  await eventually("the venue saw the new order", () => (seen.includes("VenueNewOrder") ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));
  t.equal(await statusOf(f.nc, "wait-1"), "PENDING_NEW", "no ask before its 10-minute deadline");
  t.notOk(seen.includes("VenueOrderStatusRequest"));

  const back = (async () => {
    for await (const s of nc.status()) if (s.type === "reconnect") return;
  })();
  await nc.reconnect();
  await back;
  await eventually(
    "the order closed after the reconnect",
    async () => ((await statusOf(f.nc, "wait-1")) === "REJECTED" ? true : undefined),
    {
      timeoutMs: 15_000,
    },
  );
  t.ok(seen.includes("VenueOrderStatusRequest"), "it asked because the connection came back");
});

t.test(
  "an order whose new order the venue connection never heard asks on its deadline and takes the venue's late acceptance",
  async (t) => {
    const f = await startTestServers(t);
    await orders(t, f.infra.natsUrl, f.store, 300);
    const seen = fakeVenue(t, f.nc, ExecType.New, "accepted late");
    await f.nc.flush();
    t.equal((await ask(f.nc, "late-1", submit("late-1"))).ok, true);
    await eventually("the order accepted after its ask", async () => ((await statusOf(f.nc, "late-1")) === "NEW" ? true : undefined), {
      timeoutMs: 15_000,
    });
    t.ok(seen.indexOf("VenueOrderStatusRequest") > seen.indexOf("VenueNewOrder"), "asked after the lost new order");
    const asks = seen.filter((m) => m === "VenueOrderStatusRequest").length;
    await new Promise((r) => setTimeout(r, 1_500));
    t.equal(seen.filter((m) => m === "VenueOrderStatusRequest").length, asks, "an accepted order asks no more");
  },
);
