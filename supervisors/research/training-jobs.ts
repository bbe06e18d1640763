import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, RuntimeError, storedSubject, subjects, unescapeToken } from "../../actors/contract/index.ts";
import {
  evolveTrainingJob,
  hyperparameterGrid,
  isFinished,
  parseTrainingRequest,
  TRAINING_JOB_KIND,
  type TrainingJob,
  type TrainingJobEvent,
  TrainingJobErrorCode,
  TrainingRefused,
} from "../../actors/training-job/index.ts";
import type { ModelRegistry } from "../../infra/models/index.ts";
import { decodeMessage, encodeMessage, Journal, type Message, streams } from "../../infra/nats/index.ts";
import { type DatasetManifest, readDataset } from "./dataset-files.ts";

export interface TrainingJobsOptions {
  /** how long a command waits for the job's actor (a shard between owners, a node starting) before failing (default 30 s) */
  commandTimeoutMs?: number;
}

type Reply = { ok: boolean; result?: unknown; error?: { code: string; message: string } };

/** Answers that mean "not yet": asked again until the command's deadline. */
const TRANSIENT = new Set<string>([RuntimeError.NotHere, RuntimeError.Busy, RuntimeError.Stopped, RuntimeError.ActorFailed]);

/**
 * The platform's training jobs, from any process: a job is an actor of kind `training-job` (actors/training-job)
 * that the nodes host, sharded and placed by the runtime, its Python process a side effect it supervises. This
 * checks a request and its dataset, then commands the job's actor on am.cmd.training-job.<job>; a job's state is
 * its journal (am.evt.training-job.<job>.*), read directly.
 */
export class TrainingJobs {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly registry: ModelRegistry,
    private readonly o: TrainingJobsOptions,
  ) {}

  static async open(nc: NatsConnection, registry: ModelRegistry, o: TrainingJobsOptions = {}): Promise<TrainingJobs> {
    return new TrainingJobs(nc, registry, o);
  }

  /** Checks the request and the dataset and starts the job on the platform; a refusal names the field. */
  async start(input: unknown, startedBy: string): Promise<TrainingJob> {
    const request = parseTrainingRequest(input);
    const dir = resolve(request.dataset);
    let manifest: DatasetManifest;
    try {
      manifest = (await readDataset(dir)).manifest;
    } catch (e) {
      throw new TrainingRefused(`dataset: ${dir}: ${errorMessage(e)}`, "dataset");
    }
    const name = request.name ?? `${request.model}-${manifest.dataset.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 64);
    const versions = (await this.registry.list()).filter((m) => m.name === name).map((m) => m.version);
    const job = `tj-${randomUUID().slice(0, 8)}`;
    return this.command(job, {
      type: "StartTrainingJob",
      request: { ...request, dataset: dir },
      name,
      version: Math.max(0, ...versions) + 1,
      dataset: manifest.dataset,
      datasetSha256: manifest.sha256,
      trials: hyperparameterGrid[request.model].slice(0, request.trials),
      folds: request.folds,
      startedBy,
    });
  }

  /** The job as its journal tells it; undefined for a job that never started. */
  async get(job: string): Promise<TrainingJob | undefined> {
    let state: TrainingJob | undefined;
    for await (const r of this.journalOf(job).read()) state = evolveTrainingJob(state, r.event as TrainingJobEvent);
    return state;
  }

  /** The jobs this cluster knows (each journaled its start), newest first (the newest `limit` where given). */
  async list(limit?: number): Promise<TrainingJob[]> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(streams.events, {
      subjects_filter: subjects.evtAny(TRAINING_JOB_KIND, "TrainingJobStarted"),
    });
    const ids = Object.keys(info.state.subjects ?? {}).map((s) => unescapeToken(s.split(".")[3]!));
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    const newest = jobs.filter((j): j is TrainingJob => j !== undefined).sort((a, b) => b.startedAtUs - a.startedAtUs);
    return limit === undefined ? newest : newest.slice(0, limit);
  }

  /** Cancels a running job: its actor journals the cancel and kills the process; an unknown or finished job is refused. */
  cancel(job: string, by: string): Promise<TrainingJob> {
    return this.command(job, { type: "CancelTrainingJob", by });
  }

  /** Calls back with each event the job journals from now on; returns the function that stops it. */
  watch(job: string, onEvent: (e: TrainingJobEvent) => void): () => void {
    const sub = this.nc.subscribe(storedSubject(subjects.evtOf(TRAINING_JOB_KIND, job)), {
      callback: (err, m) => {
        if (err) return;
        const { message } = decodeMessage(m.data, m.headers, false);
        onEvent(message as unknown as TrainingJobEvent);
      },
    });
    return () => sub.unsubscribe();
  }

  /** Resolves when the job has ended (registered, cancelled or failed), wherever it runs. */
  async settled(job: string): Promise<TrainingJob> {
    let wake: () => void = () => {};
    const stop = this.watch(job, () => wake());
    try {
      for (;;) {
        const heard = new Promise<void>((r) => {
          wake = r;
        });
        const state = await this.get(job);
        if (!state) throw new TrainingRefused(`job: no training job ${job}`, "job");
        if (isFinished(state)) return state;
        // the journal is read again on the next event, or every few seconds in case one was missed
        await Promise.race([heard, new Promise((r) => setTimeout(r, 5_000))]);
      }
    } finally {
      stop();
    }
  }

  /** Asks the job's actor, again while its shard is between owners; a refusal names the field `job`. */
  private async command(job: string, message: Message): Promise<TrainingJob> {
    const deadline = Date.now() + (this.o.commandTimeoutMs ?? 30_000);
    const { data, headers } = encodeMessage(message);
    for (let tries = 1; ; tries++) {
      let reply: Reply | undefined;
      let failure = "";
      try {
        const m = await this.nc.request(subjects.cmd(TRAINING_JOB_KIND, job), data, { headers, timeout: 10_000 });
        reply = decodeMessage(m.data, m.headers, false).message as unknown as Reply;
      } catch (e) {
        failure = errorMessage(e); // no node hosts the kind yet, or the answer was lost: asked again
      }
      if (reply?.ok) return reply.result as TrainingJob;
      // a start whose answer was lost, asked again: the first one took
      if (reply?.error?.code === TrainingJobErrorCode.AlreadyStarted && tries > 1) return (await this.get(job))!;
      if (reply?.error && !TRANSIENT.has(reply.error.code)) throw new TrainingRefused(reply.error.message, "job");
      if (Date.now() > deadline)
        throw new Error(`${subjects.cmd(TRAINING_JOB_KIND, job)}: no answer from the job's actor (${reply?.error?.message ?? failure})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private journalOf(job: string): Journal {
    return new Journal(
      this.nc,
      subjects.evtOf(TRAINING_JOB_KIND, job),
      (type) => subjects.evt(TRAINING_JOB_KIND, job, type),
      `${TRAINING_JOB_KIND}/${job}`,
    );
  }
}
