/**
 * `npx tsx scripts/research.ts dataset <config.json>`: builds a research dataset (supervisors/research) from bars
 * recorded in QuestDB or from the seeded simulator (see scripts/examples/research-dataset.json): rows.jsonl and
 * manifest.json in the config's `out` folder (relative to the config file), progress on stderr, the manifest as one
 * JSON line on stdout.
 *
 * `npx tsx scripts/research.ts validate <dataset-dir> [--folds 5] [--groups 6] [--test-groups 2] [--embargo 5m]
 * [--lambda 0.001] [--windows 4]`: purged k-fold, combinatorial purged CV and walk-forward of a ridge forecaster of
 * the rows' forward return;
 * a table on stderr, the report as one JSON line on stdout. The embargo defaults to the label's horizon in bars.
 *
 * `npx tsx scripts/research.ts train <dataset-dir> [--model gbt|seq] [--name N] [--folds 4] [--trials 4] [--window 8]
 * [--embargo 5m] [--seed 7]`: a training job (an actor of the kind training-job, run by the platform's nodes):
 * a hyperparameter search over purged folds in Python, journaled on am.evt.training-job.<job>.*, the winner
 * registered (not promoted); a progress bar on stderr, the job as one JSON line on stdout.
 *
 * `npx tsx scripts/research.ts retrain <dataset-dir> [the train options] [--shadow 30s]`: trains a candidate once
 * and promotes it only if it beats the live version out of sample (with --shadow, after a shadow run beside it); the
 * outcome is one JSON line on stdout. A rolling retrain on a schedule runs in the platform: `scripts/admin.ts retrain`.
 * Both connect to AM_NATS_URL (or AM_HOST:AM_NATS_PORT) as the `node` user.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errorMessage, storedSubject, subjects } from "../actors/contract/index.ts";
import { loadConfig } from "../infra/config/index.ts";
import { ModelRegistry } from "../infra/models/index.ts";
import { connectNats, decodeMessage, natsClientOf } from "../infra/nats/index.ts";
import { integerOption, option } from "./cli-options.ts";
import {
  buildDataset,
  parseDatasetConfig,
  progressOf,
  readDataset,
  retrainOnce,
  type TrainingJob,
  type TrainingJobEvent,
  TRAINING_JOB_KIND,
  TrainingJobs,
  type TrainingRequestInput,
  validateRidge,
} from "../supervisors/research/index.ts";

const usage =
  "usage: npx tsx scripts/research.ts dataset <config.json>\n" +
  "       npx tsx scripts/research.ts validate <dataset-dir> [--folds N] [--groups N] [--test-groups K] [--embargo 5m] [--lambda X] [--windows N]\n" +
  "       npx tsx scripts/research.ts train <dataset-dir> [--model gbt|seq] [--name N] [--folds N] [--trials N] [--window N] [--embargo 5m] [--seed N]\n" +
  "       npx tsx scripts/research.ts retrain <dataset-dir> [the train options] [--shadow 30s]\n";

const UNIT_US: Record<string, number> = { ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000 };

/** "5m" → µs; a bar type or an embargo. Tick and volume bars have no duration. */
function durationUs(text: string, what: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d|t|v)$/.exec(text);
  if (!m) throw new Error(`${what} ${JSON.stringify(text)} must be a number and a unit, e.g. 5m`);
  const unit = UNIT_US[m[2]!];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

async function datasetCommand(path: string): Promise<void> {
  const file = resolve(path);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${errorMessage(e)}`);
  }
  const config = parseDatasetConfig(doc);
  const span = config.to - config.from;
  let last = 0;
  const { dir, manifest } = await buildDataset(config, {
    baseDir: dirname(file),
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 500) return;
      last = now;
      const done = Math.min(100, Math.max(0, ((p.atUs - config.from) / span) * 100));
      process.stderr.write(`[dataset] ${done.toFixed(1)}% ${new Date(p.atUs / 1000).toISOString()} ${p.bars} bars ${p.rows} rows\n`);
    },
  });
  process.stderr.write(`[dataset] ${manifest.rows} rows in ${dir} (sha256 ${manifest.sha256})\n`);
  process.stdout.write(`${JSON.stringify(manifest)}\n`);
}

async function validateCommand(dir: string, args: string[]): Promise<void> {
  const { manifest, rows } = await readDataset(resolve(dir));
  const barUs = durationUs(manifest.barType, "barType");
  const embargoText = option(args, "--embargo");
  const embargoUs = embargoText !== undefined ? (durationUs(embargoText, "--embargo") ?? 0) : (barUs ?? 0) * manifest.label.horizonBars;
  const lambdaText = option(args, "--lambda");
  const lambda = lambdaText === undefined ? 1e-3 : Number(lambdaText);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const report = validateRidge(
    rows,
    {
      folds: integerOption(args, "--folds", 5),
      groups: integerOption(args, "--groups", 6),
      testGroups: integerOption(args, "--test-groups", 2),
      embargoUs,
      lambda,
      walkForwardWindows: integerOption(args, "--windows", 4),
    },
    (p) => process.stderr.write(`[validate] split ${p.done}/${p.total}\n`),
  );
  const cpu = process.cpuUsage(cpu0);
  const line = (name: string, m: { ic: number; rankIc: number; hitRate: number; rmse: number; samples: number }, extra = "") =>
    `${name.padEnd(10)} ic ${m.ic.toFixed(4).padStart(8)}  rankIc ${m.rankIc.toFixed(4).padStart(8)}  hit ${m.hitRate.toFixed(4)}  rmse ${m.rmse.toExponential(3)}  n ${m.samples}${extra}\n`;
  process.stderr.write(
    `[validate] ${manifest.dataset}: ${rows.length} rows, ${manifest.featureSet.name} v${manifest.featureSet.version}, label ${manifest.label.kind} ${manifest.label.horizonBars} bars, embargo ${embargoUs / 1e6} s\n`,
  );
  for (const f of report.kFold.folds) process.stderr.write(line(`fold ${f.fold}`, f.metrics, `  train ${f.train} purged ${f.purged}`));
  process.stderr.write(line("pooled", report.kFold.pooled));
  for (const p of report.cpcv.paths) process.stderr.write(line(`path ${p.path}`, p.metrics));
  process.stderr.write(
    `[validate] CPCV ${report.cpcv.splits} splits, ${report.cpcv.paths.length} paths: IC ${report.cpcv.meanIc} ± ${report.cpcv.icDeviation}\n`,
  );
  for (const w of report.walkForward.windows) process.stderr.write(line(`window ${w.window}`, w.metrics, `  train ${w.train}`));
  process.stderr.write(line("walk-fwd", report.walkForward.stitched));
  const timing = { wallMs: Math.round(performance.now() - wall0), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  process.stdout.write(`${JSON.stringify({ dataset: manifest.dataset, sha256: manifest.sha256, ...report, ...timing })}\n`);
}

/** The training request the train and retrain options describe; the jobs check it and name a bad field. */
function trainingRequest(dir: string, args: string[]): TrainingRequestInput {
  const embargo = option(args, "--embargo");
  const name = option(args, "--name");
  const integer = (flag: string) => (option(args, flag) === undefined ? {} : { [flag.slice(2)]: integerOption(args, flag, 0) });
  return {
    dataset: resolve(dir),
    model: (option(args, "--model") ?? "gbt") as "gbt" | "seq",
    ...(name !== undefined ? { name } : {}),
    ...(embargo !== undefined ? { embargoUs: durationUs(embargo, "--embargo") ?? 0 } : {}),
    ...integer("--folds"),
    ...integer("--trials"),
    ...integer("--window"),
    ...integer("--seed"),
  };
}

/** One line per event: a bar of the folds scored, the fold's out-of-sample figures. */
function progressLine(job: TrainingJob, e: TrainingJobEvent): string {
  const share = progressOf(job);
  const bar = "#".repeat(Math.round(share * 30)).padEnd(30, ".");
  const head = `[train] ${job.job} [${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${job.scores.length}/${job.trials.length * job.folds} folds`;
  const figures = (m: Record<string, number>) =>
    Object.entries(m)
      .filter(([k]) => k !== "samples" && k !== "rmse")
      .map(([k, v]) => `${k} ${Math.abs(v) < 0.01 && v !== 0 ? v.toPrecision(3) : v.toFixed(4)}`)
      .join("  ");
  switch (e.type) {
    case "TrainingFoldScored":
      return `${head}  trial ${e.trial} fold ${e.fold}: ${figures(e.metrics)}  (${e.fitMs} ms)\n`;
    case "TrainingModelSelected":
      return `${head}  selected trial ${e.trial} ${JSON.stringify(e.params)}: ${figures(e.metrics)}\n`;
    case "TrainingModelRegistered":
      return `${head}  registered ${e.name} v${e.version}\n`;
    case "TrainingProcessRestarted":
      return `${head}  process ${e.attempt} on ${e.node} (${e.reason})\n`;
    default:
      return `${head}  ${e.type}\n`;
  }
}

async function withJobs<T>(
  run: (x: { nc: Awaited<ReturnType<typeof connectNats>>; jobs: TrainingJobs; registry: ModelRegistry }) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const nc = await connectNats(config.natsUrl ?? `nats://${config.host}:${config.natsPort}`, "alphamind-research-cli", {
    ...natsClientOf(config),
    role: "node",
  });
  try {
    const registry = await ModelRegistry.open(nc);
    const jobs = await TrainingJobs.open(nc, registry);
    return await run({ nc, jobs, registry });
  } finally {
    await nc.close();
  }
}

/** Prints each event of the jobs this process runs as a progress line. */
function showProgress(nc: Awaited<ReturnType<typeof connectNats>>, jobs: TrainingJobs): () => void {
  const sub = nc.subscribe(storedSubject(subjects.evtAll(TRAINING_JOB_KIND)));
  void (async () => {
    for await (const m of sub) {
      const id = m.subject.split(".")[3]!;
      const job = await jobs.get(id);
      const event = decodeMessage(m.data, m.headers, false).message as unknown as TrainingJobEvent;
      if (job) process.stderr.write(progressLine(job, event));
    }
  })();
  return () => sub.unsubscribe();
}

async function trainCommand(dir: string, args: string[]): Promise<void> {
  await withJobs(async ({ nc, jobs }) => {
    const stop = showProgress(nc, jobs);
    const wall0 = performance.now();
    const started = await jobs.start(trainingRequest(dir, args), process.env.USER ?? "research-cli");
    await jobs.settled(started.job);
    stop();
    const job = (await jobs.get(started.job))!;
    const fitMs = job.scores.reduce((a, s) => a + s.fitMs, 0);
    process.stdout.write(`${JSON.stringify({ ...job, wallMs: Math.round(performance.now() - wall0), foldFitMs: fitMs })}\n`);
    if (job.phase !== "registered") throw new Error(`job ${job.job} ended ${job.phase}${job.error ? `: ${job.error}` : ""}`);
  });
}

async function retrainCommand(dir: string, args: string[]): Promise<void> {
  // a schedule runs in the platform now: defined in KV through the admin API, run by a node, surviving node loss
  if (option(args, "--every") !== undefined)
    throw new Error("--every: a rolling retrain is defined in the platform: scripts/admin.ts retrain define <name> '<json>'");
  const shadow = option(args, "--shadow");
  const options = shadow === undefined ? {} : { shadowMs: (durationUs(shadow, "--shadow") ?? 0) / 1000 };
  const request = trainingRequest(dir, args);
  const startedBy = process.env.USER ?? "research-cli";
  await withJobs(async ({ nc, jobs, registry }) => {
    const stop = showProgress(nc, jobs);
    process.stdout.write(`${JSON.stringify(await retrainOnce(nc, jobs, registry, request, startedBy, options))}\n`);
    stop();
  });
}

const [command, target, ...rest] = process.argv.slice(2);
try {
  if (command === "dataset" && target) await datasetCommand(target);
  else if (command === "validate" && target) await validateCommand(target, rest);
  else if (command === "train" && target) await trainCommand(target, rest);
  else if (command === "retrain" && target) await retrainCommand(target, rest);
  else {
    process.stderr.write(usage);
    process.exit(2);
  }
} catch (e) {
  process.stderr.write(`research: ${errorMessage(e)}\n`);
  process.exit(1);
}
