import t from "tap";
import { RuntimeError } from "../../actors/contract/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { admin, command, startNodeProcess } from "./testing.ts";

const K = "counter-sh";
const env = (natsUrl: string) => ({
  AM_NATS_URL: natsUrl,
  AM_KINDS: "supervisors/runtime/testing/test-kinds.ts",
  AM_CELLS: "2",
  AM_DEMO_INSTRUMENTS: "0",
});
const ownersOf = async (nc: Parameters<typeof admin>[0]) =>
  Promise.all(
    shardNames(8).map(
      async (id) =>
        ((await admin(nc, "status", { type: "AdminActorRequest", kind: K, id }).catch(() => ({ result: {} }))).result as { node?: string })
          .node,
    ),
  );
/**
 * An entity's count. A not-here refusal (its shard between owners: a region that takes a shard without its last
 * server's release refuses the commands it held, as a cell started again under load does) is asked again, as the
 * contract tells a requester to, for up to 10 s, each refusal noted in `retried`; any other refusal throws with its
 * code and message.
 */
async function count(nc: Parameters<typeof command>[0], id: string, retried: string[] = []): Promise<number> {
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await command(nc, K, id, { type: "GetCount" }, 10_000);
    if (r.ok) return (r.result as { count: number }).count;
    if (r.error?.code !== RuntimeError.NotHere || Date.now() > until)
      throw new Error(`GetCount of ${id} refused: ${r.error?.code} ${r.error?.message}`);
    retried.push(r.error.message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

t.test("the shards of a sharded kind are spread over the nodes, and each entity runs on its shard's owner", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  const b = startNodeProcess(t, "node-b", env(f.infra.natsUrl));
  await Promise.all([a.waitFor(/node up/), b.waitFor(/node up/)]);
  await eventually(
    "both nodes registered",
    async () => ((await admin(f.nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === 2,
  );
  const owners = () => ownersOf(f.nc);
  // the first node up takes every shard; the second takes its share as placement rebalances, then it settles
  let last = "";
  await eventually(
    "the shards spread over both nodes and settled",
    async () => {
      const now = (await owners()).join(",");
      const settled = now === last && !now.split(",").includes("") && new Set(now.split(",")).size === 2;
      last = now;
      return settled;
    },
    { timeoutMs: 20_000 },
  );
  t.equal(new Set(await owners()).size, 2, "shards spread over both nodes");

  const ids = Array.from({ length: 16 }, (_, i) => `sh-${i}`);
  const first = await Promise.all(ids.map((id) => command(f.nc, K, id, { type: "Increment", by: 2 }, 10_000)));
  t.ok(
    first.every((r) => r.ok),
    "every first command is answered by the entity it activated",
  );
  for (const id of ids) await command(f.nc, K, id, { type: "Increment", by: 1 });
  for (const id of ids) t.equal(await count(f.nc, id), 3, `${id} counted each command once`);
});

t.test("when a node leaves, its shards move and their entities come back from their journals", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  const b = startNodeProcess(t, "node-b", env(f.infra.natsUrl));
  await Promise.all([a.waitFor(/node up/), b.waitFor(/node up/)]);
  await eventually(
    "both nodes registered",
    async () => ((await admin(f.nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === 2,
  );
  const ids = Array.from({ length: 16 }, (_, i) => `mv-${i}`);
  await eventually("every shard placed", async () => (await ownersOf(f.nc)).every(Boolean), { timeoutMs: 15_000 });
  t.ok(
    (await Promise.all(ids.map((id) => command(f.nc, K, id, { type: "Increment", by: 1 }, 10_000)))).every((r) => r.ok),
    "every entity answered",
  );
  b.proc.kill("SIGKILL");
  await eventually(
    "node-b gone",
    async () => ((await admin(f.nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === 1,
    { timeoutMs: 10_000 },
  );
  await eventually(
    "every entity answers from node-a",
    async () => (await Promise.all(ids.map((id) => count(f.nc, id).catch(() => 0)))).every((n) => n >= 1),
    { timeoutMs: 20_000 },
  );
  const retried: string[] = [];
  for (const id of ids) t.equal(await count(f.nc, id, retried), 1, `${id} kept its journaled count across the move`);
  if (retried.length) t.comment(`asked again after not-here, once the entities had answered: ${retried.join("; ")}`);
});
