import t from "tap";
import { eventually, startTestServers } from "../../test/testing.ts";
import type { ActorNode } from "./actor-node.ts";
import { admin, command, startTestNode } from "./testing.ts";

const K = "counter-es";

t.test(
  "a quarantine holds across the cluster: the node that takes the lease over does not run the actor until an operator releases it",
  async (t) => {
    const f = await startTestServers(t);
    // The owner leaves during the test; each node is stopped once, by the test or at teardown.
    const running = new Map<ActorNode, () => unknown>();
    const start = async (node: string) => {
      let stop: () => unknown = () => {};
      const n = await startTestNode({ teardown: (fn) => (stop = fn) }, f, { node });
      running.set(n, stop);
      return n;
    };
    const leave = async (n: ActorNode) => {
      const stop = running.get(n);
      running.delete(n);
      await stop?.();
    };
    t.teardown(() => Promise.all([...running.keys()].map(leave)));
    const nodes = [await start("q1"), await start("q2")];
    const x = { kind: K, id: "acct-q" };
    await nodes[0]!.ensure(x);
    await eventually("x placed", () => nodes.some((n) => n.hosts(x)));
    await eventually("x up", async () => (await command(f.nc, K, x.id, { type: "Increment", by: 7 }, 500).catch(() => undefined))?.ok);
    const owner = nodes.find((n) => n.hosts(x))!;
    const other = nodes.find((n) => n !== owner)!;

    t.equal((await admin(f.nc, "quarantine", { type: "AdminQuarantineRequest", ...x, reason: "operator: bad fills" })).ok, true);
    await eventually("the other node learns of the quarantine", async () => (await other.describe(x)).status === "quarantined");
    t.match(await other.describe(x), { reason: "operator: bad fills" }, "with its reason");

    await leave(owner);
    await eventually("the other node takes the lease", () => other.hosts(x), { timeoutMs: 20_000 });
    await t.rejects(command(f.nc, K, x.id, { type: "GetCount" }, 500), "the quarantined actor does not run on the node that took it over");
    t.match((await admin(f.nc, "status", { type: "AdminActorRequest", ...x })).result, {
      status: "quarantined",
      reason: "operator: bad fills",
    });

    t.equal((await admin(f.nc, "release", { type: "AdminActorRequest", ...x })).ok, true);
    const back = await eventually(
      "released actor answers",
      async () => (await command(f.nc, K, x.id, { type: "GetCount" }, 500).catch(() => undefined))?.result as { count: number } | undefined,
    );
    t.equal(back.count, 7, "it runs again, with its state, where placement put it");
    t.notMatch(await other.describe(x), { status: "quarantined" });
  },
);

t.test("a release on one node reaches the node that holds the lease of a quarantined actor", async (t) => {
  const f = await startTestServers(t);
  const a = await startTestNode(t, f, { node: "r1" });
  const b = await startTestNode(t, f, { node: "r2" });
  const x = { kind: K, id: "acct-r" };
  await a.ensure(x);
  await eventually("x up", async () => (await command(f.nc, K, x.id, { type: "Increment", by: 1 }, 500).catch(() => undefined))?.ok);
  const owner = a.hosts(x) ? a : b;
  const other = owner === a ? b : a;
  await owner.quarantine(x, "watchdog");
  await eventually("both see it", async () => (await other.describe(x)).status === "quarantined");
  await other.release(x); // the other node runs nothing: its deletion of the record is what the owner acts on
  await eventually(
    "the owner runs it again",
    async () => (await command(f.nc, K, x.id, { type: "GetCount" }, 500).catch(() => undefined))?.ok,
  );
  t.notMatch(await owner.describe(x), { status: "quarantined" });
});
