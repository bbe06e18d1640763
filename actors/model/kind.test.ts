import t from "tap";
import { subjects, systemClock } from "../contract/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree, type LifecycleEvent } from "../../supervisors/runtime/actor-tree.ts";
import { shardNames } from "../../supervisors/sharding/shard-of.ts";
import { eventually, startTestServers, type Teardown } from "../../test/testing.ts";
import type { InferencePort } from "./inference-port.ts";
import { modelKind } from "./kind.ts";
import { readModelFile } from "./model-card.ts";
import { OnnxInference } from "./onnx-inference.ts";
import { PredictClient } from "../../infra/models/index.ts";

const log = createLogger({ level: "error" });
const files = { "gbt-return-5f": readModelFile("gbt-return-5f"), "seq-return-16": readModelFile("seq-return-16") };
type Name = keyof typeof files;
/** v2 of the gradient-boosted model: the same file under another version, to watch a swap in the answers */
const gbtV2 = { ...files["gbt-return-5f"], card: { ...files["gbt-return-5f"].card, version: 2 } };
const fileOf = (n: string, v?: number) => (n === "gbt-return-5f" && v === 2 ? gbtV2 : files[n as Name]);

async function serve(t: Teardown, wrap: (p: InferencePort) => InferencePort = (p) => p) {
  const f = await startTestServers(t);
  const onnx = new OnnxInference({
    modelOf: fileOf,
    deliver: (name, m) => {
      const { data, headers } = encodeMessage(m);
      f.nc.publish(subjects.cmd("model", name), data, { headers });
    },
    provider: "cpu",
    intraOpThreads: 1,
    log,
  });
  const lifecycle: LifecycleEvent[] = [];
  const kind = modelKind({
    modelOf: (n) => files[n as Name],
    known: () => Object.keys(files),
    batching: { maxBatch: 32, maxWaitMs: 2, timeoutMs: 1_500, loadTimeoutMs: 60_000 },
    port: wrap(onnx),
  });
  const tree = new ActorTree([kind], { nc: f.nc, store: f.store, clock: systemClock, log, onLifecycle: (e) => void lifecycle.push(e) });
  await tree.start();
  const client = new PredictClient(f.nc);
  t.teardown(async () => {
    client.close();
    await tree.stop();
    await onnx.close();
  });
  return { tree, client, lifecycle, nc: f.nc, shards: kind.sharding?.shards ?? 0 };
}

/** This process owns every shard of the model kind: a model's first Predict activates it here. */
async function ownModelShards({ tree, shards }: { tree: ActorTree; shards: number }): Promise<void> {
  for (const shard of shardNames(shards)) await tree.spawn("model", shard);
}

t.test("a deployed model answers concurrent Predicts over NATS in batches, each caller with its own forecast", async (t) => {
  const served = await serve(t);
  const { client } = served;
  await ownModelShards(served);
  const row = (i: number) => [i * 1e-3, 2e-3, 4e-3, 0.01, 1 + i / 100];
  const first = await client.predict("gbt-return-5f", { row: row(0) }, 120_000);
  t.equal(first.ok, true, `the first request opens the session (${JSON.stringify(first.error)})`);
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => client.predict("gbt-return-5f", { row: row(i % 10) }, 30_000)));
  t.ok(
    answers.every((a) => a.ok && a.values?.length === 1 && Number.isFinite(a.values[0])),
    "every caller got one forecast",
  );
  t.ok(
    Math.max(...answers.map((a) => a.batchSize ?? 0)) > 1,
    `requests were batched (largest batch ${Math.max(...answers.map((a) => a.batchSize ?? 0))})`,
  );
  const byRow = new Map<number, number>();
  answers.forEach((a, i) => {
    const seen = byRow.get(i % 10);
    if (seen === undefined) byRow.set(i % 10, a.values![0]!);
    else t.equal(a.values![0], seen, `request ${i} got its own row's forecast, whatever batch it rode in`);
  });
  const named = await client.predict("gbt-return-5f", {
    features: { ret1: 1e-3, ret5: 2e-3, vol20: 4e-3, range: 0.01, volumeRatio: 1.01 },
  });
  t.equal(named.values?.[0], byRow.get(1), "features by name give the same forecast as the row");
  const seq = await client.predict("seq-return-16", { row: Array.from({ length: 16 }, (_, i) => (i - 8) * 1e-4) }, 120_000);
  t.ok(seq.ok && seq.values?.length === 1, "the sequence model serves too");
  const bad = await client.predict("gbt-return-5f", { features: { ret1: 1, momentum: 2 } });
  t.match(bad, { ok: false, error: { code: "unknown-feature", message: /unknown feature momentum/ } });
});

t.test("an inference that hangs fails its callers with the reason, the actor restarts and serves again", async (t) => {
  let hang = true;
  const served = await serve(t, (p) => ({
    load: (model, version) => p.load(model, version),
    unload: (model, version) => p.unload(model, version),
    infer: (job) => (hang ? undefined : p.infer(job)),
    reset: (model, reason) => {
      hang = false;
      p.reset(model, reason);
    },
  }));
  const { client, lifecycle } = served;
  await ownModelShards(served);
  const started = Date.now();
  const hung = await client.predict("gbt-return-5f", { row: [0, 0, 0, 0, 1] }, 120_000);
  t.match(hung, { ok: false, error: { code: "inference-timeout", message: /gbt-return-5f v1: no inference result within 1500 ms/ } });
  t.ok(Date.now() - started < 120_000, "the caller is answered, not left hanging");
  await eventually("the actor's restart", () => lifecycle.find((e) => e.type === "restarted"), { timeoutMs: 30_000 });
  t.match(
    lifecycle.find((e) => e.type === "failed"),
    { kind: "model", id: "gbt-return-5f", error: /no inference result within 1500 ms/ },
  );
  const after = await client.predict("gbt-return-5f", { row: [0, 0, 0, 0, 1] }, 120_000);
  t.equal(after.ok, true, "the restarted actor serves");
});

t.test("a promoted version takes over under load without a dropped or failed request", async (t) => {
  const served = await serve(t);
  const { client, nc } = served;
  await ownModelShards(served);
  t.equal((await client.predict("gbt-return-5f", { row: [0, 0, 0, 0, 1] }, 120_000)).version, 1);
  const seen: { ok: boolean; version: number; code?: string }[] = [];
  let stop = false;
  const callers = Array.from({ length: 16 }, async (_, c) => {
    for (let k = 0; !stop; k++) {
      const p = await client.predict("gbt-return-5f", { row: [c * 1e-3, k * 1e-4, 0, 0.01, 1] }, 120_000);
      seen.push({ ok: p.ok, version: p.version, ...(p.error ? { code: p.error.code } : {}) });
    }
  });
  await eventually("traffic on v1", () => seen.length > 200, { timeoutMs: 60_000 });
  const { data, headers } = encodeMessage({ type: "PromoteVersion", version: 2 });
  nc.publish(subjects.cmd("model", "gbt-return-5f"), data, { headers });
  await eventually("answers from v2", () => seen.filter((s) => s.version === 2).length > 200, { timeoutMs: 120_000 });
  stop = true;
  await Promise.all(callers);
  t.same(
    seen.filter((s) => !s.ok),
    [],
    "no request failed",
  );
  t.ok(seen.some((s) => s.version === 1) && seen.some((s) => s.version === 2), "answers came from v1, then from v2");
  const firstV2 = seen.findIndex((s) => s.version === 2);
  t.equal(
    seen.slice(firstV2 + 64).filter((s) => s.version === 1).length,
    0,
    "after the swap only v2 answers (bar batches in flight at the swap)",
  );
});
