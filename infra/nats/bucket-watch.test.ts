import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nanos } from "@nats-io/transport-node";
import t from "tap";
import { createLogger } from "../telemetry/log.ts";
import { connectAs, eventually, startTestServers } from "../../test/testing.ts";
import { type BucketEntry, BucketWatch, readBucket, WATCH_ORPHAN_AFTER_MS } from "./bucket-watch.ts";
import { ownedConsumerPrefix } from "./consumer-room.ts";
import { buckets } from "./resources.ts";

t.setTimeout(120_000);
const quiet = createLogger({ level: "error" });

t.test("a watch names its consumer after its owner, expires it soon when orphaned, and deletes it at stop", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  // parameters and limits are written by the nodes (an operator's go through am.admin.configure)
  const kv = await new Kvm(nc).open(buckets.config);
  await kv.put("params.a", "1");
  const seen: BucketEntry[] = [];
  const watch = new BucketWatch(nc, { bucket: buckets.config, filter: "params.>", owner: "n1", log: quiet, onEntry: (e) => seen.push(e) });
  await watch.start();
  t.same(
    seen.map((e) => [e.key, new TextDecoder().decode(e.value), e.initial]),
    [["params.a", "1", true]],
    "the current value before start resolves",
  );
  const consumers = [];
  for await (const c of jsm.consumers.list(`KV_${buckets.config}`)) consumers.push(c);
  t.equal(consumers.length, 1);
  t.ok(consumers[0]!.name.startsWith(ownedConsumerPrefix("n1")), "named after its owner");
  t.equal(consumers[0]!.config.inactive_threshold, nanos(WATCH_ORPHAN_AFTER_MS), "orphaned, it goes in 30 s, not 5 minutes");

  await kv.put("params.a", "2");
  await kv.delete("params.a");
  await eventually("the change and the delete", () => (seen.length === 3 ? true : undefined));
  t.same(
    seen.slice(1).map((e) => [e.operation, e.initial]),
    [
      ["PUT", false],
      ["DEL", false],
    ],
  );

  await watch.stop();
  t.equal((await jsm.streams.info(`KV_${buckets.config}`)).state.consumer_count, 0, "stop deletes the consumer");
});

t.test("a watch whose consumer is deleted opens again from the last revision it applied", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  // parameters and limits are written by the nodes (an operator's go through am.admin.configure)
  const kv = await new Kvm(nc).open(buckets.config);
  await kv.put("params.a", "1");
  const values: string[] = [];
  const watch = new BucketWatch(nc, {
    bucket: buckets.config,
    owner: "n1",
    log: quiet,
    onEntry: (e) => values.push(`${e.key}=${new TextDecoder().decode(e.value)}`),
  });
  await watch.start();
  t.teardown(() => watch.stop());
  for await (const c of jsm.consumers.list(`KV_${buckets.config}`)) await jsm.consumers.delete(`KV_${buckets.config}`, c.name);
  await kv.put("params.b", "2");
  await eventually("the change made after the consumer was deleted", () => (values.includes("params.b=2") ? true : undefined), {
    timeoutMs: 30_000,
  });
  t.same(values, ["params.a=1", "params.b=2"], "nothing skipped, nothing read twice");
  t.equal((await jsm.streams.info(`KV_${buckets.config}`)).state.consumer_count, 1, "one consumer again");
});

t.test("reading a bucket once leaves no consumer", async (t) => {
  const { nc, infra } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  // parameters and limits are written by the nodes; an operator's connection reads them
  const written = await new Kvm(nc).open(buckets.config);
  await written.put("params.a", "1");
  await written.put("limits.b", "2");
  const kv = await new Kvm(await connectAs(t, infra, "operator")).open(buckets.config);
  const entries = await readBucket(kv, { bucket: buckets.config, filter: "params.>", owner: "admin", log: quiet });
  t.same(
    entries.map((e) => e.key),
    ["params.a"],
  );
  t.equal((await jsm.streams.info(`KV_${buckets.config}`)).state.consumer_count, 0);
});
