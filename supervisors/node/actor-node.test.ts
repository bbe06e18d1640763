import { Kvm, KvWatchInclude } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { buckets, decodePayload, kvKey } from "../../infra/nats/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { bucketOf } from "../placement/rendezvous.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { admin, command, startTestNode } from "./testing.ts";

const K = "counter-snapshot";

t.test(
  "a hung handler ends only its cell: its siblings answer again at once, and the culprit is quarantined once its intensity is spent",
  async (t) => {
    const f = await startTestServers(t);
    const node = await startTestNode(t, f, { node: "n1", cells: 2, hangBudgetMs: 800, logLevel: "warn" });
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for (const id of ids) await node.ensure({ kind: K, id });
    await eventually("all placed", () => ids.every((id) => node.hosts({ kind: K, id })));
    const cellOf = (id: string) => bucketOf(`${K}/${id}`, 2);
    const culprit = "a";
    const sibling = ids.find((id) => id !== culprit && cellOf(id) === cellOf(culprit))!;
    const other = ids.find((id) => cellOf(id) !== cellOf(culprit))!;
    for (const id of [sibling, other])
      await eventually(`${id} up`, async () => (await command(f.nc, K, id, { type: "Increment", by: 10 }).catch(() => undefined))?.ok);
    await new Promise((r) => setTimeout(r, 200)); // let the snapshots reach KV
    const events: string[] = [];
    const sys = f.nc.subscribe(subjects.sysAll(), {
      callback: (_e, m) => {
        const msg = decodeMessage(m.data, m.headers, true).message;
        if (msg.id === culprit) events.push(String(msg.event));
      },
    });
    t.teardown(() => sys.unsubscribe());

    const hang = () => {
      const { data, headers } = encodeMessage({ type: "Hang" });
      f.nc.publish(subjects.cmd(K, culprit), data, { headers });
    };
    for (let round = 1; round <= 4; round++) {
      await eventually(
        `culprit back (round ${round})`,
        async () => (await command(f.nc, K, culprit, { type: "GetCount" }, 500).catch(() => undefined))?.ok,
        { timeoutMs: 45_000 },
      );
      hang();
      await eventually(`hang ${round} detected`, () => events.filter((e) => e === "failed").length >= round, { timeoutMs: 30_000 });
      t.equal((await command(f.nc, K, other, { type: "GetCount" })).ok, true, "an actor of the other cell never stopped answering");
      const back = await eventually(
        "sibling restarted",
        async () =>
          (await command(f.nc, K, sibling, { type: "GetCount" }, 500).catch(() => undefined))?.result as { count: number } | undefined,
        { timeoutMs: 45_000 },
      );
      t.equal(back.count, 10, "the sibling comes back with its state");
    }
    await eventually("quarantined", () => events.includes("quarantined"), { timeoutMs: 15_000 });
    const status = await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: culprit });
    t.match(status.result, { status: "quarantined", reason: /hung/ });
    await t.rejects(command(f.nc, K, culprit, { type: "GetCount" }, 500), "a quarantined actor does not answer");
    t.equal((await admin(f.nc, "release", { type: "AdminActorRequest", kind: K, id: culprit })).ok, true);
    await eventually(
      "released actor answers",
      async () => (await command(f.nc, K, culprit, { type: "GetCount" }, 500).catch(() => undefined))?.ok,
    );
    t.ok(events.includes("released"));
  },
);

t.test("an actor that runs its cell over the heap budget ends only that cell, named in the failure", async (t) => {
  const f = await startTestServers(t);
  const node = await startTestNode(t, f, { node: "n3", cells: 2, cellHeapMb: 64, logLevel: "error" });
  const ids = ["a", "b", "c", "d", "e", "f"];
  for (const id of ids) await node.ensure({ kind: K, id });
  await eventually("all placed", () => ids.every((id) => node.hosts({ kind: K, id })));
  const cellOf = (id: string) => bucketOf(`${K}/${id}`, 2);
  const culprit = "a";
  const other = ids.find((id) => cellOf(id) !== cellOf(culprit))!;
  for (const id of [culprit, other])
    await eventually(`${id} up`, async () => (await command(f.nc, K, id, { type: "GetCount" }, 500).catch(() => undefined))?.ok);
  const failures: string[] = [];
  const sys = f.nc.subscribe(subjects.sysAll(), {
    callback: (_e, m) => {
      const msg = decodeMessage(m.data, m.headers, true).message;
      if (msg.id === culprit && msg.event === "failed") failures.push(String(msg.reason));
    },
  });
  t.teardown(() => sys.unsubscribe());
  const { data, headers } = encodeMessage({ type: "Hoard" });
  f.nc.publish(subjects.cmd(K, culprit), data, { headers });
  await eventually("the cell's end reported", () => failures.length > 0, { timeoutMs: 30_000 });
  t.match(failures[0], /cell \d went over its heap budget of 64 MB \(AM_CELL_HEAP_MB\) in counter-snapshot\/a/);
  t.equal((await command(f.nc, K, other, { type: "GetCount" })).ok, true, "an actor of the other cell never stopped answering");
  await eventually(
    "the culprit's cell restarted",
    async () => (await command(f.nc, K, culprit, { type: "GetCount" }, 500).catch(() => undefined))?.ok,
    { timeoutMs: 45_000 },
  );
});

t.test("an actor whose start outlives the spawn timeout keeps its lease and runs once it has started", async (t) => {
  const f = await startTestServers(t);
  // every start is slower than no time at all: each one times out, and the cell finishes it afterwards
  const node = await startTestNode(t, f, { node: "n3", cells: 1, spawnTimeoutMs: 0, logLevel: "error" });
  await node.ensure({ kind: K, id: "slow" });
  await eventually(
    "slow answers",
    async () => (await command(f.nc, K, "slow", { type: "Increment", by: 2 }, 500).catch(() => undefined))?.ok,
  );
  const leases = await new Kvm(f.nc).open(buckets.leases);
  const key = kvKey(K, "slow");
  const held = await leases.get(key);
  t.equal(held?.operation, "PUT", "the lease is held");
  if (held?.operation === "PUT") t.match(decodePayload(held.value), { node: "n3" }, "by the node");
  // over two lease lifetimes the lease is only renewed: never given back (and taken again) after a timed-out start
  const ops: string[] = [];
  const watch = await leases.watch({ key, include: KvWatchInclude.UpdatesOnly });
  const watching = (async () => {
    for await (const e of watch) ops.push(e.operation === "PUT" ? String((decodePayload(e.value) as { node: string }).node) : e.operation);
  })();
  await new Promise((r) => setTimeout(r, 3_000));
  watch.stop();
  await watching;
  t.ok(ops.length >= 2, `renewed (${ops.length} writes)`);
  t.same([...new Set(ops)], ["n3"], "every write of the lease is n3's renewal");
  t.ok(node.hosts({ kind: K, id: "slow" }));
  t.same((await command(f.nc, K, "slow", { type: "GetCount" })).result, { count: 2, fired: 0 });
});

t.test("the admin API shows the tree, restarts, quarantines and releases an actor", async (t) => {
  const f = await startTestServers(t);
  const _node = await startTestNode(t, f, { node: "n2", cells: 1, hangBudgetMs: 1000, logLevel: "error" });
  const spawned = await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: K, id: "x" });
  t.equal(spawned.ok, true);
  await eventually("x up", async () => (await command(f.nc, K, "x", { type: "Increment", by: 3 }, 500).catch(() => undefined))?.ok);
  const bad = await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: "no-such-kind", id: "x" });
  t.match(bad.error?.message, /unknown actor kind no-such-kind/);
  const invalid = await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: "Bad Kind", id: "x" });
  t.equal(invalid.ok, false, "a malformed admin request is refused");
  const tree = (await admin(f.nc, "tree", { type: "AdminTreeRequest" })).result as {
    node: string;
    cells: { kinds: { kind: string; actors: { id: string; state: string }[] }[] }[];
  };
  t.equal(tree.node, "n2");
  t.ok(tree.cells[0]!.kinds.find((k) => k.kind === K)?.actors.some((a) => a.id === "x" && a.state === "counting"));
  t.equal((await admin(f.nc, "restart", { type: "AdminActorRequest", kind: K, id: "x" })).ok, true);
  t.same((await command(f.nc, K, "x", { type: "GetCount" })).result, { count: 3, fired: 0 }, "restart keeps persisted state");
  t.match(
    (await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "x" })).result,
    { restarts: 1 },
    "an operator's restart is counted",
  );
  t.equal((await admin(f.nc, "quarantine", { type: "AdminQuarantineRequest", kind: K, id: "x", reason: "operator says so" })).ok, true);
  t.match((await admin(f.nc, "status", { type: "AdminActorRequest", kind: K, id: "x" })).result, {
    status: "quarantined",
    reason: "operator says so",
  });
  t.equal((await admin(f.nc, "release", { type: "AdminActorRequest", kind: K, id: "x" })).ok, true);
  await eventually("x back", async () => (await command(f.nc, K, "x", { type: "GetCount" }, 500).catch(() => undefined))?.ok);
  const info = await f.nc.request("$SRV.INFO.alphamind-admin", new Uint8Array(), { timeout: 2000 });
  t.match(JSON.parse(new TextDecoder().decode(info.data)), { name: "alphamind-admin", id: "n2" }, "discoverable as a NATS service");
  const stats = JSON.parse(
    new TextDecoder().decode((await f.nc.request("$SRV.STATS.alphamind-admin", new Uint8Array(), { timeout: 2000 })).data),
  ) as {
    endpoints: {
      name: string;
      num_requests: number;
      num_errors: number;
      last_error: string;
      processing_time: number;
      average_processing_time: number;
    }[];
  };
  const of = (name: string) => stats.endpoints.find((e) => e.name === name);
  t.match(of("spawn"), { num_requests: 3, num_errors: 2, last_error: /Bad Kind|kind/ }, "spawn counts its three requests and two refusals");
  t.ok((of("spawn")?.processing_time ?? 0) > 0 && (of("spawn")?.average_processing_time ?? 0) > 0, "spawn's processing time is measured");
  t.match(of("status"), { num_requests: 2, num_errors: 0 }, "status counts the requests this node answered");
  t.ok((of("status")?.average_processing_time ?? 0) > 0, "status's processing time is measured");
});
