import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { type Clock, errorMessage, subjects, systemClock } from "../../actors/contract/index.ts";
import { BAR_FACTORS } from "../../actors/domain/index.ts";
import { ModelCard } from "../../actors/model/index.ts";
import { BucketKeys } from "../../infra/nats/bucket-keys.ts";
import { decodeMessage, encodeMessage, FencingError, Journal, type Message } from "../../infra/nats/index.ts";
import { createLogger, type Logger } from "../../infra/telemetry/log.ts";
import type { ModelRegistry } from "../../infra/models/index.ts";
import { type DatasetManifest, readDataset } from "./dataset-files.ts";
import { purgedKFold } from "./purged-cv.ts";
import { runTrainer, type TrainerEvent } from "./python-trainer.ts";
import type { TrainingJobEvent } from "./training-events.ts";
import { evolveTrainingJob, isFinished, type TrainingJob } from "./training-job-state.ts";
import { hyperparameterGrid, parseTrainingRequest, TrainingRefused } from "./training-request.ts";

export const TRAINING_JOB_KIND = "training-job";
/** which node runs each unfinished job and when it last said so: the lease another node takes a job over by */
export const TRAINING_LEASES_BUCKET = "am-training-jobs";

const BAR_UNIT_US: Record<string, number> = { s: 1_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000 };
const barUs = (barType: string): number => {
  const m = /^(\d+)([smhd])$/.exec(barType);
  return m ? Number(m[1]) * BAR_UNIT_US[m[2]!]! : 0;
};

interface Lease {
  node: string;
  heartbeatUs: number;
  finished: boolean;
}

export interface TrainingJobsOptions {
  /** this node's name, in leases and restart events */
  node: string;
  /** where spec files and exported models go (default: the OS temp folder) */
  workDir?: string;
  /** a job whose node has not renewed its lease for this long is taken over by another (default 30 s) */
  leaseMs?: number;
  /** restarts of a crashed training process before the job fails (default 2) */
  maxRestarts?: number;
  clock?: Clock;
  replicas?: number;
  /** a run that ended without a word in its journal (its connection lost): the job is left for a takeover */
  onError?: (job: string, reason: string) => void;
  log?: Logger;
}

interface Running {
  abort: AbortController;
  heartbeat: NodeJS.Timeout;
  cancelWatch: Subscription;
  done: Promise<void>;
}

/**
 * Training jobs, supervised: each runs scripts/models/fit_forecaster.py on a dataset, journals every scored fold
 * on am.evt.training-job.<job>.* (its progress on NATS and its state), restarts a crashed process from the
 * journal (up to `maxRestarts`), can be cancelled from any node (the cancel is journaled; the running node kills
 * the process), and is taken over from its last scored fold by another node when its own stops renewing its
 * lease. The winner is registered in the model registry with its out-of-sample metrics and its dataset's manifest.
 */
export class TrainingJobs {
  private readonly running = new Map<string, Running>();
  private adoptTimer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;
  private readonly leaseMs: number;

  /**
   * The jobs' ids, kept by one watch of the leases bucket: listing them with kv.keys() on every look (the takeover
   * looks every 10 s) left a consumer on the bucket's stream each time, alive for five minutes.
   */
  private readonly jobIds: BucketKeys;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly leases: KV,
    private readonly registry: ModelRegistry,
    private readonly o: TrainingJobsOptions,
  ) {
    this.clock = o.clock ?? systemClock;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.jobIds = new BucketKeys(nc, {
      bucket: TRAINING_LEASES_BUCKET,
      owner: `training-${o.node}`,
      log: o.log ?? createLogger({ base: { component: "training-jobs", node: o.node } }),
    });
  }

  static async open(nc: NatsConnection, registry: ModelRegistry, o: TrainingJobsOptions): Promise<TrainingJobs> {
    const leases = await new Kvm(nc).create(TRAINING_LEASES_BUCKET, {
      description: "Training jobs: the node running each and its last heartbeat",
      history: 1,
      replicas: o.replicas ?? 1,
    });
    const jobs = new TrainingJobs(nc, leases, registry, o);
    await jobs.jobIds.start();
    return jobs;
  }

  /** Checks the request and the dataset, journals the job's start and runs it here; a refusal names the field. */
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
    const now = this.clock.nowUs();
    const journal = this.journalOf(job);
    await this.append(journal, [
      {
        type: "TrainingJobStarted",
        job,
        request: { ...request, dataset: dir },
        name,
        version: Math.max(0, ...versions) + 1,
        dataset: manifest.dataset,
        datasetSha256: manifest.sha256,
        trials: hyperparameterGrid[request.model].slice(0, request.trials),
        folds: request.folds,
        startedBy,
        tsEvent: now,
        tsInit: now,
      },
    ]);
    await this.leases.create(job, this.leaseOf(false));
    this.launch(job, "started");
    return (await this.get(job))!;
  }

  /** The job as its journal tells it; undefined for a job that never started. */
  async get(job: string): Promise<TrainingJob | undefined> {
    let state: TrainingJob | undefined;
    for await (const r of this.journalOf(job).read()) state = evolveTrainingJob(state, r.event as TrainingJobEvent);
    return state;
  }

  /** The jobs this cluster knows, newest first (the newest `limit` where given). */
  async list(limit?: number): Promise<TrainingJob[]> {
    // a job started here a moment ago may not have reached the watch yet
    const ids = new Set([...this.jobIds.keys(), ...this.running.keys()]);
    const jobs = await Promise.all([...ids].map((id) => this.get(id)));
    const newest = jobs.filter((j): j is TrainingJob => j !== undefined).sort((a, b) => b.startedAtUs - a.startedAtUs);
    return limit === undefined ? newest : newest.slice(0, limit);
  }

  /**
   * Cancels a running job from any node: journaled here (fenced, so retried while the job's own node appends
   * folds), and the node running it, hearing the event or losing the fence, kills its process.
   */
  async cancel(job: string, by: string): Promise<TrainingJob> {
    for (let tries = 1; ; tries++) {
      const journal = this.journalOf(job);
      let state: TrainingJob | undefined;
      for await (const r of journal.read()) state = evolveTrainingJob(state, r.event as TrainingJobEvent);
      if (!state) throw new TrainingRefused(`job: no training job ${job}`, "job");
      if (isFinished(state)) throw new TrainingRefused(`job: ${job} is ${state.phase} already`, "job");
      const now = this.clock.nowUs();
      try {
        await this.append(journal, [{ type: "TrainingJobCancelled", job, by, tsEvent: now, tsInit: now }]);
        break;
      } catch (e) {
        if (!(e instanceof FencingError) || tries >= 10) throw e;
      }
    }
    this.running.get(job)?.abort.abort();
    await this.running.get(job)?.done;
    await this.release(job);
    return (await this.get(job))!;
  }

  /** Calls back with each event the job journals from now on; returns the function that stops it. */
  watch(job: string, onEvent: (e: TrainingJobEvent) => void): () => void {
    const sub = this.nc.subscribe(subjects.evtOf(TRAINING_JOB_KIND, job), {
      callback: (err, m) => {
        if (err) return;
        const { message } = decodeMessage(m.data, m.headers, false);
        onEvent(message as unknown as TrainingJobEvent);
      },
    });
    return () => sub.unsubscribe();
  }

  /**
   * Takes over every unfinished job whose node stopped renewing its lease, from its last scored fold; with
   * `everyMs`, keeps doing so. Returns the jobs taken now.
   */
  async adoptOrphans(everyMs?: number): Promise<string[]> {
    if (everyMs !== undefined && !this.adoptTimer)
      this.adoptTimer = setInterval(() => void this.adoptOrphans().catch(() => undefined), everyMs);
    const taken: string[] = [];
    for (const job of this.jobIds.keys()) {
      if (this.running.has(job)) continue;
      const e = await this.leases.get(job);
      if (e?.operation !== "PUT") continue;
      const lease = JSON.parse(e.string()) as Lease;
      if (lease.finished || this.clock.nowUs() - lease.heartbeatUs < this.leaseMs * 1000) continue;
      try {
        await this.leases.update(job, this.leaseOf(false), e.revision);
      } catch {
        continue; // another node took it first
      }
      this.launch(job, `taken over from ${lease.node}`);
      taken.push(job);
    }
    return taken;
  }

  /** Resolves when the job's run on this node ends (at once where it does not run here). */
  async settled(job: string): Promise<void> {
    await this.running.get(job)?.done;
  }

  /** Stops this node's jobs without a word in their journals, as a node that dies would: for tests and drills. */
  async halt(): Promise<void> {
    clearInterval(this.adoptTimer);
    await this.jobIds.stop().catch(() => undefined);
    for (const r of this.running.values()) {
      clearInterval(r.heartbeat);
      r.cancelWatch.unsubscribe();
      r.abort.abort();
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    this.running.clear();
  }

  private launch(job: string, why: string): void {
    const abort = new AbortController();
    const heartbeat = setInterval(() => void this.renew(job, abort), Math.max(50, this.leaseMs / 3));
    const cancelWatch = this.nc.subscribe(subjects.evt(TRAINING_JOB_KIND, job, "TrainingJobCancelled"), {
      callback: () => abort.abort(),
    });
    // a run that cannot read its journal (NATS gone) leaves the job's lease to go stale: another node takes it over
    const done = this.supervise(job, why, abort.signal)
      .catch((e: unknown) => this.o.onError?.(job, errorMessage(e)))
      .finally(() => {
        clearInterval(heartbeat);
        cancelWatch.unsubscribe();
        if (this.running.get(job)?.abort === abort) this.running.delete(job);
      });
    this.running.set(job, { abort, heartbeat, cancelWatch, done });
  }

  /** Runs the process until the job ends, restarting a crashed one from the journal up to maxRestarts times. */
  private async supervise(job: string, why: string, signal: AbortSignal): Promise<void> {
    let reason = why;
    for (let crashes = 0; ; crashes++) {
      const journal = this.journalOf(job);
      let state: TrainingJob | undefined;
      for await (const r of journal.read()) state = evolveTrainingJob(state, r.event as TrainingJobEvent);
      if (!state || isFinished(state) || signal.aborted) return;
      try {
        await this.attempt(journal, state, reason, signal);
        await this.release(job);
        return;
      } catch (e) {
        // a fence lost means another writer (a cancel, a node that took the job) owns what comes next
        if (signal.aborted || e instanceof FencingError) return;
        reason = `the training process failed: ${errorMessage(e)}`;
        if (crashes >= (this.o.maxRestarts ?? 2)) {
          const now = this.clock.nowUs();
          await this.append(this.journalOf(job), [{ type: "TrainingJobFailed", job, reason, tsEvent: now, tsInit: now }]).catch(
            () => undefined,
          );
          await this.release(job);
          return;
        }
      }
    }
  }

  private async attempt(journal: Journal, state: TrainingJob, reason: string, signal: AbortSignal): Promise<void> {
    const job = state.job;
    const now = this.clock.nowUs();
    await this.append(journal, [
      { type: "TrainingProcessRestarted", job, attempt: state.attempts + 1, reason, node: this.o.node, tsEvent: now, tsInit: now },
    ]);
    const { manifest, rows } = await readDataset(state.request.dataset);
    if (manifest.sha256 !== state.datasetSha256)
      throw new Error(`dataset ${state.request.dataset} is now sha256 ${manifest.sha256}, the job started on ${state.datasetSha256}`);
    const embargoUs = state.request.embargoUs ?? barUs(manifest.barType) * manifest.label.horizonBars;
    const folds = purgedKFold(rows, state.folds, embargoUs);
    const dir = join(this.o.workDir ?? join(tmpdir(), "alphamind-training"), job);
    mkdirSync(dir, { recursive: true });
    const window = state.request.window;
    const featureSet =
      state.request.model === "seq"
        ? {
            name: `${BAR_FACTORS.name}-window`,
            version: BAR_FACTORS.version,
            features: Array.from({ length: window }, (_, b) => BAR_FACTORS.features.map((f) => `${f}_lag${window - 1 - b}`)).flat(),
            doc: { "<factor>_lagK": `factor of ${BAR_FACTORS.name} v${BAR_FACTORS.version}, K bars back (lag0 = the current bar)` },
          }
        : { name: BAR_FACTORS.name, version: BAR_FACTORS.version, features: [...BAR_FACTORS.features] };
    const spec = {
      model: state.request.model,
      seed: state.request.seed,
      window,
      rows: join(state.request.dataset, manifest.rowsFile),
      features: [...BAR_FACTORS.features],
      folds: folds.map((f) => ({ train: f.train, test: f.test })),
      trials: state.trials,
      done: state.scores.map((s) => ({ trial: s.trial, fold: s.fold, metrics: s.metrics })),
      name: state.name,
      version: state.version,
      dataset: manifest.dataset,
      out: dir,
      featureSet,
      // the lineage: a registered version names its dataset (by content hash) and the job that made it
      trainingData: {
        fromUs: manifest.range.fromUs,
        toUs: manifest.range.toUs,
        dataset: manifest.dataset,
        datasetSha256: manifest.sha256,
        instruments: manifest.instruments,
        barType: manifest.barType,
        label: manifest.label,
        source: manifest.source.kind,
        rows: manifest.rows,
        job,
        purgedFolds: state.folds,
        embargoUs,
        ...(state.request.model === "seq" ? { outputs: "q50, q10, q90 of the label's forward return" } : {}),
      },
      registeredBy: `training-job ${job}`,
    };
    const specFile = join(dir, "spec.json");
    await writeFile(specFile, JSON.stringify(spec));
    await runTrainer(specFile, (e) => this.onTrainerEvent(journal, state, e), signal);
  }

  private async onTrainerEvent(journal: Journal, state: TrainingJob, e: TrainerEvent): Promise<void> {
    const job = state.job;
    const now = this.clock.nowUs();
    if (e.event === "fold")
      await this.append(journal, [
        { type: "TrainingFoldScored", job, trial: e.trial, fold: e.fold, metrics: e.metrics, fitMs: e.fitMs, tsEvent: now, tsInit: now },
      ]);
    else if (e.event === "selected")
      await this.append(journal, [
        { type: "TrainingModelSelected", job, trial: e.trial, params: e.params, metrics: e.metrics, tsEvent: now, tsInit: now },
      ]);
    else {
      const card = ModelCard.parse(JSON.parse(readFileSync(e.card, "utf8")));
      const bytes = new Uint8Array(readFileSync(e.file));
      // a run that registered and died before journaling it finds its own version there: the same bytes count as done
      const there = (await this.registry.list()).find((m) => m.name === card.name && m.version === card.version);
      if (there && there.sha256 !== card.sha256)
        throw new Error(`model ${card.name} v${card.version} was registered by someone else meanwhile`);
      if (!there) await this.registry.register(card, bytes, `training-job ${job}`);
      await this.append(journal, [
        { type: "TrainingModelRegistered", job, name: card.name, version: card.version, sha256: card.sha256, tsEvent: now, tsInit: now },
      ]);
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

  private append(journal: Journal, events: TrainingJobEvent[]): Promise<number> {
    return journal.append(events, (e) => encodeMessage(e as unknown as Message).headers);
  }

  private leaseOf(finished: boolean): string {
    return JSON.stringify({ node: this.o.node, heartbeatUs: this.clock.nowUs(), finished } satisfies Lease);
  }

  /** Renews the job's lease; a lease another node holds now ends the run here. */
  private async renew(job: string, abort: AbortController): Promise<void> {
    try {
      const e = await this.leases.get(job);
      const lease = e?.operation === "PUT" ? (JSON.parse(e.string()) as Lease) : undefined;
      if (!e || lease?.node !== this.o.node) {
        abort.abort();
        return;
      }
      await this.leases.update(job, this.leaseOf(false), e.revision);
    } catch {
      // a missed renewal is retried by the next tick; a lost lease shows as another node's name
    }
  }

  private async release(job: string): Promise<void> {
    await this.leases.put(job, this.leaseOf(true));
  }
}
