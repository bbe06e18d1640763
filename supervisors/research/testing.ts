import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { systemClock } from "../../actors/contract/index.ts";
import { retrainScheduleKind } from "../../actors/retrain-schedule/index.ts";
import { trainingJobKind } from "../../actors/training-job/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { SnapshotStore } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../runtime/actor-tree.ts";
import { shardNames } from "../sharding/shard-of.ts";
import { RetrainRuns } from "./retrain-runs.ts";
import { TrainingJobs } from "./training-jobs.ts";
import { TrainingProcesses } from "./training-processes.ts";

/**
 * A node hosting the training job actors (and with `schedules`, the retrain schedules) for a test: the kind on its own actor tree serving every shard, its
 * processes' files under `workDir/<node>`, and a client. `halt` is the node dying: its processes are killed and its
 * actors stop without a word in their journals; another node's `takeOver` then serves the shards and returns the
 * running jobs it resumed.
 */
export async function trainingNode(nc: NatsConnection, node: string, workDir: string, o: { serve?: boolean; schedules?: boolean } = {}) {
  const log = createLogger({ level: "error" });
  const registry = await ModelRegistry.open(nc);
  const processes = new TrainingProcesses(nc, { workDir: join(workDir, node), registry: async () => registry, staleMs: 5_000 });
  const kind = trainingJobKind({ node, port: processes, keepAliveMs: 500 });
  const kinds = o.schedules ? [kind, retrainScheduleKind(new RetrainRuns(nc, async () => registry))] : [kind];
  const tree = new ActorTree(kinds, { nc, store: await SnapshotStore.open(nc), clock: systemClock, log, onLifecycle: () => {} });
  await tree.start();
  const jobs = await TrainingJobs.open(nc, registry);
  let serving = false;
  const serve = async () => {
    if (serving) return;
    serving = true;
    for (const k of kinds) for (const shard of shardNames(k.sharding?.shards ?? 0)) await tree.spawn(k.name, shard);
  };
  if (o.serve !== false) await serve();
  let halted = false;
  const halt = async () => {
    if (halted) return;
    halted = true;
    processes.close();
    // a test's servers may be gone first: nothing is left to stop then
    await tree.stop().catch((e: unknown) => {
      if (!nc.isClosed()) throw e;
    });
  };
  const takeOver = async (): Promise<string[]> => {
    await serve();
    return (await jobs.list()).filter((j) => j.phase === "running").map((j) => j.job);
  };
  return { registry, jobs, halt, takeOver };
}
