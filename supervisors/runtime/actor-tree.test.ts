import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { defineKind, subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import type { LifecycleEvent } from "./actor-tree.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { counterKind } from "./testing/counter-kind.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { startTestTree } from "./testing/tree.ts";

async function ask(nc: NatsConnection, id: string, message: Message, kind = "counter-snapshot") {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd(kind, id), data, { headers, timeout: 5_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as {
    ok: boolean;
    result?: { count: number };
    error?: { code: string };
  };
}

t.test("an actor that keeps failing is quarantined while its siblings keep counting, and release brings it back", async (t) => {
  const f = await startTestServers(t);
  const events: LifecycleEvent[] = [];
  const tree = await startTestTree(t, f, [counterKind("snapshot")], { onLifecycle: (e) => events.push(e) });
  await tree.spawn("counter-snapshot", "bad");
  await tree.spawn("counter-snapshot", "good");
  await ask(f.nc, "bad", { type: "Increment", by: 5 });
  // maxRestarts is 3: the fourth failure within the period spends the intensity.
  for (let i = 0; i < 4; i++) {
    t.equal((await ask(f.nc, "bad", { type: "Explode", where: "action" })).error?.code, "actor-failed");
    t.equal((await ask(f.nc, "good", { type: "Increment", by: 1 })).ok, true, "the sibling answers during the failures");
  }
  await eventually("quarantine", () => events.some((e) => e.type === "quarantined" && e.id === "bad"));
  t.equal(events.filter((e) => e.type === "restarted" && e.id === "bad").length, 3);
  t.equal(tree.describe("counter-snapshot", "bad")?.status, "quarantined");
  t.equal((await ask(f.nc, "good", { type: "GetCount" })).result?.count, 4);
  await t.rejects(ask(f.nc, "bad", { type: "GetCount" }), "a quarantined actor does not answer");
  await t.rejects(tree.spawn("counter-snapshot", "bad"), /quarantined/);
  await tree.release("counter-snapshot", "bad");
  t.equal((await ask(f.nc, "bad", { type: "GetCount" })).result?.count, 5, "released with its last committed state");
});

t.test("tell hands a message to an actor hosted in the tree, a sharded entity active here too, and refuses one not here", async (t) => {
  const f = await startTestServers(t);
  const sharded = defineKind({ ...counterKind("event-sourced", "counter-local"), sharding: { shards: 2, idleMs: 60_000 } });
  const tree = await startTestTree(t, f, [counterKind("snapshot"), sharded]);
  await tree.spawn("counter-snapshot", "here");
  for (const shard of shardNames(2)) await tree.spawn("counter-local", shard);

  t.equal(tree.tell("counter-snapshot", "here", { type: "Increment", by: 7 }), true, "a hosted actor takes it");
  await eventually("the hosted actor counted it", async () => (await ask(f.nc, "here", { type: "GetCount" })).result?.count === 7);

  t.equal(tree.tell("counter-local", "e-1", { type: "Increment", by: 1 }), false, "an entity not yet active here is not told");
  await ask(f.nc, "e-1", { type: "Increment", by: 2 }, "counter-local"); // activates it
  t.equal(tree.tell("counter-local", "e-1", { type: "Increment", by: 3 }), true, "an active entity takes it");
  await eventually(
    "the entity counted both",
    async () => (await ask(f.nc, "e-1", { type: "GetCount" }, "counter-local")).result?.count === 5,
  );

  t.equal(tree.tell("counter-snapshot", "elsewhere", { type: "Increment", by: 1 }), false, "an actor not hosted here is not told");
  await tree.stopActor("counter-snapshot", "here");
  t.equal(tree.tell("counter-snapshot", "here", { type: "Increment", by: 1 }), false, "a stopped actor is not told");
});
