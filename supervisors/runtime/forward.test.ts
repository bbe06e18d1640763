import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { assign, emit, setup } from "xstate";
import { z } from "zod";
import { systemClock, defineMessage, type Emitted, type Forward, subjects, defineKind } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { shardName, shardOf } from "../sharding/shard-of.ts";
import { ShardRegion } from "../sharding/shard-region.ts";
import { ActorHost } from "./actor-host.ts";
import { counterKind } from "./testing/counter-kind.ts";
import { eventually, startTestServers, type Teardown, type TestServers } from "../../test/testing.ts";

const log = createLogger({ level: "error" });
defineMessage("PlaceCount", 1, z.object({ id: z.string() }), "Test: journal a placement and forward an Increment to a counter entity.");
defineMessage("CountPlaced", 1, z.object({ id: z.string(), tsEvent: z.number(), tsInit: z.number() }), "Test: a placement was journaled.");

const target = defineKind({ ...counterKind("event-sourced", "counter-fw"), sharding: { shards: 2 } });
const forwardTo = (id: string): Forward => ({
  type: "forward",
  key: id,
  subject: subjects.cmd(target.name, id),
  message: { type: "Increment", by: 1 },
});

/** A tiny "book": journals CountPlaced, forwards an Increment to the counter entity, and lists its placements as its outbox. */
const placer = defineKind({
  name: "placer",
  persistence: "event-sourced",
  machine: setup({
    types: {} as {
      context: { placed: string[]; refused: string[] };
      events:
        | { type: "PlaceCount"; id: string; nowUs: number }
        | { type: "CountPlaced"; id: string }
        | { type: "ForwardRefused"; key: string };
      emitted: Emitted;
    },
  }).createMachine({
    context: { placed: [], refused: [] },
    on: {
      PlaceCount: {
        actions: [
          emit(({ event }) => ({
            type: "domain" as const,
            event: { type: "CountPlaced", id: event.id, tsEvent: event.nowUs, tsInit: event.nowUs },
          })),
          emit(({ event }) => forwardTo(event.id)),
          emit({ type: "reply" as const, ok: true as const, result: { placed: true } }),
          assign({ placed: ({ context, event }) => [...context.placed, event.id] }),
        ],
      },
      CountPlaced: { actions: assign({ placed: ({ context, event }) => [...context.placed, event.id] }) },
      ForwardRefused: { actions: assign({ refused: ({ context, event }) => [...context.refused, event.key] }) },
    },
  }),
  outbox: (c) => (c as { placed: string[] }).placed.map(forwardTo),
});

async function ask(nc: NatsConnection, kind: string, id: string, message: Message, timeout = 10_000) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd(kind, id), data, { headers, timeout });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as {
    ok: boolean;
    result?: { count: number };
    error?: { code: string };
  };
}

const hostOf = (nc: NatsConnection, store: ConstructorParameters<typeof ActorHost>[2]["store"]) =>
  new ActorHost(placer, "book", { nc, store, clock: systemClock, log, onExit: (h) => void h.restart() });

t.test("a command that forwards is answered only once the target answered, after the target's shard finds an owner", async (t) => {
  const f = await startTestServers(t);
  const book = hostOf(f.nc, f.store);
  await book.incarnate();
  t.teardown(() => book.stop());
  const region = new ShardRegion(target, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  let answered = false;
  const placed = ask(f.nc, "placer", "book", { type: "PlaceCount", id: "o-1" }).then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 1_500));
  t.notOk(answered, "no answer while nobody owns the target's shard");
  await region.own(shardName(shardOf("o-1", 2)));
  t.equal((await placed).ok, true, "answered once the target took it");
  t.same((await ask(f.nc, target.name, "o-1", { type: "GetCount" })).result, { count: 1, fired: 0 }, "the target took it once");
});

t.test("a forward in flight when its actor stopped is sent again from the outbox when the actor is restored", async (t) => {
  const f = await startTestServers(t);
  const nc2 = await connectNats(f.infra.natsUrl, "second");
  t.teardown(() => nc2.close());
  const first = hostOf(nc2, f.store);
  await first.incarnate();
  // journaled, forwarded to nobody; the requester gives up and the actor's process goes away
  await ask(nc2, "placer", "book", { type: "PlaceCount", id: "o-2" }, 500).catch(() => undefined);
  await first.stop();
  const region = new ShardRegion(target, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  await region.own(shardName(0));
  await region.own(shardName(1));
  const again = hostOf(f.nc, f.store);
  t.teardown(() => again.stop());
  await again.incarnate();
  await eventually(
    "the restored actor's outbox reached the target",
    async () => (await ask(f.nc, target.name, "o-2", { type: "GetCount" })).result?.count === 1,
    { timeoutMs: 10_000 },
  );
});

/** Relays each PlaceCount to the counter it names and answers `sent`; a detached relay's answer does not wait. */
const relayMachine = (detached: boolean) =>
  setup({
    types: {} as { context: { relayed: number }; events: { type: "PlaceCount"; id: string }; emitted: Emitted },
  }).createMachine({
    context: { relayed: 0 },
    on: {
      PlaceCount: {
        actions: [
          emit(({ event }) => (detached ? { ...forwardTo(event.id), detached: true as const } : forwardTo(event.id))),
          emit({ type: "reply" as const, ok: true as const, result: { sent: true } }),
          assign({ relayed: ({ context }) => context.relayed + 1 }),
        ],
      },
    },
  });

/** A snapshot kind that forwards and derives nothing to forward from its state (as a venue connection's reports). */
const relay = defineKind({ name: "relay-fw", persistence: "snapshot", snapshotEveryMs: 50, machine: relayMachine(false) });

/**
 * The relay's next owner, on the test's own connection, once a region serves the counter: it sends the forward its
 * predecessor owed (to counter `id`), the counter takes it once, and once it is answered a save lists no forward.
 */
async function nextOwnerSends(test: Teardown & Pick<typeof t, "equal">, f: TestServers, id: string): Promise<void> {
  const region = new ShardRegion(target, { nc: f.nc, store: f.store, clock: systemClock, log });
  test.teardown(() => region.stop());
  await region.own(shardName(0));
  await region.own(shardName(1));
  const next = new ActorHost(relay, "r", { nc: f.nc, store: f.store, clock: systemClock, log });
  test.teardown(() => next.stop());
  await next.incarnate();
  await eventually(
    "the next owner's forward reached the counter",
    async () => (await ask(f.nc, target.name, id, { type: "GetCount" })).result?.count === 1,
    { timeoutMs: 10_000 },
  );
  await eventually(
    "once answered, a save lists no forward",
    async () => (await f.store.load(relay.name, "r")).stored?.forwards === undefined,
  );
  test.equal((await ask(f.nc, target.name, id, { type: "GetCount" })).result?.count, 1, "counted once");
}

t.test("a forward unanswered when its actor stopped is sent by the actor's next owner, once", async (t) => {
  const f = await startTestServers(t);
  const nc2 = await connectNats(f.infra.natsUrl, "first-owner");
  t.teardown(() => nc2.close());
  const first = new ActorHost(relay, "r", { nc: nc2, store: f.store, clock: systemClock, log });
  await first.incarnate();
  // no region serves the counter yet: the forward waits; the requester gives up, then the actor moves away
  await ask(nc2, relay.name, "r", { type: "PlaceCount", id: "o-3" }, 500).catch(() => undefined);
  await first.stop();
  t.match((await f.store.load(relay.name, "r")).stored?.forwards, [{ key: "o-3" }], "its stop saved the forward with its state");

  await nextOwnerSends(t, f, "o-3");
});

t.test("a forward unanswered when its actor's state was saved is sent by the next owner after a crash", async (t) => {
  const f = await startTestServers(t);
  const nc2 = await connectNats(f.infra.natsUrl, "crashing-owner");
  const first = new ActorHost(relay, "r", { nc: nc2, store: f.store, clock: systemClock, log });
  await first.incarnate();
  // the state that counts the forward is saved while nobody serves the counter; then the owner's process dies
  // without a stop, so the only snapshot the next owner finds is that periodic one
  await ask(nc2, relay.name, "r", { type: "PlaceCount", id: "o-4" }, 500).catch(() => undefined);
  await eventually("the periodic save counts the forward", async () => {
    const stored = (await f.store.load(relay.name, "r")).stored;
    return (stored?.snapshot as { context?: { relayed?: number } } | undefined)?.context?.relayed === 1;
  });
  t.match((await f.store.load(relay.name, "r")).stored?.forwards, [{ key: "o-4" }], "it lists the forward it owes");
  await nc2.close();
  t.teardown(() => first.stop().catch(() => undefined));

  await nextOwnerSends(t, f, "o-4");
});

/** A relay whose forwards are detached: it answers at once, and the runtime still delivers them. */
const detachedRelay = defineKind({ name: "relay-detached", persistence: "none", machine: relayMachine(true) });

t.test("a detached forward does not hold its decision's answer, and reaches its target once it is served", async (t) => {
  const f = await startTestServers(t);
  const relayHost = new ActorHost(detachedRelay, "d", { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => relayHost.stop());
  await relayHost.incarnate();
  // nobody serves the counter: an attached forward would hold this answer until a region owned its shard
  t.match(await ask(f.nc, detachedRelay.name, "d", { type: "PlaceCount", id: "o-5" }, 2_000), { ok: true, result: { sent: true } });
  const region = new ShardRegion(target, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  await region.own(shardName(0));
  await region.own(shardName(1));
  await eventually(
    "the forward, asked again, reached the counter",
    async () => (await ask(f.nc, target.name, "o-5", { type: "GetCount" })).result?.count === 1,
    { timeoutMs: 10_000 },
  );
});
