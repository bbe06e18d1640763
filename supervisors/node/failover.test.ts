import t from "tap";
import { decodeMessage } from "../../infra/nats/codec.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { admin, command, startNodeProcess } from "./testing.ts";

const K = "counter-es";
const ids = Array.from({ length: 12 }, (_, i) => `acct-${i}`);
const env = (natsUrl: string) => ({ AM_NATS_URL: natsUrl, AM_KINDS: "supervisors/runtime/testing/test-kinds.ts", AM_CELLS: "1" });

async function ownerOf(nc: Parameters<typeof admin>[0], id: string): Promise<string | undefined> {
  const r = await admin(nc, "status", { type: "AdminActorRequest", kind: K, id }, 1_000).catch(() => undefined);
  return (r?.result as { node?: string } | undefined)?.node;
}

t.test("a node killed with SIGKILL: another node takes over its actors with their state, and no acknowledged event is lost", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  const b = startNodeProcess(t, "node-b", env(f.infra.natsUrl));
  await Promise.all([a.waitFor(/node up/), b.waitFor(/node up/)]);
  await eventually(
    "both nodes registered",
    async () => ((await admin(f.nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === 2,
  );
  for (const id of ids) t.equal((await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id })).ok, true);
  const acked = new Map<string, number>();
  for (const id of ids) {
    await eventually(`${id} up`, async () => (await command(f.nc, K, id, { type: "Increment", by: 1 }, 1_000).catch(() => undefined))?.ok, {
      timeoutMs: 20_000,
    });
    acked.set(id, 1);
    for (let i = 0; i < 3; i++) {
      if ((await command(f.nc, K, id, { type: "Increment", by: 1 })).ok) acked.set(id, acked.get(id)! + 1);
    }
  }
  const owners = new Map<string, string | undefined>();
  for (const id of ids) owners.set(id, await ownerOf(f.nc, id));
  const onA = ids.filter((id) => owners.get(id) === "node-a");
  t.ok(onA.length > 0 && onA.length < ids.length, `actors spread over both nodes (${onA.length} on node-a)`);

  const moved: string[] = [];
  const sys = f.nc.subscribe("am.sys.moved.>", {
    callback: (_e, m) => void moved.push(String(decodeMessage(m.data, m.headers, true).message.id)),
  });
  t.teardown(() => sys.unsubscribe());
  a.proc.kill("SIGKILL");
  const killedAt = Date.now();
  for (const id of onA) {
    const count = await eventually(
      `${id} answering on node-b`,
      async () =>
        ((await command(f.nc, K, id, { type: "GetCount" }, 300).catch(() => undefined))?.result as { count: number } | undefined)?.count,
      { timeoutMs: 15_000 },
    );
    t.equal(count, acked.get(id), `${id} has every acknowledged increment`);
  }
  const failoverMs = Date.now() - killedAt;
  t.ok(failoverMs < 10_000, `all of node-a's actors answered on node-b ${failoverMs} ms after the kill`);
  for (const id of onA) t.equal(await ownerOf(f.nc, id), "node-b");
  await eventually("a moved event for each actor of node-a", () => onA.every((id) => moved.includes(id)));
  for (const id of ids) t.equal((await command(f.nc, K, id, { type: "Increment", by: 1 })).ok, true, `${id} takes new commands`);
});

t.test("a node joining takes over part of the actors: state moves with them and there is never a second writer", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  await a.waitFor(/node up/);
  for (const id of ids) await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id });
  for (const id of ids)
    await eventually(`${id} up`, async () => (await command(f.nc, K, id, { type: "Increment", by: 5 }, 1_000).catch(() => undefined))?.ok, {
      timeoutMs: 20_000,
    });
  const b = startNodeProcess(t, "node-b", env(f.infra.natsUrl));
  await b.waitFor(/node up/);
  await eventually(
    "some actors moved to node-b",
    async () => {
      let moved = 0;
      for (const id of ids) if ((await ownerOf(f.nc, id)) === "node-b") moved++;
      return moved > 0;
    },
    { timeoutMs: 15_000 },
  );
  // Every actor keeps its state and answers wherever it now lives; fenced journals forbid a second writer.
  for (const id of ids) {
    const r = await eventually(
      `${id} after rebalance`,
      async () => await command(f.nc, K, id, { type: "Increment", by: 1 }, 1_000).catch(() => undefined),
      { timeoutMs: 15_000 },
    );
    t.equal(r.ok, true);
    const count = ((await command(f.nc, K, id, { type: "GetCount" })).result as { count: number }).count;
    t.equal(count, 6, `${id} has 5 + 1`);
  }
  t.notOk(
    [...a.output, ...b.output].some((l) => /another writer/.test(l)),
    "no append was fenced: ownership moved cleanly",
  );
  b.proc.kill("SIGTERM");
  t.equal(await b.exited, 0, "a node stops cleanly on SIGTERM");
});
