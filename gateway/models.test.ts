import { status } from "@grpc/grpc-js";
import t from "tap";
import { subjects, systemClock } from "../actors/contract/index.ts";
import { modelKind, OnnxInference, readModelFile } from "../actors/model/index.ts";
import { ModelRegistry, PredictClient } from "../infra/models/index.ts";
import { encodeMessage, SnapshotStore } from "../infra/nats/index.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorTree } from "../supervisors/runtime/actor-tree.ts";
import { shardNames } from "../supervisors/sharding/shard-of.ts";
import { call, failure, startHarness } from "./testing.ts";

const log = createLogger({ level: "error" });
const files = { "gbt-return-5f": readModelFile("gbt-return-5f"), "seq-return-16": readModelFile("seq-return-16") };
type Name = keyof typeof files;
const row = [1e-3, 2e-3, 4e-3, 0.01, 1.01];

interface Card {
  name: string;
  version: number;
  stage: string;
  features: string[];
  metrics: Record<string, number>;
  inputs: { name: string; width: number }[];
}

t.test("the Models service lists, reads, promotes and asks the committed models through their actors", async (t) => {
  const h = await startHarness(t);
  // the committed models in the registry, and a v2 of the gradient-boosted one (its file under another version)
  const registry = await ModelRegistry.open(h.nc, { nowUs: () => 7 });
  for (const f of Object.values(files)) {
    await registry.register(f.card, f.bytes, "alice");
    await registry.promote(f.card.name, f.card.version);
  }
  await registry.register({ ...files["gbt-return-5f"].card, version: 2 }, files["gbt-return-5f"].bytes, "bob");
  // the model actors, hosted here on a real NATS server as a node hosts them
  const onnx = new OnnxInference({
    modelOf: (n) => files[n as Name],
    deliver: (n, m) => {
      const { data, headers } = encodeMessage(m);
      h.nc.publish(subjects.cmd("model", n), data, { headers });
    },
    provider: "cpu",
    intraOpThreads: 1,
    log,
  });
  const kind = modelKind({
    modelOf: (n) => files[n as Name],
    known: () => Object.keys(files),
    batching: { maxBatch: 32, maxWaitMs: 1, timeoutMs: 5_000, loadTimeoutMs: 60_000 },
    port: onnx,
  });
  const tree = new ActorTree([kind], { nc: h.nc, store: await SnapshotStore.open(h.nc), clock: systemClock, log, onLifecycle: () => {} });
  await tree.start();
  for (const shard of shardNames(kind.sharding?.shards ?? 0)) await tree.spawn("model", shard);
  const direct = new PredictClient(h.nc);
  t.teardown(async () => {
    direct.close();
    await tree.stop();
    await onnx.close();
  });

  const models = h.client("Models");
  const viewer = h.meta(await h.token("viewer"));
  const trader = h.meta(await h.token("trader", "tom"));
  const operator = h.meta(await h.token("operator", "olga"));
  const admin = h.meta(await h.token("admin", "ada"));

  await t.test("ListModels returns every registered version with its stage", async (t) => {
    const { models: listed } = await call<{ models: Card[] }>(models, "ListModels", {}, viewer);
    t.same(
      listed.map((m) => [m.name, m.version, m.stage]),
      [
        ["gbt-return-5f", 1, "MODEL_STAGE_PROMOTED"],
        ["gbt-return-5f", 2, "MODEL_STAGE_REGISTERED"],
        ["seq-return-16", 1, "MODEL_STAGE_PROMOTED"],
      ],
    );
    const one = await call<{ models: Card[] }>(models, "ListModels", { name: "seq-return-16" }, viewer);
    t.same(
      one.models.map((m) => m.name),
      ["seq-return-16"],
      "filtered by name",
    );
  });

  await t.test("GetModel returns the card: signature, features, metrics and stage", async (t) => {
    const gbt = files["gbt-return-5f"].card;
    const card = await call<Card & Record<string, unknown>>(models, "GetModel", { name: "gbt-return-5f" }, viewer);
    t.match(card, {
      name: "gbt-return-5f",
      version: 1,
      stage: "MODEL_STAGE_PROMOTED",
      sha256: gbt.sha256,
      features: gbt.featureSet.features,
      featureSet: gbt.featureSet.name,
      registeredBy: "alice",
      registeredAtUs: 7,
    });
    t.same(card.inputs, [{ name: gbt.inputs[0]!.name, type: "float32", width: 5 }]);
    t.same(card.metrics, gbt.validation);
    t.equal((await call<Card>(models, "GetModel", { name: "gbt-return-5f", version: 2 }, viewer)).stage, "MODEL_STAGE_REGISTERED");
    const unknown = await failure(call(models, "GetModel", { name: "no-such-model" }, viewer));
    t.equal(unknown.code, status.NOT_FOUND);
    t.match(unknown.details, /name: model no-such-model is not registered/);
    const v9 = await failure(call(models, "GetModel", { name: "gbt-return-5f", version: 9 }, viewer));
    t.equal(v9.code, status.NOT_FOUND);
    t.match(v9.details, /version: model gbt-return-5f has no version 9 \(it has 1, 2\)/);
  });

  await t.test("Predict answers what the model actor answers over NATS for the same features", async (t) => {
    const viaNats = await direct.predict("gbt-return-5f", { row }, 60_000);
    t.equal(viaNats.ok, true, JSON.stringify(viaNats.error));
    const viaGrpc = await call<{ name: string; version: number; values: number[]; batchSize: number }>(
      models,
      "Predict",
      { name: "gbt-return-5f", features: row },
      trader,
      30_000,
    );
    t.same(viaGrpc.values, viaNats.values, "the same forecast");
    t.match(viaGrpc, { name: "gbt-return-5f", version: 1 });
    t.ok(viaGrpc.batchSize >= 1);
    const named = await call<{ values: number[] }>(
      models,
      "Predict",
      { name: "gbt-return-5f", namedFeatures: { volumeRatio: 1.01, range: 0.01, vol20: 4e-3, ret5: 2e-3, ret1: 1e-3 } },
      trader,
    );
    t.same(named.values, viaNats.values, "features by name, in any order");
  });

  await t.test("Predict refuses bad input with the field and the expected size, and unknown models", async (t) => {
    const short = await failure(call(models, "Predict", { name: "gbt-return-5f", features: [1, 2, 3] }, trader));
    t.equal(short.code, status.INVALID_ARGUMENT);
    t.match(short.details, "features: 3 values, model gbt-return-5f v1 takes 5 (ret1, ret5, vol20, range, volumeRatio)");
    const none = await failure(call(models, "Predict", { name: "gbt-return-5f" }, trader));
    t.equal(none.code, status.INVALID_ARGUMENT);
    t.match(none.details, /^features: 0 values/);
    const unknownFeature = await failure(call(models, "Predict", { name: "gbt-return-5f", namedFeatures: { ret2: 1 } }, trader));
    t.equal(unknownFeature.code, status.INVALID_ARGUMENT);
    t.match(unknownFeature.details, /named_features\.ret2: model gbt-return-5f has no such feature/);
    const badName = await failure(call(models, "Predict", { name: "Bad Name", features: row }, trader));
    t.equal(badName.code, status.INVALID_ARGUMENT);
    t.match(badName.details, /^name: lower-case kebab/);
    const unknown = await failure(call(models, "Predict", { name: "no-such-model", features: row }, trader));
    t.equal(unknown.code, status.NOT_FOUND);
    t.match(unknown.details, /model no-such-model is not registered/);
    const denied = await failure(call(models, "Predict", { name: "gbt-return-5f", features: row }, viewer));
    t.equal(denied.code, status.PERMISSION_DENIED);
  });

  await t.test("PromoteModel changes the stage in the registry, for admins only", async (t) => {
    const denied = await failure(call(models, "PromoteModel", { name: "gbt-return-5f", version: 2 }, operator));
    t.equal(denied.code, status.PERMISSION_DENIED);
    t.equal(await registry.promotedVersion("gbt-return-5f"), 1, "a refused call changes nothing");
    const promoted = await call<Card>(models, "PromoteModel", { name: "gbt-return-5f", version: 2 }, admin);
    t.match(promoted, { name: "gbt-return-5f", version: 2, stage: "MODEL_STAGE_PROMOTED" });
    t.equal(await registry.promotedVersion("gbt-return-5f"), 2);
    const { models: listed } = await call<{ models: Card[] }>(models, "ListModels", { name: "gbt-return-5f" }, viewer);
    t.same(
      listed.map((m) => [m.version, m.stage]),
      [
        [1, "MODEL_STAGE_REGISTERED"],
        [2, "MODEL_STAGE_PROMOTED"],
      ],
    );
    const missing = await failure(call(models, "PromoteModel", { name: "gbt-return-5f", version: 9 }, admin));
    t.equal(missing.code, status.NOT_FOUND);
    await registry.retire("gbt-return-5f", 1);
    const retired = await failure(call(models, "PromoteModel", { name: "gbt-return-5f", version: 1 }, admin));
    t.equal(retired.code, status.FAILED_PRECONDITION);
    t.match(retired.details, /v1 is retired/);
    const zero = await failure(call(models, "PromoteModel", { name: "gbt-return-5f", version: 0 }, admin));
    t.equal(zero.code, status.INVALID_ARGUMENT);
    t.match(zero.details, /^version: must be 1 or more/);
  });
  await t.test(
    "StartChallenge, GetChallenge and EndChallenge keep a shadow or canary in the registry; bad ones name the field",
    async (t) => {
      await registry.register({ ...files["gbt-return-5f"].card, version: 3 }, files["gbt-return-5f"].bytes, "bob");
      const start = (req: Record<string, unknown>, who = admin) =>
        call<Record<string, unknown>>(models, "StartChallenge", { name: "gbt-return-5f", ...req }, who);
      const refusals: [Record<string, unknown>, number, RegExp][] = [
        [{ version: 3, mode: "CHALLENGE_MODE_CANARY", share: 1.5 }, status.INVALID_ARGUMENT, /^share: a canary needs share in \(0, 1\)/],
        [{ version: 3, mode: "CHALLENGE_MODE_CANARY" }, status.INVALID_ARGUMENT, /^share: a canary needs share in \(0, 1\).*got 0/],
        [{ version: 3, mode: "CHALLENGE_MODE_SHADOW", share: 0.5 }, status.INVALID_ARGUMENT, /^share: a shadow .* takes no share/],
        [{ version: 9, mode: "CHALLENGE_MODE_SHADOW" }, status.INVALID_ARGUMENT, /^version: model gbt-return-5f v9 is not registered/],
        [{ version: 1, mode: "CHALLENGE_MODE_SHADOW" }, status.INVALID_ARGUMENT, /^version: model gbt-return-5f v1 is retired/],
        [{ version: 2, mode: "CHALLENGE_MODE_SHADOW" }, status.INVALID_ARGUMENT, /^version: .*v2 is the promoted version/],
        [{ version: 3 }, status.INVALID_ARGUMENT, /^mode: must be CHALLENGE_MODE_SHADOW or CHALLENGE_MODE_CANARY/],
        [{ version: 0, mode: "CHALLENGE_MODE_SHADOW" }, status.INVALID_ARGUMENT, /^version: must be 1 or more/],
      ];
      for (const [req, code, details] of refusals) {
        const e = await failure(start(req));
        t.equal(e.code, code, JSON.stringify(req));
        t.match(e.details, details);
      }
      t.equal((await failure(start({ version: 3, mode: "CHALLENGE_MODE_SHADOW" }, operator))).code, status.PERMISSION_DENIED);
      t.equal(await registry.challenge("gbt-return-5f"), undefined, "a refused call stores nothing");
      const unknown = await failure(
        call(models, "StartChallenge", { name: "no-such-model", version: 1, mode: "CHALLENGE_MODE_SHADOW" }, admin),
      );
      t.equal(unknown.code, status.NOT_FOUND);

      t.match(await start({ version: 3, mode: "CHALLENGE_MODE_SHADOW" }), { version: 3, mode: "CHALLENGE_MODE_SHADOW", share: 0 });
      const canary = await start({ version: 3, mode: "CHALLENGE_MODE_CANARY", share: 0.2 });
      t.match(canary, { name: "gbt-return-5f", version: 3, mode: "CHALLENGE_MODE_CANARY", share: 0.2, startedBy: "ada" });
      t.match(await registry.challenge("gbt-return-5f"), { version: 3, mode: "canary", share: 0.2, startedBy: "ada" }, "kept in KV");
      t.match(await call(models, "GetChallenge", { name: "gbt-return-5f" }, viewer), { version: 3, mode: "CHALLENGE_MODE_CANARY" });
      t.equal((await failure(call(models, "EndChallenge", { name: "gbt-return-5f" }, operator))).code, status.PERMISSION_DENIED);
      t.match(await call(models, "EndChallenge", { name: "gbt-return-5f" }, admin), { version: 3, mode: "CHALLENGE_MODE_CANARY" });
      const none = await failure(call(models, "GetChallenge", { name: "gbt-return-5f" }, viewer));
      t.equal(none.code, status.NOT_FOUND);
      t.match(none.details, /name: model gbt-return-5f has no challenge/);
      t.equal((await failure(call(models, "EndChallenge", { name: "gbt-return-5f" }, admin))).code, status.NOT_FOUND);
    },
  );
});
