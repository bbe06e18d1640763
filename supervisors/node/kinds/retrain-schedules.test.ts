import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../../../actors/contract/index.ts";
import { readModelFile } from "../../../actors/model/index.ts";
import { RETRAIN_SCHEDULE_KIND, type RetrainOutcome } from "../../../actors/retrain-schedule/index.ts";
import { buckets, decodeMessage } from "../../../infra/nats/index.ts";
import { eventually, startTestServers } from "../../../test/testing.ts";
import { buildDataset, parseDatasetConfig, trainingPythonReady } from "../../research/index.ts";
import { trainingNode } from "../../research/testing.ts";
import { retrainScheduleKey, storeRetrainSchedule } from "./retrain-schedules.ts";

const skip = trainingPythonReady() ? false : "the training toolchain is not installed (bash scripts/models/setup-python.sh)";
const work = mkdtempSync(join(tmpdir(), "am-retrain-schedule-test-"));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test("a retrain schedule defined through the admin path runs twice and promotes only a better candidate", { skip }, async (t) => {
  const f = await startTestServers(t);
  const node = await trainingNode(f.nc, "node-a", work, { schedules: true });
  t.teardown(() => node.halt());
  const { dir } = await buildDataset(
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
  );
  // the live version claims an IC no real candidate falls below
  const committed = readModelFile("gbt-return-5f");
  await node.registry.register(
    { ...committed.card, name: "gbt-live", validation: { ...committed.card.validation, ic: -1 } },
    committed.bytes,
    "ops",
  );
  await node.registry.promote("gbt-live", 1);
  const config = await new Kvm(f.nc).open(buckets.config);

  await t.rejects(
    storeRetrainSchedule(f.nc, "gbt-live", JSON.stringify({ dataset: dir, model: "gbt", everyMs: 10 }), "OPS/olga"),
    { code: "invalid", message: /^value\.everyMs: / },
    "a bad field is refused by name",
  );
  t.equal((await config.get(retrainScheduleKey("gbt-live")))?.operation, undefined, "and nothing is stored");

  const outcomes: RetrainOutcome[] = [];
  const sub = f.nc.subscribe(subjects.evt(RETRAIN_SCHEDULE_KIND, "gbt-live", "RetrainRunFinished"), {
    callback: (_e, m) =>
      void outcomes.push((decodeMessage(m.data, m.headers, false).message as unknown as { outcome: RetrainOutcome }).outcome),
  });
  const starts: number[] = [];
  const startSub = f.nc.subscribe(subjects.evt(RETRAIN_SCHEDULE_KIND, "gbt-live", "RetrainRunStarted"), {
    callback: () => void starts.push(Date.now()),
  });
  t.teardown(() => {
    sub.unsubscribe();
    startSub.unsubscribe();
  });
  const definition = { dataset: dir, model: "gbt", name: "gbt-live", folds: 3, trials: 2, everyMs: 1_000 };
  const stored = await storeRetrainSchedule(f.nc, "gbt-live", JSON.stringify(definition), "OPS/olga");
  t.match(stored, { key: "retrain.gbt-live", by: "OPS/olga" });
  t.match((await config.get("retrain.gbt-live"))?.json(), { everyMs: 1_000, promote: "beats-live" });

  await eventually("two runs finished", () => (outcomes.length >= 2 ? true : undefined), { timeoutMs: 240_000 });
  await storeRetrainSchedule(f.nc, "gbt-live", JSON.stringify({ remove: true }), "OPS/olga");
  const removedAt = Date.now();
  t.match(outcomes[0], { candidate: 2, live: 1, promoted: true, reason: /beats the live version's -1/ });
  // the same data and seed make the same model: equal is not better
  t.match(outcomes[1], { candidate: 3, live: 2, promoted: false, reason: /does not beat the live version's/ });
  t.equal(await node.registry.promotedVersion("gbt-live"), 2);
  t.equal((await config.get("retrain.gbt-live"))?.operation, "DEL", "a removed schedule leaves the config bucket");
  // a run already under way finishes (journaled); none starts after the removal
  await new Promise((r) => setTimeout(r, 2_500));
  t.equal(starts.filter((at) => at > removedAt).length, 0, "and starts no run after its removal");
});
