import t from "tap";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { modelKind, OnnxInference, readModelFile } from "../../actors/model/index.ts";
import { ModelRegistry, PredictClient } from "../../infra/models/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../runtime/actor-tree.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { startTestServers } from "../../test/testing.ts";
import { type Role, signToken } from "./auth.ts";
import type { ModelRow } from "./protocol.ts";
import { startConsole } from "./server.ts";
import { ConsoleClient } from "./testing.ts";

const SECRET = "console-test-secret-of-at-least-32-bytes!";
const log = createLogger({ level: "error" });
const gbt = readModelFile("gbt-return-5f");

t.test("the models panel shows registered versions and what a serving model actor reports", async (t) => {
  const f = await startTestServers(t);
  const registry = await ModelRegistry.open(f.nc, { nowUs: () => 7 });
  await registry.register(gbt.card, gbt.bytes, "alice");
  await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
  await registry.promote(gbt.card.name, 1);
  // the model actor, hosted on the real server as a node hosts it
  const onnx = new OnnxInference({
    modelOf: () => gbt,
    deliver: (n, m) => {
      const { data, headers } = encodeMessage(m);
      f.nc.publish(subjects.cmd("model", n), data, { headers });
    },
    provider: "cpu",
    intraOpThreads: 1,
    log,
  });
  const kind = modelKind({
    modelOf: (n) => (n === gbt.card.name ? gbt : undefined),
    known: () => [gbt.card.name],
    batching: { maxBatch: 16, maxWaitMs: 1, timeoutMs: 5_000, loadTimeoutMs: 60_000 },
    port: onnx,
  });
  const tree = new ActorTree([kind], { nc: f.nc, store: f.store, clock: systemClock, log, onLifecycle: () => {} });
  await tree.start();
  for (const shard of shardNames(kind.sharding?.shards ?? 0)) await tree.spawn("model", shard);
  const predictions = new PredictClient(f.nc);
  t.teardown(async () => {
    predictions.close();
    await tree.stop();
    await onnx.close();
  });
  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: SECRET },
    treeIntervalMs: 200,
    healthIntervalMs: 200,
    log,
  });
  t.teardown(() => running.stop());
  const viewer = await ConsoleClient.open(running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));
  t.teardown(() => viewer.close());

  const modelsOf = (fr: Record<string, unknown>) => (fr.type === "models" ? (fr.models as ModelRow[]) : []);
  const registered = await viewer.waitFor((fr) => modelsOf(fr).length > 0, "a models frame with the registry's versions");
  t.match(modelsOf(registered), [
    {
      name: "gbt-return-5f",
      promoted: 1,
      versions: [
        { version: 1, stage: "promoted", registeredBy: "alice", registeredAtUs: 7, ic: gbt.card.validation.ic },
        { version: 2, stage: "registered", registeredBy: "bob" },
      ],
      serving: null,
    },
  ]);
  t.equal(registered.registryError, null);

  const row = [1e-3, 2e-3, 4e-3, 0.01, 1.01];
  const first = await predictions.predict(gbt.card.name, { row }, 60_000);
  t.equal(first.ok, true, JSON.stringify(first.error));
  await Promise.all(Array.from({ length: 40 }, () => predictions.predict(gbt.card.name, { row }, 30_000)));
  const reported = await viewer.waitFor(
    (fr) => modelsOf(fr)[0]?.serving !== null && modelsOf(fr)[0]?.serving !== undefined,
    "a models frame with the actor's report",
  );
  const serving = modelsOf(reported)[0]!.serving!;
  t.match(serving, { version: 1, provider: "cpu", failures: 0, queued: 0 });
  t.ok(
    serving.served >= 1 && serving.window === Math.min(serving.served, 512),
    `each answered request counted once (${serving.served} served, ${serving.window} in the window)`,
  );
  t.ok(serving.latencyP50Us! > 0 && serving.latencyP99Us! >= serving.latencyP50Us!, "latency quantiles in order");
  t.ok(serving.meanBatch! >= 1, `mean batch ${serving.meanBatch}`);
  t.ok(Math.abs(serving.reportedAt - Date.now()) < 60_000, "stamped when it came");
});

t.test("admins start and end a model's challenge from the console; the panel shows it with its figures", async (t) => {
  const f = await startTestServers(t);
  const registry = await ModelRegistry.open(f.nc, { nowUs: () => 7 });
  await registry.register(gbt.card, gbt.bytes, "alice");
  await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
  await registry.promote(gbt.card.name, 1);
  const running = await startConsole({ nc: f.nc, port: 0, auth: { secret: SECRET }, treeIntervalMs: 200, healthIntervalMs: 200, log });
  t.teardown(() => running.stop());
  const open = async (sub: string, role: Role) => {
    const c = await ConsoleClient.open(running.url, await signToken({ sub, role }, SECRET));
    t.teardown(() => c.close());
    await c.waitFor((fr) => fr.type === "welcome", `${sub} signed in`);
    return c;
  };
  const admin = await open("ada", "admin");
  const operator = await open("olga", "operator");
  const modelsOf = (fr: Record<string, unknown>) => (fr.type === "models" ? (fr.models as ModelRow[]) : []);
  const start = { op: "startChallenge", model: gbt.card.name, version: 2, mode: "canary", share: 0.25 };

  t.match(await operator.request(start), { type: "result", ok: false, error: { code: "forbidden", message: /needs role admin/ } });
  t.match(await admin.request({ ...start, share: 1 }), {
    ok: false,
    error: { code: "refused", message: /^share: a canary needs share in \(0, 1\)/ },
  });
  t.match(await admin.request({ ...start, version: 1 }), { ok: false, error: { message: /^version: .*v1 is the promoted version/ } });
  t.equal(await registry.challenge(gbt.card.name), undefined, "a refused control stores nothing");

  t.match(await admin.request(start), { type: "result", ok: true, what: "canary of gbt-return-5f v2 (share 0.25)" });
  t.match(await registry.challenge(gbt.card.name), { version: 2, mode: "canary", share: 0.25, startedBy: "ada" });
  // what the serving actor reports of its canary (actors/model publishes it once a second)
  const { data, headers } = encodeMessage({
    type: "ModelServingReported",
    model: gbt.card.name,
    version: 1,
    provider: "cpu",
    served: 400,
    batches: 40,
    failures: 0,
    queued: 0,
    window: 400,
    challenger: {
      version: 2,
      mode: "canary",
      share: 0.25,
      canaryServed: 100,
      loaded: true,
      compared: 0,
      championRunUs: 40,
      challengerRunUs: 45,
      failures: 0,
    },
    tsEvent: 1,
    tsInit: 1,
  });
  f.nc.publish(subjects.sys("model-stats", gbt.card.name), data, { headers });
  const shown = await operator.waitFor(
    (fr) => modelsOf(fr)[0]?.challenge !== undefined && modelsOf(fr)[0]?.serving?.challenger !== undefined,
    "a models frame with the challenge and its figures",
  );
  t.match(modelsOf(shown)[0], {
    challenge: { version: 2, mode: "canary", share: 0.25, startedBy: "ada" },
    serving: { challenger: { version: 2, mode: "canary", canaryServed: 100, championRunUs: 40, challengerRunUs: 45 } },
  });

  t.match(await admin.request({ op: "endChallenge", model: gbt.card.name }), { ok: true, what: "end the challenge of gbt-return-5f" });
  t.equal(await registry.challenge(gbt.card.name), undefined);
  t.match(await admin.request({ op: "endChallenge", model: gbt.card.name }), { ok: false, error: { message: /has no challenge/ } });
  await operator.waitFor((fr) => modelsOf(fr).length > 0 && modelsOf(fr)[0]?.challenge === undefined, "the challenge gone from the panel");
});
