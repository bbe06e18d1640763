import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { type ModelFile, modelKind, OnnxInference, readModelFile } from "../../actors/model/index.ts";
import { PredictClient } from "../../infra/models/index.ts";
import { encodeMessage } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../runtime/actor-tree.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { eventually, startTestServers, type TestServers } from "../../test/testing.ts";
import { buildDataset } from "./build-dataset.ts";
import { parseDatasetConfig } from "./dataset-config.ts";
import { trainingPythonReady } from "./python-trainer.ts";
import { retrainOnce } from "./retrain.ts";
import { type TrainingJobEvent, TrainingRefused } from "../../actors/training-job/index.ts";
import { trainingNode } from "./testing.ts";

const skip = trainingPythonReady() ? false : "the training toolchain is not installed (bash scripts/models/setup-python.sh)";
const log = createLogger({ level: "error" });
const work = mkdtempSync(join(tmpdir(), "am-training-test-"));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// two instruments, one day of 1m bars from the seeded simulator: ~2 800 rows, a few seconds of training
let datasetDir: Promise<string> | undefined;
const dataset = (): Promise<string> => {
  datasetDir ??= buildDataset(
    parseDatasetConfig({
      name: "sim-2x1d-fh5",
      out: join(work, "sim-2x1d-fh5"),
      instruments: ["SIM001.SIMX", "SIM002.SIMX"],
      from: "2024-03-04T00:00:00Z",
      to: "2024-03-05T00:00:00Z",
      barType: "1m",
      source: { kind: "simulator", seed: 15 },
      label: { kind: "fixed-horizon", horizonBars: 5 },
    }),
    { baseDir: work },
  ).then((r) => r.dir);
  return datasetDir;
};

/** A node hosting the training job actors (every shard, unless `serve` is false), halted at the test's end. */
async function openJobs(t: { teardown: (fn: () => unknown) => void }, f: Pick<TestServers, "nc">, node: string, serve = true) {
  const n = await trainingNode(f.nc, node, work, { serve });
  t.teardown(() => n.halt());
  return n;
}

/** Serves a model file the way a node does (a model actor on onnxruntime) and asks it for one forecast. */
async function serveOnce(t: { teardown: (fn: () => unknown) => void }, f: TestServers, file: ModelFile, row: number[]) {
  const onnx = new OnnxInference({
    modelOf: () => file,
    deliver: (name, m) => {
      const { data, headers } = encodeMessage(m);
      f.nc.publish(subjects.cmd("model", name), data, { headers });
    },
    provider: "cpu",
    intraOpThreads: 1,
    log,
  });
  const kind = modelKind({
    modelOf: () => file,
    known: () => [file.card.name],
    batching: { maxBatch: 8, maxWaitMs: 1, timeoutMs: 5_000, loadTimeoutMs: 60_000 },
    port: onnx,
  });
  const tree = new ActorTree([kind], { nc: f.nc, store: f.store, clock: systemClock, log, onLifecycle: () => {} });
  await tree.start();
  for (const shard of shardNames(kind.sharding?.shards ?? 0)) await tree.spawn("model", shard);
  const client = new PredictClient(f.nc);
  t.teardown(async () => {
    client.close();
    await tree.stop();
    await onnx.close();
  });
  // the first request waits for the session to load: slow on a loaded machine
  return client.predict(file.card.name, { row }, 60_000);
}

t.test(
  "a gbt job searches, selects out of sample, registers the winner with its dataset, and a model actor serves it",
  { skip },
  async (t) => {
    const f = await startTestServers(t);
    const { registry, jobs } = await openJobs(t, f, "node-a");
    const dir = await dataset();
    const heard: TrainingJobEvent[] = [];
    const sub = f.nc.subscribe("am.evt.training-job.>", {
      callback: (_e, m) => {
        heard.push({ type: m.subject.split(".").at(-1) } as TrainingJobEvent);
      },
    });
    t.teardown(() => sub.unsubscribe());
    const started = await jobs.start({ dataset: dir, model: "gbt", name: "gbt-test", folds: 3, trials: 2 }, "alice");
    t.equal(started.phase, "running");
    await jobs.settled(started.job);
    const job = (await jobs.get(started.job))!;
    t.equal(job.phase, "registered", job.error ?? "");
    t.equal(job.scores.length, 6, "2 trials × 3 purged folds scored out of sample");
    t.ok(job.selected && ["ic", "rankIc", "hitRate", "rmse"].every((k) => Number.isFinite(job.selected!.metrics[k])));
    const best = Math.max(...[0, 1].map((trial) => job.scores.filter((s) => s.trial === trial).reduce((a, s) => a + s.metrics.ic!, 0) / 3));
    t.equal(job.selected!.metrics.ic, Number(best.toFixed(9)), "the trial with the best mean fold IC wins");
    t.same(job.registered, { name: "gbt-test", version: 1, sha256: job.registered!.sha256 });
    const { card, bytes } = await registry.get("gbt-test", 1);
    t.match(card, {
      registeredBy: "training-job " + job.job,
      trainingData: { job: job.job, datasetSha256: job.datasetSha256, dataset: "sim-2x1d-fh5" },
    });
    t.same(card.validation, job.selected!.metrics);
    await eventually("every event heard on NATS", () => heard.length >= 9 || undefined);
    t.same([...new Set(heard.map((e) => e.type))].sort(), [
      "TrainingFoldScored",
      "TrainingJobStarted",
      "TrainingModelRegistered",
      "TrainingModelSelected",
      "TrainingProcessRestarted",
    ]);
    const answer = await serveOnce(t, f, { card, bytes }, [1e-4, 2e-3, 4e-3, 0.01, 1.1]);
    t.match(answer, { ok: true, model: "gbt-test", version: 1 });
    t.equal(answer.values?.length, 1);
  },
);

t.test("a seq job fits quantiles with the pinball loss and is served with three ordered outputs", { skip }, async (t) => {
  const f = await startTestServers(t);
  const { registry, jobs } = await openJobs(t, f, "node-a");
  const started = await jobs.start({ dataset: await dataset(), model: "seq", name: "seq-test", folds: 3, trials: 2, window: 4 }, "alice");
  await jobs.settled(started.job);
  const job = (await jobs.get(started.job))!;
  t.equal(job.phase, "registered", job.error ?? "");
  t.ok(
    job.scores.every((s) => s.metrics.pinball! > 0 && s.metrics.coverage80! > 0.5),
    "pinball loss and 10-90 coverage per fold",
  );
  const { card, bytes } = await registry.get("seq-test", 1);
  t.equal(card.inputs[0]!.shape[1], 20, "4 bars × 5 factors");
  t.equal(card.featureSet.features[0], "ret1_lag3");
  const row = Array.from({ length: 20 }, (_, i) => [1e-4, 2e-3, 4e-3, 0.01, 1][i % 5]!);
  const answer = await serveOnce(t, f, { card, bytes }, row);
  t.equal(answer.values?.length, 3);
  const [q50, q10, q90] = answer.values!;
  t.ok(q10! <= q50! && q50! <= q90!, `q10 ${q10} ≤ q50 ${q50} ≤ q90 ${q90}`);
});

t.test("a cancelled job kills its process, ends cancelled and registers nothing", { skip }, async (t) => {
  const f = await startTestServers(t);
  const { registry, jobs } = await openJobs(t, f, "node-a");
  const started = await jobs.start({ dataset: await dataset(), model: "seq", name: "seq-cancel", folds: 5, trials: 8 }, "alice");
  await eventually("a fold scored", async () => ((await jobs.get(started.job))!.scores.length > 0 ? true : undefined), {
    timeoutMs: 60_000,
  });
  const cancelled = await jobs.cancel(started.job, "bob");
  t.equal(cancelled.phase, "cancelled");
  t.equal(cancelled.cancelledBy, "bob");
  const scored = cancelled.scores.length;
  t.ok(scored < 40);
  await new Promise((r) => setTimeout(r, 1_500));
  t.equal((await jobs.get(started.job))!.scores.length, scored, "no fold is scored after the cancel");
  t.same(
    (await registry.list()).filter((m) => m.name === "seq-cancel"),
    [],
  );
  await t.rejects(jobs.cancel(started.job, "bob"), { name: "TrainingRefused", field: "job" });
});

t.test("a job whose node dies is taken over by another and resumes from its last scored fold", { skip }, async (t) => {
  const f = await startTestServers(t);
  const a = await openJobs(t, f, "node-a");
  const b = await openJobs(t, f, "node-b", false);
  const folds: string[] = [];
  const sub = f.nc.subscribe("am.evt.training-job.*.TrainingFoldScored", {
    callback: (_e, m) => {
      folds.push(m.subject);
    },
  });
  t.teardown(() => sub.unsubscribe());
  const started = await a.jobs.start({ dataset: await dataset(), model: "gbt", name: "gbt-resume", folds: 3, trials: 4 }, "alice");
  await eventually("two folds scored on node-a", async () => ((await a.jobs.get(started.job))!.scores.length >= 2 ? true : undefined), {
    timeoutMs: 60_000,
  });
  await a.halt(); // node-a dies: its process is killed, its actors stop, its journal says nothing
  const before = (await b.jobs.get(started.job))!.scores.length;
  t.ok(before >= 2 && before < 12, `${before} folds done before the loss`);
  const taken = await eventually("node-b takes the job over", async () => {
    const got = await b.takeOver();
    return got.length ? got : undefined;
  });
  t.same(taken, [started.job]);
  await b.jobs.settled(started.job);
  const job = (await b.jobs.get(started.job))!;
  t.equal(job.phase, "registered", job.error ?? "");
  t.equal(job.attempts, 2, "one process on node-a, one on node-b");
  t.equal(job.scores.length, 12);
  await eventually("every fold heard", () => (folds.length >= 12 ? true : undefined));
  t.equal(folds.length, 12, "no fold was fitted twice: node-b started where node-a stopped");
  t.equal((await b.registry.get("gbt-resume", 1)).card.trainingData.job, started.job);
});

t.test("a rolling retrain promotes a candidate only when it beats the live version out of sample", { skip }, async (t) => {
  const f = await startTestServers(t);
  const { registry, jobs } = await openJobs(t, f, "node-a");
  // the live version: a committed model under this name whose card claims an IC no real candidate falls below
  const committed = readModelFile("gbt-return-5f");
  await registry.register(
    { ...committed.card, name: "gbt-live", validation: { ...committed.card.validation, ic: -1 } },
    committed.bytes,
    "ops",
  );
  await registry.promote("gbt-live", 1);
  const request = { dataset: await dataset(), model: "gbt" as const, name: "gbt-live", folds: 3, trials: 2 };
  const first = await retrainOnce(f.nc, jobs, registry, request, "schedule");
  t.match(first, { candidate: 2, live: 1, promoted: true, reason: /beats the live version's -1/ });
  t.equal(await registry.promotedVersion("gbt-live"), 2);
  // the same data and seed make the same model: equal is not better, so v3 stays registered, not promoted
  const second = await retrainOnce(f.nc, jobs, registry, request, "schedule");
  t.match(second, { candidate: 3, live: 2, promoted: false, reason: /does not beat the live version's/ });
  t.equal(await registry.promotedVersion("gbt-live"), 2);
  t.match(await registry.list(), [{ version: 1 }, { version: 2, promoted: true }, { version: 3, promoted: false, status: "registered" }]);
});

t.test("a bad request is refused naming its field, and nothing is journaled", { skip }, async (t) => {
  const f = await startTestServers(t);
  const { jobs } = await openJobs(t, f, "node-a");
  const dir = await dataset();
  const refused = async (input: unknown, field: string) => {
    const e = await jobs.start(input, "alice").then(
      () => undefined,
      (err: unknown) => err,
    );
    t.ok(e instanceof TrainingRefused, `refused: ${JSON.stringify(input)}`);
    t.equal((e as TrainingRefused).field, field, (e as Error).message);
  };
  await refused({ dataset: dir, model: "xgboost" }, "model");
  await refused({ dataset: dir, model: "gbt", folds: 1 }, "folds");
  await refused({ dataset: dir, model: "gbt", name: "Bad Name" }, "name");
  await refused({ dataset: dir, model: "seq", window: 1000 }, "window");
  await refused({ dataset: join(work, "no-such-dataset"), model: "gbt" }, "dataset");
  await refused({ dataset: dir, model: "gbt", learningRate: 3 }, "learningRate");
  t.same(await jobs.list(), []);
});
