import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { startTestInfra } from "../../infra/local/index.ts";
import { buckets, connectNats, declareResources } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { type ActorRef, Placement } from "./placement.ts";

t.setTimeout(120_000);

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
  const placement = (node: string) =>
    new Placement(
      nc,
      node,
      {
        acquire: async (r: ActorRef) => void hosted.add(`${r.kind}/${r.id}`),
        release: async (r: ActorRef) => void hosted.delete(`${r.kind}/${r.id}`),
      },
      log,
    );
  const consumers = async (bucket: string) => (await jsm.streams.info(`KV_${bucket}`)).state.consumer_count;
  return { nc, jsm, lines, hosted, placement, consumers };
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
