import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { createLogger } from "../../infra/telemetry/log.ts";
import { startTestServers } from "../../test/testing.ts";
import { buildDataset, parseDatasetConfig, trainingPythonReady } from "../research/index.ts";
import { trainingNode } from "../research/testing.ts";
import { signToken } from "./auth.ts";
import type { ModelRow, TrainingJobRow } from "./protocol.ts";
import { startConsole } from "./server.ts";
import { ConsoleClient } from "./testing.ts";

const SECRET = "console-test-secret-of-at-least-32-bytes!";
const skip = trainingPythonReady() ? false : "the training toolchain is not installed (bash scripts/models/setup-python.sh)";

t.test("the models panel shows training jobs with their fold curves and each version's lineage", { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), "am-console-training-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const f = await startTestServers(t);
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
  const node = await trainingNode(f.nc, "node-a", work);
  const jobs = node.jobs;
  t.teardown(() => node.halt());
  const started = await jobs.start({ dataset: dir, model: "gbt", name: "gbt-panel", folds: 3, trials: 2 }, "alice");
  await jobs.settled(started.job);

  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: SECRET },
    treeIntervalMs: 200,
    healthIntervalMs: 200,
    log: createLogger({ level: "error" }),
  });
  t.teardown(() => running.stop());
  const viewer = await ConsoleClient.open(running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));
  t.teardown(() => viewer.close());
  const frame = await viewer.waitFor(
    (fr) => fr.type === "models" && (fr.jobs as TrainingJobRow[] | undefined)?.length === 1,
    "a models frame with the training job",
  );
  const [job] = frame.jobs as TrainingJobRow[];
  t.match(job, {
    job: started.job,
    phase: "registered",
    model: "gbt",
    name: "gbt-panel",
    version: 1,
    progress: 1,
    metric: "ic",
    attempts: 1,
  });
  t.equal(job!.curves.length, 2, "one validation curve per trial");
  t.ok(
    job!.curves.every((c) => c.length === 3 && c.every((v) => typeof v === "number")),
    "each curve has every fold's out-of-sample IC",
  );
  t.ok(job!.selectedTrial === 0 || job!.selectedTrial === 1);
  const [model] = frame.models as ModelRow[];
  t.match(model, {
    name: "gbt-panel",
    versions: [{ version: 1, lineage: { dataset: "sim-1x1d", datasetSha256: job!.datasetSha256, job: started.job } }],
  });
});
