import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import {
  RETRAIN_SCHEDULE_KIND,
  type RetrainDefinition,
  type RetrainOutcome,
  type RetrainPort,
} from "../../actors/retrain-schedule/index.ts";
import type { ModelRegistry } from "../../infra/models/index.ts";
import { encodeMessage } from "../../infra/nats/index.ts";
import { buildDataset } from "./build-dataset.ts";
import { parseDatasetConfig } from "./dataset-config.ts";
import { retrainOnce } from "./retrain.ts";
import { TrainingJobs } from "./training-jobs.ts";

/**
 * The node's side of the retrain schedule actors (their RetrainPort): a run rebuilds the dataset where the schedule
 * names a dataset config, trains a candidate as a training job actor, judges it against the live version out of
 * sample (retrainOnce) and promotes it or not, telling the schedule the job and then the outcome.
 */
export class RetrainRuns implements RetrainPort {
  private jobs: Promise<{ jobs: TrainingJobs; registry: ModelRegistry }> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly registry: () => Promise<ModelRegistry>,
  ) {}

  run(schedule: string, run: number, d: RetrainDefinition, job?: string): void {
    const tell = (m: { type: string; [k: string]: unknown }) => {
      if (this.nc.isClosed()) return;
      const { data, headers } = encodeMessage({ ...m, run });
      this.nc.publish(subjects.cmd(RETRAIN_SCHEDULE_KIND, schedule), data, { headers });
    };
    const name = d.name ?? schedule;
    void this.once(schedule, d, job, (started) => tell({ type: "RetrainJobReported", job: started })).then(
      (outcome) => tell({ type: "RetrainRunReported", outcome }),
      (e: unknown) =>
        tell({ type: "RetrainRunReported", outcome: { name, promoted: false, reason: `the run failed: ${errorMessage(e)}` } }),
    );
  }

  private async once(
    schedule: string,
    d: RetrainDefinition,
    job: string | undefined,
    onJobStarted: (job: string) => void,
  ): Promise<RetrainOutcome> {
    this.jobs ??= this.registry().then(
      async (registry) => ({ registry, jobs: await TrainingJobs.open(this.nc, registry) }),
      (e: unknown) => {
        this.jobs = undefined; // the next run opens it again
        throw e;
      },
    );
    const { jobs, registry } = await this.jobs;
    const { everyMs: _every, shadowMs, promote, datasetConfig, ...request } = d;
    if (datasetConfig && !job) {
      const file = resolve(datasetConfig);
      const config = parseDatasetConfig(JSON.parse(await readFile(file, "utf8")));
      await buildDataset({ ...config, out: resolve(request.dataset) }, { baseDir: dirname(file) });
    }
    const o = await retrainOnce(this.nc, jobs, registry, { ...request, name: request.name ?? schedule }, `retrain-schedule ${schedule}`, {
      shadowMs,
      promote: promote === "beats-live",
      onJobStarted,
      ...(job ? { job } : {}),
    });
    return {
      name: o.name,
      promoted: o.promoted,
      reason: o.reason,
      ...(o.job ? { job: o.job } : {}),
      ...(o.candidate !== undefined ? { candidate: o.candidate } : {}),
      ...(o.live !== undefined ? { live: o.live } : {}),
    };
  }
}
