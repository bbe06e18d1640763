import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { emit, setup } from "xstate";
import { z } from "zod";
import { defineKind, defineMessage, type Emitted, type Forward, RuntimeError, subjects, systemClock } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, envelopeOf, type Message } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { shardName } from "../sharding/shard-of.ts";
import { ShardRegion } from "../sharding/shard-region.ts";
import { ActorHost } from "./actor-host.ts";
import { type LocalAnswer, requestLocally, serveCommands } from "./local-commands.ts";
import { counterKind } from "./testing/counter-kind.ts";

const log = createLogger({ level: "error" });
defineMessage("RelayCount", 1, z.object({ id: z.string() }), "Test: forward an Increment to a counter entity.");

const counters = defineKind({ ...counterKind("event-sourced", "counter-lc"), sharding: { shards: 2 } });
const single = counterKind("event-sourced", "counter-lc-one");
/** Forwards an Increment to a counter entity and answers once the counter did. */
const relay = defineKind({
  name: "relay-lc",
  persistence: "none",
  machine: setup({ types: {} as { events: { type: "RelayCount"; id: string }; emitted: Emitted } }).createMachine({
    on: {
      RelayCount: {
        actions: [
          emit(
            ({ event }): Forward => ({
              type: "forward",
              key: event.id,
              subject: subjects.cmd(counters.name, event.id),
              message: { type: "Increment", by: 1 },
            }),
          ),
          emit({ type: "reply" as const, ok: true as const }),
        ],
      },
    },
  }),
});

async function ask(nc: NatsConnection, subject: string, message: Message, timeout = 10_000) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subject, data, { headers, timeout });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; result?: { count: number } };
}

/** Every message of `type` that crosses NATS on `subject` (a wildcard), as another connection sees them. */
async function watch(nc: NatsConnection, subject: string, type: string): Promise<Msg[]> {
  const seen: Msg[] = [];
  nc.subscribe(subject, { callback: (_e, m) => void (envelopeOf(m.headers)?.type === type && seen.push(m)) });
  await nc.flush();
  return seen;
}

type Store = Awaited<ReturnType<typeof startTestServers>>["store"];

async function startRelay(t: { teardown(fn: () => unknown): void }, nc: NatsConnection, store: Store) {
  const host = new ActorHost(relay, "r", { nc, store, clock: systemClock, log });
  await host.incarnate();
  t.teardown(() => host.stop());
  return host;
}

t.test("a forward to an entity served on the same connection is handed over in memory, and answered as over NATS", async (t) => {
  const f = await startTestServers(t);
  const observer = await connectNats(f.infra.natsUrl, "observer");
  t.teardown(() => observer.close());
  const crossed = await watch(observer, subjects.cmdAll(counters.name), "Increment");
  const region = new ShardRegion(counters, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  await region.own(shardName(0));
  await region.own(shardName(1));
  await startRelay(t, f.nc, f.store);

  for (const id of ["a", "b", "c"]) t.equal((await ask(f.nc, subjects.cmd(relay.name, "r"), { type: "RelayCount", id })).ok, true);
  for (const id of ["a", "b", "c"])
    t.equal(
      (await ask(f.nc, subjects.cmd(counters.name, id), { type: "GetCount" })).result?.count,
      1,
      `counter ${id} took its increment once`,
    );
  await observer.flush();
  t.equal(crossed.length, 0, "no Increment crossed nats-server");
});

t.test("the same forward from another connection goes through NATS", async (t) => {
  const f = await startTestServers(t);
  const other = await connectNats(f.infra.natsUrl, "other-node");
  t.teardown(() => other.close());
  const crossed = await watch(f.nc, subjects.cmdAll(counters.name), "Increment");
  const region = new ShardRegion(counters, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => region.stop());
  await region.own(shardName(0));
  await region.own(shardName(1));
  await startRelay(t, other, f.store);

  t.equal((await ask(other, subjects.cmd(relay.name, "r"), { type: "RelayCount", id: "x" })).ok, true);
  t.equal((await ask(f.nc, subjects.cmd(counters.name, "x"), { type: "GetCount" })).result?.count, 1);
  t.equal(crossed.length, 1, "the Increment crossed nats-server once");
});

t.test("a forward to an entity whose shard is not served on its connection is asked through NATS, where it is", async (t) => {
  const f = await startTestServers(t);
  const other = await connectNats(f.infra.natsUrl, "other-node");
  t.teardown(() => other.close());
  // a region on the relay's connection that serves no shard, and the owner of both on another node
  const idle = new ShardRegion(counters, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => idle.stop());
  const owner = new ShardRegion(counters, { nc: other, store: f.store, clock: systemClock, log });
  t.teardown(() => owner.stop());
  await owner.own(shardName(0));
  await owner.own(shardName(1));
  await startRelay(t, f.nc, f.store);

  t.equal((await ask(f.nc, subjects.cmd(relay.name, "r"), { type: "RelayCount", id: "y" })).ok, true);
  t.equal((await ask(other, subjects.cmd(counters.name, "y"), { type: "GetCount" })).result?.count, 1, "the owner took it");
});

t.test(
  "a forward to a plain actor on the connection is checked and answered as from NATS, and a stopped one is not handed anything",
  async (t) => {
    const f = await startTestServers(t);
    const host = new ActorHost(single, "s", { nc: f.nc, store: f.store, clock: systemClock, log });
    await host.incarnate();
    t.teardown(() => host.stop());
    const subject = subjects.cmd(single.name, "s");
    const dead = await watch(f.nc, subjects.dlq(single.name, "s"), "DeadLetter");
    /** the answer of a command handed over here, or undefined where nobody here took it */
    const handOver = (to: string, data: Uint8Array, headers: MsgHdrs | undefined): Promise<LocalAnswer | undefined> | undefined => {
      let answered: (a: LocalAnswer | undefined) => void = () => {};
      const answer = new Promise<LocalAnswer | undefined>((resolve) => {
        answered = resolve;
      });
      return requestLocally(f.nc, to, data, headers, 5_000, (a) => answered(a)) ? answer : undefined;
    };
    const reply = async (p: Promise<LocalAnswer | undefined> | undefined) => {
      t.ok(p, "handed over");
      const a = await p!;
      t.ok(a, "answered");
      return decodeMessage(a!.data, a!.headers, true).message as unknown as { ok: boolean; error?: { code: string; message: string } };
    };

    const good = encodeMessage({ type: "Increment", by: 2 });
    t.same(await reply(handOver(subject, good.data, good.headers)), { type: "Reply", ok: true });
    const bad = encodeMessage({ type: "Increment", by: -5 });
    const refused = await reply(handOver(subject, bad.data, bad.headers));
    t.equal(refused.ok, false, "refused by its schema");
    t.equal(refused.error?.code, RuntimeError.Invalid);
    t.match(refused.error?.message, /by/, "naming the field");
    await eventually("the invalid one dead-lettered", () => dead.length === 1);
    t.equal((await ask(f.nc, subject, { type: "GetCount" })).result?.count, 2, "only the valid one counted");

    t.equal(handOver(subjects.cmd(single.name, "elsewhere"), good.data, good.headers), undefined, "an actor not served here");
    t.equal(handOver(subjects.md("quote", { venue: "X", symbol: "Y" }), good.data, good.headers), undefined, "not a command");
    await host.stop();
    t.equal(handOver(subject, good.data, good.headers), undefined, "a stopped actor takes nothing: NATS carries it to its next owner");
  },
);

t.test("a command handed over is answered within the target's turn, or unanswered once when it is late", async (t) => {
  const f = await startTestServers(t);
  const subject = subjects.cmd("slow-target", "x");
  const held: Msg[] = [];
  const stop = serveCommands(f.nc, subject, (m) => {
    held.push(m);
    return true;
  });
  t.teardown(stop);
  const { data, headers } = encodeMessage({ type: "Reply", ok: true });

  const heard: (string | undefined)[] = [];
  t.ok(
    requestLocally(f.nc, subject, data, headers, 5_000, (a) => heard.push(a ? "answer" : "timeout")),
    "taken here",
  );
  held[0]!.respond(data, { headers });
  t.same(heard, ["answer"], "heard as the target answers, not a turn later");
  held[0]!.respond(data, { headers });
  t.same(heard, ["answer"], "a second answer is not heard");

  const late: (string | undefined)[] = [];
  t.ok(requestLocally(f.nc, subject, data, headers, 50, (a) => late.push(a ? "answer" : "timeout")));
  await new Promise((r) => setTimeout(r, 120));
  held[1]!.respond(data, { headers });
  t.same(late, ["timeout"], "unanswered in time: told once, and the late answer is dropped");
});
