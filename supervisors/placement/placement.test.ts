import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { eventually, restartNatsServer } from "../../test/testing.ts";
import { startTestInfra } from "../../infra/local/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { buckets, connectNats, declareResources, decodePayload, encodePayload, kvKey } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { type ActorRef, NODE_SILENT_MS, Placement } from "./placement.ts";
import { ownerOf } from "./rendezvous.ts";

t.setTimeout(120_000);
/** a reconnect waits for the client's backoff */
const SLOW = { timeoutMs: 20_000, everyMs: 250 };

async function platform(t: { teardown(fn: () => unknown): void }) {
  const infra = await startTestInfra();
  t.teardown(() => infra.stop());
  const nc = await connectNats(infra.natsUrl, "placement-test");
  t.teardown(() => nc.close());
  await declareResources(nc, { replicas: 1 });
  const jsm = await jetstreamManager(nc);
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => lines.push(l) });
  const hosted = new Set<string>();
  const released: string[] = [];
  const placement = (node: string, soleServer = false) =>
    new Placement(
      nc,
      node,
      {
        acquire: async (r: ActorRef) => void hosted.add(`${r.kind}/${r.id}`),
        release: async (r: ActorRef, why) => {
          released.push(`${r.kind}/${r.id} ${why}`);
          hosted.delete(`${r.kind}/${r.id}`);
        },
      },
      log,
      undefined,
      soleServer,
    );
  const consumers = async (bucket: string) => (await jsm.streams.info(`KV_${bucket}`)).state.consumer_count;
  /** kill -9 of the server, down for `downMs` (longer than a lease lives), then the same server on its port and store */
  const restartServer = async (downMs: number) => {
    process.kill(infra.pids[0]!, "SIGKILL");
    await sleep(downMs);
    return restartNatsServer(t, infra);
  };
  const leaseHolders = async () => {
    const kv = await new Kvm(nc).open(buckets.leases);
    const holders: string[] = [];
    for await (const k of await kv.keys()) {
      const e = await kv.get(k);
      if (e?.operation === "PUT") holders.push(`${k}=${(decodePayload(e.value) as { node: string }).node}`);
    }
    return holders.sort();
  };
  return { nc, natsUrl: infra.natsUrl, jsm, lines, hosted, released, placement, consumers, restartServer, leaseHolders };
}

t.test("placement keeps one watch per bucket however many ticks run, and removes it at stop", async (t) => {
  const p = await platform(t);
  const placement = p.placement("n1");
  await placement.start();
  for (let i = 0; i < 5; i++) await placement.ensure({ kind: "counter", id: `c${i}` });
  const atStart = { nodes: await p.consumers(buckets.nodes), config: await p.consumers(buckets.config) };
  t.same(atStart, { nodes: 1, config: 1 }, "one consumer on each bucket it reads");
  // a tick every 300 ms: 4 s are more than a dozen ticks, each of which used to list both buckets
  await sleep(4_000);
  t.same(
    { nodes: await p.consumers(buckets.nodes), config: await p.consumers(buckets.config) },
    atStart,
    "no consumer was added by the ticks",
  );
  t.equal(p.hosted.size, 5, "the actors were placed here from the watched view");
  t.same(placement.liveNodes(), ["n1"]);
  await placement.unassign({ kind: "counter", id: "c0" });
  await sleep(1_000);
  t.notOk(p.hosted.has("counter/c0"), "an unassigned actor is released");
  await placement.stop();
  t.same(
    { nodes: await p.consumers(buckets.nodes), config: await p.consumers(buckets.config) },
    { nodes: 0, config: 0 },
    "stop deletes its consumers",
  );
});

t.test("a node sees another node join and leave through its watch", async (t) => {
  const p = await platform(t);
  const a = p.placement("na");
  const b = p.placement("nb");
  await a.start();
  await b.start();
  await sleep(700);
  t.same(a.liveNodes(), ["na", "nb"]);
  await b.stop();
  await sleep(2_000);
  t.same(a.liveNodes(), ["na"], "a stopped node is gone from the view");
  await a.stop();
});

t.test("placement starts when earlier runs left the config bucket at its consumer limit, and says so", async (t) => {
  const p = await platform(t);
  // The bucket again, with room for three consumers, filled by listings whose consumers nobody deleted.
  const stream = `KV_${buckets.config}`;
  const { config } = await p.jsm.streams.info(stream);
  await p.jsm.streams.delete(stream);
  await p.jsm.streams.add({ ...config, max_consumers: 3 });
  const kv = await new Kvm(p.nc).open(buckets.config);
  await kv.put("actors.counter.x", "{}");
  for (let i = 0; i < 3; i++) for await (const _ of await kv.keys()) void _;
  t.equal(await p.consumers(buckets.config), 3, "the bucket is at its limit");
  const placement = p.placement("n1");
  await placement.start();
  t.ok(
    p.lines.some((l) => /consumer limit reached/.test(l) && /KV_am-config/.test(l)),
    "the clean-up is logged with the stream",
  );
  t.equal(await p.consumers(buckets.config), 1, "only the new watch remains");
  await placement.stop();
});

t.test("the sole NATS server down for longer than a lease lives: the actors keep running and take their leases again", async (t) => {
  const p = await platform(t);
  const placement = p.placement("n1", true);
  await placement.start();
  for (let i = 0; i < 3; i++) await placement.ensure({ kind: "counter", id: `c${i}` });
  await eventually("the actors placed", async () => p.hosted.size === 3);
  await p.restartServer(2_500);
  const holders = await eventually(
    "the leases held again",
    async () => {
      const h = await p.leaseHolders().catch(() => []);
      return h.length === 3 ? h : undefined;
    },
    SLOW,
  );
  t.same(holders, ["counter.c0=n1", "counter.c1=n1", "counter.c2=n1"], "this node holds them again");
  await sleep(1_000);
  t.same(p.released, [], "no actor was stopped through the outage");
  t.equal(p.hosted.size, 3);
  await placement.stop();
});

t.test(
  "a NATS server down for longer than a lease lives, where other servers may serve other nodes: the actors stop, then start again",
  async (t) => {
    const p = await platform(t);
    const placement = p.placement("n1");
    await placement.start();
    for (let i = 0; i < 3; i++) await placement.ensure({ kind: "counter", id: `c${i}` });
    await eventually("the actors placed", async () => p.hosted.size === 3);
    await p.restartServer(2_500);
    await eventually("the actors stopped", async () => p.released.length === 3, SLOW);
    t.same(
      p.released.sort(),
      ["counter/c0 lease-lost", "counter/c1 lease-lost", "counter/c2 lease-lost"],
      "each stopped before its lease could expire",
    );
    await eventually("the actors placed again", async () => p.hosted.size === 3, SLOW);
    await placement.stop();
  },
);

t.test(
  "a node whose connection is gone loses its actors once their leases expire; a node paused but connected keeps them until it is silent for NODE_SILENT_MS",
  async (t) => {
    const p = await platform(t);
    const [nodes, leases] = await Promise.all([new Kvm(p.nc).open(buckets.nodes), new Kvm(p.nc).open(buckets.leases)]);
    // Two stand-ins that stopped writing heartbeats and renewing: one whose connection closed (no one answers its
    // probe), one still connected but paused (its probe subject has a subscriber that never answers).
    const paused = await connectNats(p.natsUrl, "paused-node");
    t.teardown(() => paused.close());
    paused.subscribe(subjects.admin("node-alive", "paused"), { callback: () => {} });
    const idOwnedBy = (node: string) => {
      for (let i = 0; ; i++) if (ownerOf(kvKey("counter", `x${i}`), ["na", node]) === node) return `x${i}`;
    };
    const goneRef = { kind: "counter", id: idOwnedBy("gone") };
    const pausedRef = { kind: "counter", id: idOwnedBy("paused") };
    const since = Date.now();
    for (const [node, ref] of [
      ["gone", goneRef],
      ["paused", pausedRef],
    ] as const) {
      await nodes.put(kvKey("node", node), encodePayload({ node, at: Date.now() }));
      await leases.create(kvKey(ref.kind, ref.id), encodePayload({ node }));
    }
    const a = p.placement("na");
    await a.start();
    await a.ensureAll([goneRef, pausedRef]);
    await eventually("the gone node's actor taken", async () => p.hosted.has(`counter/${goneRef.id}`), SLOW);
    const goneAfter = Date.now() - since;
    t.ok(goneAfter < NODE_SILENT_MS, `taken ${goneAfter} ms after its holder's last renewal, with its lease, not its silence`);
    t.notOk(p.hosted.has(`counter/${pausedRef.id}`), "the paused node's actor stays where it is");
    await eventually("the paused node's actor taken once it is silent too long", async () => p.hosted.has(`counter/${pausedRef.id}`), SLOW);
    t.ok(Date.now() - since >= NODE_SILENT_MS, `not before ${NODE_SILENT_MS} ms of silence (${Date.now() - since} ms)`);
    await a.stop();
  },
);

t.test(
  "a renewal stored whose answer was lost keeps the lease (its next renewal is refused for the revision); another node's write ends it",
  async (t) => {
    const p = await platform(t);
    const leases = await new Kvm(p.nc).open(buckets.leases);
    const placement = p.placement("n1");
    await placement.start();
    const [ours, theirs] = [
      { kind: "counter", id: "kept" },
      { kind: "counter", id: "taken" },
    ];
    await placement.ensureAll([ours, theirs]);
    await eventually("the actors placed", async () => p.hosted.size === 2);
    // as a renewal of n1's stored just before its connection dropped: the key moves on, n1's revision does not
    const before = (await leases.get(kvKey("counter", "kept")))!.revision;
    await leases.put(kvKey("counter", "kept"), encodePayload({ node: "n1" }));
    // and another node's write: that lease is no longer n1's
    await leases.put(kvKey("counter", "taken"), encodePayload({ node: "n2" }));
    await eventually("the other node's write ends that lease", async () => p.released.includes("counter/taken lease-lost"), SLOW);
    await eventually(
      "n1 renews its own lease again, on the revision its lost answer would have given",
      async () => {
        const e = await leases.get(kvKey("counter", "kept"));
        return e && e.revision > before + 1 && (decodePayload(e.value) as { node: string }).node === "n1";
      },
      SLOW,
    );
    t.same(p.released, ["counter/taken lease-lost"], "only the lease another node wrote was let go");
    t.ok(p.hosted.has("counter/kept"), "the actor whose renewal was stored keeps running");
    t.ok(
      p.lines.some((l) => l.includes("lease renewal stored without its answer")),
      "and the node says why it kept it",
    );
    await placement.stop();
  },
);
