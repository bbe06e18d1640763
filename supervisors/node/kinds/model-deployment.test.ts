import t from "tap";
import { subjects, systemClock } from "../../../actors/contract/index.ts";
import { type ModelServingReported, modelKind, OnnxInference, readModelFile } from "../../../actors/model/index.ts";
import { ModelRegistry, PredictClient } from "../../../infra/models/index.ts";
import { decodeMessage, encodeMessage } from "../../../infra/nats/codec.ts";
import { connectNats } from "../../../infra/nats/connect.ts";
import { createLogger } from "../../../infra/telemetry/log.ts";
import { ActorTree } from "../../runtime/actor-tree.ts";
import { shardNames } from "../../sharding/shard-of.ts";
import { eventually, startTestServers, type TestServers } from "../../../test/testing.ts";
import { ModelDeployment } from "./model-deployment.ts";

const log = createLogger({ level: "error" });
const NAME = "gbt-return-5f";
const gbt = readModelFile(NAME);
const row = (i: number) => [i * 1e-4, 2e-3, 4e-3, 0.01, 1 + (i % 50) / 100];

/** The registry with v1 (promoted) and v2 (the same file under another version) of the gradient-boosted model. */
async function registry(f: TestServers): Promise<ModelRegistry> {
  const r = await ModelRegistry.open(f.nc);
  await r.register(gbt.card, gbt.bytes, "alice");
  await r.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
  await r.promote(NAME, 1);
  return r;
}

/** A node's model serving as createKinds assembles it: the deployment followed from the registry, the kind, the port. */
async function node(f: TestServers, id: string) {
  const nc = await connectNats(f.infra.natsUrl, id);
  const tell = (name: string, m: { type: string; [k: string]: unknown }) => {
    const { data, headers } = encodeMessage(m);
    nc.publish(subjects.cmd("model", name), data, { headers });
  };
  const inference = new OnnxInference({
    modelOf: (n, v) => deployment.modelOf(n, v),
    deliver: tell,
    provider: "cpu",
    intraOpThreads: 1,
    log,
  });
  const deployment = await ModelDeployment.follow(nc, { owner: id, log, serves: (n) => inference.serves(n), tell });
  const kind = modelKind({
    modelOf: (n) => deployment.modelOf(n),
    known: () => deployment.names(),
    challengeOf: (n) => deployment.challengeOf(n),
    batching: { maxBatch: 32, maxWaitMs: 1, timeoutMs: 5_000, loadTimeoutMs: 60_000 },
    port: inference,
  });
  const tree = new ActorTree([kind], { nc, store: f.store, clock: systemClock, log, onLifecycle: () => {} });
  await tree.start();
  for (const shard of shardNames(kind.sharding?.shards ?? 0)) await tree.spawn("model", shard);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await tree.stop();
    await deployment.stop();
    await inference.close();
    await nc.close();
  };
  return { deployment, stop };
}

t.test("a node follows a promotion made from another connection: every request answered, then by the new version", async (t) => {
  const f = await startTestServers(t);
  await registry(f);
  const served = await node(f, "node-a");
  t.teardown(served.stop);
  const client = new PredictClient(f.nc);
  t.teardown(() => client.close());
  t.equal((await client.predict(NAME, { row: row(0) }, 120_000)).version, 1, "v1 serves");

  const seen: { ok: boolean; version: number; error?: string }[] = [];
  let stop = false;
  const callers = Array.from({ length: 16 }, async (_, c) => {
    for (let k = 0; !stop; k++) {
      const p = await client.predict(NAME, { row: row(c * 1000 + k) }, 30_000);
      seen.push({ ok: p.ok, version: p.version, ...(p.error ? { error: p.error.message } : {}) });
    }
  });
  await eventually("a steady stream on v1", () => seen.length > 300, { timeoutMs: 60_000 });
  // the operator's promotion, from a connection of its own (as scripts/admin.ts or the gateway makes it)
  const operator = await connectNats(f.infra.natsUrl, "operator");
  t.teardown(() => operator.close());
  await (await ModelRegistry.open(operator)).promote(NAME, 2);
  await eventually("answers from v2", () => seen.filter((s) => s.version === 2).length > 300, { timeoutMs: 60_000 });
  stop = true;
  await Promise.all(callers);

  t.same(
    seen.filter((s) => !s.ok),
    [],
    "no request failed",
  );
  const firstV2 = seen.findIndex((s) => s.version === 2);
  t.ok(firstV2 > 0, "v1 answered until the swap");
  t.equal(
    seen.slice(firstV2 + 64).filter((s) => s.version === 1).length,
    0,
    "after the swap only v2 answers (bar the batches in flight at it)",
  );
  t.equal(served.deployment.modelOf(NAME)?.card.version, 2, "the node deploys v2 now");
});

t.test("a challenge set in the registry reaches the running actor, and a restarted node serves the same challenge", async (t) => {
  const f = await startTestServers(t);
  const r = await registry(f);
  const reports: ModelServingReported[] = [];
  const sub = f.nc.subscribe(subjects.sys("model-stats", NAME), {
    callback: (_e, m) => void reports.push(decodeMessage(m.data, m.headers, true).message as unknown as ModelServingReported),
  });
  t.teardown(() => sub.unsubscribe());
  const client = new PredictClient(f.nc);
  t.teardown(() => client.close());
  const failed: unknown[] = [];
  const burst = async (n: number) => {
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => client.predict(NAME, { row: row(i) }, 60_000)));
    failed.push(...answers.filter((a) => !a.ok));
    return answers;
  };
  const reported = (what: string, ok: (r: ModelServingReported) => boolean) =>
    eventually(
      what,
      async () => {
        await burst(20);
        return reports.findLast(ok);
      },
      { timeoutMs: 60_000 },
    );

  const first = await node(f, "node-a");
  t.teardown(first.stop);
  await burst(1);
  await r.startChallenge(NAME, 2, "shadow", undefined, "carol");
  const shadow = await reported("the shadow compared", (x) => x.challenger?.mode === "shadow" && x.challenger.compared > 0);
  t.match(shadow.challenger, { version: 2, mode: "shadow", meanAbsDiff: 0, signAgreement: 1 });
  t.ok(shadow.challenger?.championRunUs !== undefined && shadow.challenger.challengerRunUs !== undefined, "each side's run time");

  await r.startChallenge(NAME, 2, "canary", 0.25, "carol");
  await reported("the canary serving", (x) => x.challenger?.mode === "canary" && (x.challenger.canaryServed ?? 0) > 0);
  await first.stop();

  // a restarted node: the actor starts with the registry's challenge
  reports.length = 0;
  const second = await node(f, "node-b");
  t.teardown(second.stop);
  const canary = await reported(
    "the restarted node's canary",
    (x) => x.challenger?.mode === "canary" && (x.challenger.canaryServed ?? 0) > 0,
  );
  t.match(canary.challenger, { version: 2, mode: "canary", share: 0.25 });
  t.ok(
    (await burst(40)).some((a) => a.version === 2),
    "the canary answers a share again",
  );

  t.match(await r.endChallenge(NAME), { version: 2, mode: "canary", share: 0.25, startedBy: "carol" });
  await eventually(
    "only v1 answers",
    async () => {
      const answers = await burst(40);
      return answers.every((a) => a.version === 1) || undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.same(failed, [], "no request failed, through the challenges and the restart");
});
