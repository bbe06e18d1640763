import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { systemClock, subjects, defineKind } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { Journal } from "../../infra/nats/journal.ts";
import { buckets, streams } from "../../infra/nats/resources.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { counterKind } from "../runtime/testing/counter-kind.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { shardName, shardOf } from "./shard-of.ts";
import { ShardRegion } from "./shard-region.ts";

const log = createLogger({ level: "error" });
const kind = defineKind({ ...counterKind("event-sourced", "counter-sh"), sharding: { shards: 4, idleMs: 300, doneIdleMs: 300 } });

async function ask(nc: NatsConnection, id: string, message: Message, kindName = kind.name) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd(kindName, id), data, { headers, timeout: 5_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; result?: { count: number } };
}

function region(nc: NatsConnection, store: ConstructorParameters<typeof ShardRegion>[1]["store"]) {
  return new ShardRegion(kind, { nc, store, clock: systemClock, log });
}

/** what activation could have written or created: consumers on every stream, and the last revision of every bucket */
async function footprint(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  let consumers = 0;
  const revisions: Record<string, number> = {};
  for await (const s of jsm.streams.list()) consumers += s.state.consumer_count;
  for (const b of Object.values(buckets)) revisions[b] = (await jsm.streams.info(`KV_${b}`)).state.last_seq;
  return { consumers, revisions };
}

t.test(
  "an entity activates on its shard's owner with no KV write and no consumer, and comes back from its journal after passivating",
  async (t) => {
    const f = await startTestServers(t);
    const r = region(f.nc, f.store);
    t.teardown(() => r.stop());
    for (let n = 0; n < 4; n++) await r.own(shardName(n));
    const before = await footprint(f.nc);
    const ids = ["e-1", "e-2", "e-3", "e-4", "e-5"];
    for (const id of ids)
      t.equal((await ask(f.nc, id, { type: "Increment", by: 3 })).ok, true, `${id} answered by the entity its first command activated`);
    const after = await footprint(f.nc);
    t.equal(after.consumers, before.consumers, "no consumer was created");
    t.same(after.revisions, before.revisions, "no KV bucket was written");
    t.equal(r.stats.activated, ids.length);
    await eventually("idle entities passivated", () => ids.every((id) => r.entity(id) === undefined), { timeoutMs: 5_000 });
    t.same(
      (await ask(f.nc, "e-1", { type: "GetCount" })).result,
      { count: 3, fired: 0 },
      "a passivated entity is rebuilt from its journal",
    );
  },
);

t.test("a command that throws on activation is dead-lettered once, whether the entity is new or has history", async (t) => {
  const f = await startTestServers(t);
  const r = region(f.nc, f.store);
  t.teardown(() => r.stop());
  for (let n = 0; n < 4; n++) await r.own(shardName(n));
  const dead: string[] = [];
  const sub = f.nc.subscribe("am.dlq.>", {
    callback: (e, m) => {
      if (!e) dead.push(m.subject);
    },
  });
  t.teardown(() => sub.unsubscribe());
  await f.nc.flush();
  t.equal((await ask(f.nc, "new-one", { type: "Explode", where: "guard" })).ok, false, "a new entity's throw answers a failure");
  t.equal((await ask(f.nc, "old-one", { type: "Increment", by: 3 })).ok, true);
  await eventually("the idle entity passivated", () => (r.entity("old-one") === undefined ? true : undefined), { timeoutMs: 5_000 });
  t.equal((await ask(f.nc, "old-one", { type: "Explode", where: "guard" })).ok, false, "so does one with history");
  await eventually("both throws dead-lettered", () => (dead.length >= 2 ? true : undefined), { timeoutMs: 5_000 });
  await new Promise((res) => setTimeout(res, 200));
  t.same(dead, [subjects.dlq(kind.name, "new-one"), subjects.dlq(kind.name, "old-one")], "each throw dead-lettered once");
  t.same((await ask(f.nc, "old-one", { type: "GetCount" })).result, { count: 3, fired: 0 }, "the entity with history kept it");
});

t.test("a shard's commands reach only its owner; another process ignores them", async (t) => {
  const f = await startTestServers(t);
  const nc2 = await connectNats(f.infra.natsUrl, "second");
  t.teardown(() => nc2.close());
  const a = region(f.nc, f.store);
  const b = region(nc2, f.store);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  await a.own(shardName(0));
  await a.own(shardName(1));
  await b.own(shardName(2));
  await b.own(shardName(3));
  const ids = Array.from({ length: 20 }, (_, i) => `x-${i}`);
  for (const id of ids) {
    // checked right after its command: an idle entity passivates after 300 ms, which a loaded machine can exceed
    await ask(f.nc, id, { type: "Increment", by: 1 });
    const owner = shardOf(id, 4) < 2 ? a : b;
    const other = owner === a ? b : a;
    t.ok(owner.entity(id) && !other.entity(id), `${id} is active only on the owner of ${shardName(shardOf(id, 4))}`);
  }
});

t.test("two owners of one shard cannot both append: the journal's fence stops the one behind", async (t) => {
  const f = await startTestServers(t);
  const nc2 = await connectNats(f.infra.natsUrl, "second");
  t.teardown(() => nc2.close());
  const a = region(f.nc, f.store);
  const b = region(nc2, f.store);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const id = "twice";
  const shard = shardName(shardOf(id, 4));
  await a.own(shard);
  t.equal((await ask(f.nc, id, { type: "Increment", by: 1 })).ok, true);
  // a handover overlap: b serves the same shard; both activate the entity and both get every command
  await b.own(shard);
  for (let i = 0; i < 5; i++) await ask(f.nc, id, { type: "Increment", by: 1 }).catch(() => undefined);
  const jsm = await jetstreamManager(f.nc);
  const totals: number[] = [];
  const it = await jsm.direct.getBatch(streams.events, { seq: 1, next_by_subj: subjects.evtOf(kind.name, id), batch: 100 });
  for await (const m of it) totals.push((decodeMessage(m.data, m.header, false).message as unknown as { total: number }).total);
  t.same(
    totals,
    totals.map((_, i) => i + 1),
    `every journaled total follows the one before (no two writers interleaved): ${totals.join(",")}`,
  );
  t.ok(totals.length >= 6, "every command was journaled by at least one owner");
  // the losing owner's append is answered after the winner's reply, and its entity may passivate once stopped:
  // the region counts the failed incarnation either way
  const failures = await eventually("an owner fenced", () => a.stats.failed + b.stats.failed, { timeoutMs: 5_000 }).catch(() => 0);
  t.ok(failures > 0, `an owner behind the journal was fenced (${failures} failed incarnations)`);
});

t.test("a message on a routed subject activates the entity it names, on its shard's owner only", async (t) => {
  const f = await startTestServers(t);
  const routed = defineKind({
    ...kind,
    sharding: { shards: 4, routes: { subjects: [subjects.evtAll("counted")], entityOf: (s) => s.split(".")[3] } },
  });
  const a = new ShardRegion(routed, { nc: f.nc, store: f.store, clock: systemClock, log });
  t.teardown(() => a.stop());
  const id = "r-1";
  await a.own(shardName(shardOf(id, 4)));
  const { data, headers } = encodeMessage({ type: "Increment", by: 2 });
  f.nc.publish(subjects.evt("counted", id, "Increment"), data, { headers });
  await eventually("the routed message activated its entity", () => a.entity(id), { timeoutMs: 5_000 });
  await eventually("and was handled", async () => ((await ask(f.nc, id, { type: "GetCount" })).result?.count === 2 ? true : undefined), {
    timeoutMs: 5_000,
  });
  const other = ["r-2", "r-3", "r-4", "r-5", "r-6"].find((x) => shardOf(x, 4) !== shardOf(id, 4))!;
  f.nc.publish(subjects.evt("counted", other, "Increment"), data, { headers });
  await f.nc.flush();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(a.entity(other), undefined, "an entity of a shard served elsewhere is not activated here");
});

t.test(
  "an entity whose first command creates it activates without reading its journal; one that had history decides again on it",
  async (t) => {
    const f = await startTestServers(t);
    const creating = defineKind({
      ...counterKind("event-sourced", "counter-new"),
      sharding: { shards: 4, idleMs: 300, doneIdleMs: 300, createdBy: ["Increment"] },
    });
    const name = creating.name;
    const r = new ShardRegion(creating, { nc: f.nc, store: f.store, clock: systemClock, log });
    t.teardown(() => r.stop());
    for (let n = 0; n < 4; n++) await r.own(shardName(n));
    // the gets of an entity's last event this process sends (replay's direct gets and appends are other subjects)
    let gets = 0;
    const publish = f.nc.publish.bind(f.nc);
    f.nc.publish = (subject, ...rest) => {
      if (subject === `$JS.API.STREAM.MSG.GET.${streams.events}`) gets++;
      publish(subject, ...rest);
    };
    const getsSinceLast = () => {
      const made = gets;
      gets = 0;
      return made;
    };

    t.equal((await ask(f.nc, "n-1", { type: "Increment", by: 3 }, name)).ok, true, "a new entity's first command is answered");
    t.equal(getsSinceLast(), 0, "with no get of its journal's last event");
    await eventually("the entity passivated", () => (r.entity("n-1") === undefined ? true : undefined), { timeoutMs: 5_000 });

    // taken to be new again: its first append is refused, and both commands are decided again on its history
    const [added, count] = await Promise.all([
      ask(f.nc, "n-1", { type: "Increment", by: 4 }, name),
      ask(f.nc, "n-1", { type: "GetCount" }, name),
    ]);
    t.equal(added.ok, true, "the command that found history is answered");
    t.same(count.result, { count: 7, fired: 0 }, "the query queued behind it answers the count its journal holds, not a new one's");
    t.equal(getsSinceLast(), 1, "its journal was read: one get");
    const totals: unknown[] = [];
    for await (const e of new Journal(f.nc, subjects.evtOf(name, "n-1"), () => "", "").read()) totals.push(e.event.total);
    t.same(totals, [3, 7], "its journal holds each increment once, the second on the first");
    t.equal(r.stats.failed, 0, "found history is not a failure");

    getsSinceLast();
    t.same((await ask(f.nc, "n-2", { type: "GetCount" }, name)).result, { count: 0, fired: 0 }, "a new entity answers a query");
    t.equal(getsSinceLast(), 1, "after a get: a query does not create the entity, so its journal is read first");
  },
);
