import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { defineKind, subjects, systemClock } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { streams } from "../../infra/nats/resources.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { counterKind } from "../runtime/testing/counter-kind.ts";
import { shardName, shardOf } from "./shard-of.ts";
import { ShardRegion } from "./shard-region.ts";

const log = createLogger({ level: "error" });
// a counter that must run while it counts below 100, as an order must while it holds a stop it emulates
const kind = defineKind({
  ...counterKind("event-sourced", "counter-awake"),
  sharding: {
    shards: 4,
    idleMs: 60_000,
    doneIdleMs: 400,
    keepAwake: (c) => {
      const count = (c as { count?: number } | undefined)?.count ?? 0;
      return count > 0 && count < 100;
    },
  },
});

async function ask(nc: NatsConnection, id: string, message: Message) {
  const { data, headers } = encodeMessage(message);
  const reply = await nc.request(subjects.cmd(kind.name, id), data, { headers, timeout: 8_000 });
  return decodeMessage(reply.data, reply.headers, true).message as unknown as { ok: boolean; result?: { count: number } };
}

t.test("an entity that must run is woken by the region taking its shard, with no message, and unlisted when done", async (t) => {
  const f = await startTestServers(t);
  const conns = await Promise.all([0, 1].map((i) => connectNats(f.infra.natsUrl, `awake-${i}`)));
  const [a, b] = conns.map((nc) => new ShardRegion(kind, { nc, store: f.store, clock: systemClock, log }, () => {}, { announceMs: 100 }));
  t.teardown(async () => {
    await Promise.all([a!.stop(), b!.stop()]);
    await Promise.all(conns.map((c) => c.close()));
  });
  const id = "watching-1";
  const shard = shardOf(id, 4);
  const quiet = Array.from({ length: 200 }, (_, i) => `quiet-${i}`).find((x) => shardOf(x, 4) === shard)!;
  const jsm = await jetstreamManager(f.nc);
  const listed = async () =>
    Object.keys((await jsm.streams.info(streams.awake, { subjects_filter: subjects.awakeOf(kind.name, shard) })).state.subjects ?? {});

  await a!.own(shardName(shard));
  t.equal((await ask(f.nc, id, { type: "Increment", by: 5 })).ok, true);
  t.equal((await ask(f.nc, quiet, { type: "GetCount" })).ok, true, "an entity with nothing to watch is active too, but not listed");
  await eventually("the counting entity listed", async () => (await listed()).length === 1);
  t.same(await listed(), [subjects.awake(kind.name, shard, id)]);

  await a!.disown(shardName(shard));
  await b!.own(shardName(shard));
  await eventually("woken by the new owner without a message", () => b!.stats.activated === 1);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(b!.stats.activated, 1, "only the listed entity is woken");
  t.same((await ask(f.nc, id, { type: "GetCount" })).result?.count, 5, "it came back from its journal");

  await ask(f.nc, id, { type: "Increment", by: 95 });
  await eventually("unlisted once it needs no longer run", async () => (await listed()).length === 0);
});
