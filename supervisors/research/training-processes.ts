import { mkdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import { BAR_FACTORS } from "../../actors/domain/index.ts";
import { ModelCard } from "../../actors/model/index.ts";
import { TRAINING_JOB_KIND, type TrainerPort, type TrainerReport, type TrainingJob } from "../../actors/training-job/index.ts";
import type { ModelRegistry } from "../../infra/models/index.ts";
import { encodeMessage } from "../../infra/nats/index.ts";
import { readDataset } from "./dataset-files.ts";
import { purgedKFold } from "./purged-cv.ts";
import { runTrainer, type TrainerEvent } from "./python-trainer.ts";

const BAR_UNIT_US: Record<string, number> = { s: 1_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000 };
const barUs = (barType: string): number => {
  const m = /^(\d+)([smhd])$/.exec(barType);
  return m ? Number(m[1]) * BAR_UNIT_US[m[2]!]! : 0;
};

export interface TrainingProcessesOptions {
  /** where spec files and exported models go (default: the OS temp folder) */
  workDir?: string;
  /** the registry the winners go to, opened on the first registration */
  registry: () => Promise<ModelRegistry>;
  /** a run whose actor has not kept it alive for this long is killed (default 15 s) */
  staleMs?: number;
}

interface Run {
  attempt: number;
  abort: AbortController;
  aliveAt: number;
}

/**
 * The node's side of the training job actors (their TrainerPort): runs scripts/models/fit_forecaster.py for each,
 * one process per job, and tells the job's actor each line the process prints, on its command subject. A run its
 * actor stopped keeping alive is killed, as is every run when the node closes.
 */
export class TrainingProcesses implements TrainerPort {
  private readonly runs = new Map<string, Run>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly staleMs: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly o: TrainingProcessesOptions,
  ) {
    this.staleMs = o.staleMs ?? 15_000;
    this.watchdog = setInterval(
      () => {
        const now = Date.now();
        for (const [job, r] of this.runs) {
          if (now - r.aliveAt <= this.staleMs) continue;
          this.end(job, r);
          // heard only by an actor still running this attempt (a starved thread, not a move): it restarts the run
          this.tell(job, {
            type: "TrainerStopped",
            attempt: r.attempt,
            ok: false,
            reason: `not kept alive by its actor for ${this.staleMs} ms`,
          });
        }
      },
      Math.max(100, this.staleMs / 4),
    );
    this.watchdog.unref();
  }

  start(job: TrainingJob, attempt: number): void {
    const old = this.runs.get(job.job);
    if (old) this.end(job.job, old);
    const run: Run = { attempt, abort: new AbortController(), aliveAt: Date.now() };
    this.runs.set(job.job, run);
    // a run killed here says nothing more, whatever it printed before it died
    const tell = (r: Record<string, unknown> & { type: TrainerReport["type"] }) =>
      run.abort.signal.aborted ? undefined : this.tell(job.job, { ...r, attempt });
    this.run(job, run, tell)
      .then(
        () => tell({ type: "TrainerStopped", ok: true, reason: "exited 0" }),
        (e: unknown) => {
          if (!run.abort.signal.aborted) tell({ type: "TrainerStopped", ok: false, reason: errorMessage(e) });
        },
      )
      .finally(() => {
        if (this.runs.get(job.job) === run) this.runs.delete(job.job);
      });
  }

  keepAlive(job: string, attempt: number): void {
    const r = this.runs.get(job);
    if (r?.attempt === attempt) r.aliveAt = Date.now();
  }

  kill(job: string): void {
    const r = this.runs.get(job);
    if (r) this.end(job, r);
  }

  register(job: TrainingJob, attempt: number, file: string, cardFile: string): void {
    void (async () => {
      const card = ModelCard.parse(JSON.parse(readFileSync(cardFile, "utf8")));
      const bytes = new Uint8Array(readFileSync(file));
      const registry = await this.o.registry();
      // a run that registered and died before journaling it finds its own version there: the same bytes count as done
      const there = (await registry.list()).find((m) => m.name === card.name && m.version === card.version);
      if (there && there.sha256 !== card.sha256)
        throw new Error(`model ${card.name} v${card.version} was registered by someone else meanwhile`);
      if (!there) await registry.register(card, bytes, `training-job ${job.job}`);
      return card;
    })().then(
      (card) =>
        this.tell(job.job, { type: "TrainerModelRegistered", attempt, name: card.name, version: card.version, sha256: card.sha256 }),
      (e: unknown) => this.tell(job.job, { type: "TrainerStopped", attempt, ok: false, reason: `registration: ${errorMessage(e)}` }),
    );
  }

  /** Kills every run here: the node is going away. */
  close(): void {
    clearInterval(this.watchdog);
    for (const [job, r] of this.runs) this.end(job, r);
  }

  private end(job: string, r: Run): void {
    r.abort.abort();
    if (this.runs.get(job) === r) this.runs.delete(job);
  }

  private tell(job: string, m: { type: string; [k: string]: unknown }): void {
    if (this.nc.isClosed()) return;
    const { data, headers } = encodeMessage(m);
    this.nc.publish(subjects.cmd(TRAINING_JOB_KIND, job), data, { headers });
  }

  /** Writes the run's spec (the folds decided here, so Python never decides what leaks) and runs the process. */
  private async run(
    state: TrainingJob,
    run: Run,
    tell: (r: Record<string, unknown> & { type: TrainerReport["type"] }) => void,
  ): Promise<void> {
    const job = state.job;
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
    const specFile = join(dir, `spec-${run.attempt}.json`);
    await writeFile(specFile, JSON.stringify(spec));
    await runTrainer(specFile, async (e: TrainerEvent) => tell(reportOf(e)), run.abort.signal);
  }
}

function reportOf(e: TrainerEvent): Record<string, unknown> & { type: TrainerReport["type"] } {
  if (e.event === "fold") return { type: "TrainerFoldScored", trial: e.trial, fold: e.fold, metrics: e.metrics, fitMs: e.fitMs };
  if (e.event === "selected") return { type: "TrainerModelSelected", trial: e.trial, params: e.params, metrics: e.metrics };
  return { type: "TrainerModelExported", file: e.file, card: e.card };
}
