import t from "tap";
import { decodeMessage } from "../../infra/nats/codec.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { admin, command, startNodeProcess } from "./testing.ts";

const K = "counter-od";
const env = (natsUrl: string) => ({ AM_NATS_URL: natsUrl, AM_KINDS: "supervisors/runtime/testing/test-kinds.ts", AM_CELLS: "1", AM_DEMO_INSTRUMENTS: "0" });

t.test("the first command to a new id is answered by the actor it creates, and two nodes create it once", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  const b = startNodeProcess(t, "node-b", env(f.infra.natsUrl));
  await Promise.all([a.waitFor(/node up/), b.waitFor(/node up/)]);
  await eventually("both nodes registered", async () => ((await admin(f.nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === 2);
  const started: string[] = [];
  const sub = f.nc.subscribe("am.sys.started.*", {
    callback: (_e, m) => {
      const e = decodeMessage(m.data, m.headers, false).message as { kind?: string; id?: string };
      if (e.kind === K) started.push(String(e.id));
    },
  });
  t.teardown(() => sub.unsubscribe());

  const ids = Array.from({ length: 8 }, (_, i) => `od-${i}`);
  // The first message is a request: its reply comes from the new actor, through the forwarded reply subject.
  const first = await Promise.all(ids.map((id) => command(f.nc, K, id, { type: "Increment", by: 2 }, 15_000)));
  t.ok(first.every((r) => r.ok), "every first command answered ok");
  for (const id of ids) t.same((await command(f.nc, K, id, { type: "GetCount" })).result, { count: 2, fired: 0 }, `${id} counted its first command once`);
  // Later commands go straight to the actor (the spawners ignore ids that run).
  for (const id of ids) await command(f.nc, K, id, { type: "Increment", by: 1 });
  for (const id of ids) t.equal(((await command(f.nc, K, id, { type: "GetCount" })).result as { count: number }).count, 3, `${id} counted each command once`);
  t.same([...started].sort(), [...ids].sort(), "each actor started exactly once across both nodes");
  const owners = await Promise.all(ids.map(async (id) => ((await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id })).result as { node: string }).node));
  t.ok(new Set(owners).size === 2, `placement spread them over both nodes (${owners.join(",")})`);
});

t.test("a request that may not create an actor is answered 'not running' for an unknown id, and creates nothing", async (t) => {
  const f = await startTestServers(t);
  const a = startNodeProcess(t, "node-a", env(f.infra.natsUrl));
  await a.waitFor(/node up/);
  const r = await command(f.nc, K, "never", { type: "GetCount" }, 5_000);
  t.equal(r.ok, false);
  t.equal(r.error?.code, "not-running", "the spawner says the actor does not run");
  t.match(r.error?.message, /counter-od never is not running/);
  const later = await command(f.nc, K, "never", { type: "Increment", by: 1 }, 15_000);
  t.ok(later.ok, "the same id is created by a command that may create it");
  t.same((await command(f.nc, K, "never", { type: "GetCount" })).result, { count: 1, fired: 0 }, "the refused query started nothing before it");
});
