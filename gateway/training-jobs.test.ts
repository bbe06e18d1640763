import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import t from "tap";
import { buildDataset, parseDatasetConfig, type TrainingJobs, trainingPythonReady } from "../supervisors/research/index.ts";
import { trainingNode } from "../supervisors/research/testing.ts";
import { eventually } from "../test/testing.ts";
import { call, failure, startHarness } from "./testing.ts";

const skip = trainingPythonReady() ? false : "the training toolchain is not installed (bash scripts/models/setup-python.sh)";

interface Job {
  job: string;
  phase: string;
  model: string;
  name: string;
  version: number;
  progress: number;
  scores: { trial: number; fold: number; metrics: Record<string, number> }[];
  selectedMetrics: Record<string, number>;
  attempts: number;
}

t.test("the Models service starts, lists, reads and refuses training jobs, naming the field", { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "am-grpc-training-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const { dir } = await buildDataset(
    parseDatasetConfig({
      name: "sim-1x1d",
      out: join(work, "sim-1x1d"),
      instruments: ["SIM001.SIMX"],
      from: "2024-03-04T00:00:00Z",
      to: "2024-03-05T00:00:00Z",
      barType: "1m",
      source: { kind: "simulator", seed: 15 },
      label: { kind: "fixed-horizon", horizonBars: 5 },
    }),
    { baseDir: work },
  );
  let jobs: TrainingJobs | undefined;
  const h = await startHarness(t, {
    training: {
      start: (r, by) => jobs!.start(r, by),
      get: (id) => jobs!.get(id),
      list: () => jobs!.list(),
      cancel: (id, by) => jobs!.cancel(id, by),
    },
  });
  const node = await trainingNode(h.nc, "gw-test", work);
  jobs = node.jobs;
  t.teardown(() => node.halt());
  const models = h.client("Models");
  const viewer = h.meta(await h.token("viewer"));
  const operator = h.meta(await h.token("operator", "olga"));

  const started = await call<Job>(
    models,
    "StartTrainingJob",
    { dataset: dir, model: "FORECASTER_KIND_GBT", folds: 2, trials: 2 },
    operator,
  );
  t.match(started, { phase: "running", model: "gbt", name: "gbt-sim-1x1d", version: 1, attempts: 0 });
  const done = await eventually(
    "the job registered",
    async () => {
      const j = await call<Job>(models, "GetTrainingJob", { job: started.job }, viewer);
      return j.phase === "running" ? undefined : j;
    },
    { timeoutMs: 120_000 },
  );
  t.equal(done.phase, "registered");
  t.equal(done.progress, 1);
  t.equal(done.scores.length, 4, "2 trials × 2 folds, each with its out-of-sample figures");
  t.ok(Number.isFinite(done.selectedMetrics.ic));
  const { jobs: listed } = await call<{ jobs: Job[] }>(models, "ListTrainingJobs", {}, viewer);
  t.same(
    listed.map((j) => [j.job, j.phase, j.scores.length]),
    [[started.job, "registered", 0]],
  );

  const refused = async (req: Record<string, unknown>, field: RegExp) => {
    const e = await failure(call(models, "StartTrainingJob", { dataset: dir, model: "FORECASTER_KIND_SEQ", ...req }, operator));
    t.equal(e.code, status.INVALID_ARGUMENT, e.details);
    t.match(e.details, field);
  };
  await refused({ model: "FORECASTER_KIND_UNSPECIFIED" }, /^model: /);
  await refused({ folds: 1 }, /^folds: /);
  await refused({ window: 500 }, /^window: /);
  await refused({ name: "Not Kebab" }, /^name: /);
  await refused({ dataset: join(work, "missing") }, /^dataset: /);
  t.equal((await call<{ jobs: Job[] }>(models, "ListTrainingJobs", {}, viewer)).jobs.length, 1, "a refused request starts nothing");
  t.equal(
    (await failure(call(models, "StartTrainingJob", { dataset: dir, model: "FORECASTER_KIND_GBT" }, viewer))).code,
    status.PERMISSION_DENIED,
  );
  const badId = await failure(call(models, "GetTrainingJob", { job: "nope" }, viewer));
  t.equal(badId.code, status.INVALID_ARGUMENT);
  t.match(badId.details, /^job: /);
  t.equal((await failure(call(models, "GetTrainingJob", { job: "tj-00000000" }, viewer))).code, status.NOT_FOUND);
  const ended = await failure(call(models, "CancelTrainingJob", { job: started.job }, operator));
  t.equal(ended.code, status.FAILED_PRECONDITION);
  t.match(ended.details, /^job: .* is registered already/);
});
