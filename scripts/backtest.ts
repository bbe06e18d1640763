/**
 * `npx tsx scripts/backtest.ts <config.json>`: runs a backtest (supervisors/backtest) from a run configuration
 * (see scripts/examples/backtest.json), progress on stderr, the report as JSON on stdout. With `report.outDir`
 * the report's HTML and JSON (and events.jsonl with `report.journalFile`) are written there, relative to the
 * configuration file. With `--questdb <url>` the report and equity curve are stored in QuestDB (backtest_runs,
 * backtest_equity) under a new run id. With `--registry <nats-url>` a model of `features.models` that is not committed
 * in models/ is read from the model registry (its promoted version), so a model just trained and promoted is
 * backtested as the platform serves it.
 *
 * `npx tsx scripts/backtest.ts --sweep <sweep.json> [--workers N]`: a parameter sweep (grid or random, optionally
 * walk-forward; see scripts/examples/backtest-sweep.json) across worker threads, progress on stderr, the best
 * parameters with their in- and out-of-sample figures, the deflated Sharpe ratio and PBO as JSON on stdout. With
 * `--queue <nats-url>` the trials go to the JetStream work queue instead, taken by every node's sweep slots
 * (AM_BACKTEST_SWEEP_SLOTS) and by processes started with `--sweep-worker <nats-url> [--slots N]`.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { errorMessage } from "../actors/contract/index.ts";
import type { ModelFile } from "../actors/model/index.ts";
import { committedModelNames } from "../actors/model/index.ts";
import { ModelRegistry } from "../infra/models/index.ts";
import { connectNats } from "../infra/nats/index.ts";
import {
  declareSweepQueue,
  parseRunConfig,
  QueuedTrials,
  readSweepFile,
  runBacktest,
  runSweep,
  storeBacktestReport,
  SweepWorker,
  writeReportFiles,
} from "../supervisors/backtest/index.ts";

const usage =
  "usage: npx tsx scripts/backtest.ts <config.json> [--questdb <url>] [--registry <nats-url>] | --sweep <sweep.json> [--workers N | --queue <nats-url>] | --sweep-worker <nats-url> [--slots N]\n";
const args = process.argv.slice(2);
if (args[0] === "--sweep") {
  await sweepCommand(args.slice(1));
  process.exit(0);
}
if (args[0] === "--sweep-worker") {
  await sweepWorkerCommand(args.slice(1));
  process.exit(0);
}
const path = args[0];
const qi = args.indexOf("--questdb");
const questdbUrl = qi >= 0 ? args[qi + 1] : undefined;
const ri = args.indexOf("--registry");
const registryUrl = ri >= 0 ? args[ri + 1] : undefined;
if (!path || (qi >= 0 && !questdbUrl) || (ri >= 0 && !registryUrl)) {
  process.stderr.write(usage);
  process.exit(2);
}
try {
  const file = resolve(path);
  const base = dirname(file);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${errorMessage(e)}`);
  }
  const config = parseRunConfig(doc);
  const outDir = config.report.outDir ? resolve(base, config.report.outDir) : undefined;
  const span = config.end - config.start;
  let last = 0;
  const models = registryUrl ? await registeredModels(registryUrl, config.features?.models ?? []) : undefined;
  const result = await runBacktest(config, {
    baseDir: base,
    ...(models ? { models } : {}),
    ...(outDir && config.report.journalFile ? { journalPath: join(outDir, "events.jsonl") } : {}),
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 500 && p.simulatedUs < p.endUs - 1) return;
      last = now;
      const done = Math.min(100, ((p.simulatedUs - p.startUs) / span) * 100);
      process.stderr.write(`[backtest] ${done.toFixed(1)}% ${new Date(p.simulatedUs / 1000).toISOString()} ${p.records} records\n`);
    },
  });
  if (outDir) {
    const files = await writeReportFiles(outDir, result);
    process.stderr.write(`[backtest] report: ${files.html}\n`);
  }
  if (questdbUrl) {
    const runId = randomUUID();
    await storeBacktestReport(questdbUrl, runId, result, Date.now() * 1000);
    process.stderr.write(`[backtest] stored in QuestDB as run ${runId} (backtest_runs, backtest_equity)\n`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  process.stderr.write(`backtest: ${errorMessage(e)}\n`);
  process.exit(1);
}

async function sweepCommand(rest: string[]): Promise<void> {
  const path = rest[0];
  const w = rest.indexOf("--workers");
  const workers = w >= 0 ? Number(rest[w + 1]) : undefined;
  const q = rest.indexOf("--queue");
  const queue = q >= 0 ? rest[q + 1] : undefined;
  if (!path || (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) || (q >= 0 && !queue)) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const nc = queue ? await connectNats(queue, "backtest-sweep") : undefined;
  try {
    const { sweep, run, baseDir } = await readSweepFile(path);
    if (nc) await declareSweepQueue(nc);
    let last = 0;
    const report = await runSweep(sweep, run, {
      baseDir,
      ...(workers !== undefined ? { workers } : {}),
      // the report's workers: 0, the queue's, however many there are
      ...(nc ? { trials: new QueuedTrials(nc, 0) } : {}),
      onProgress: (p) => {
        const now = Date.now();
        if (now - last < 500 && p.done < p.total) return;
        last = now;
        const best = p.best ? ` best ${sweep.objective} ${p.best.objective.toFixed(4)} ${JSON.stringify(p.best.parameters)}` : "";
        process.stderr.write(`[sweep] ${p.phase} ${p.done}/${p.total} trials${best}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (e) {
    process.stderr.write(`backtest --sweep: ${errorMessage(e)}\n`);
    process.exit(1);
  } finally {
    await nc?.close();
  }
}

/** Takes sweep trials from the work queue until interrupted (SIGINT/SIGTERM finish the trials running first). */
async function sweepWorkerCommand(rest: string[]): Promise<void> {
  const url = rest[0];
  const s = rest.indexOf("--slots");
  const slots = s >= 0 ? Number(rest[s + 1]) : 1;
  if (!url || !(Number.isInteger(slots) && slots >= 1)) {
    process.stderr.write(usage);
    process.exit(2);
  }
  try {
    const nc = await connectNats(url, "backtest-sweep-worker");
    await declareSweepQueue(nc);
    const worker = await SweepWorker.start(nc, {
      slots,
      onTrialStarted: (x) => process.stderr.write(`[sweep-worker] trial ${x.id} of sweep ${x.sweep} (delivery ${x.delivery})\n`),
      onError: (e) => process.stderr.write(`[sweep-worker] a slot failed, its trial goes back to the queue: ${errorMessage(e)}\n`),
    });
    process.stderr.write(`[sweep-worker] ${worker.name} taking trials, ${slots} at a time\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await worker.stop();
    await nc.close();
  } catch (e) {
    process.stderr.write(`backtest --sweep-worker: ${errorMessage(e)}\n`);
    process.exit(1);
  }
}

/** The promoted version of each named model that is not committed in models/, read from the registry at `url`. */
async function registeredModels(url: string, names: readonly string[]): Promise<Map<string, ModelFile>> {
  const committed = new Set(committedModelNames());
  const wanted = names.filter((n) => !committed.has(n));
  const out = new Map<string, ModelFile>();
  if (!wanted.length) return out;
  const nc = await connectNats(url, "backtest-models");
  try {
    const registry = await ModelRegistry.open(nc);
    for (const name of wanted) {
      const { card, bytes } = await registry.get(name).catch((e: unknown) => {
        throw new Error(`features.models: ${errorMessage(e)} (registry at ${url})`);
      });
      process.stderr.write(`[backtest] model ${name} v${card.version} from the registry (sha256 ${card.sha256.slice(0, 12)}…)\n`);
      out.set(name, { card, bytes });
    }
  } finally {
    await nc.close();
  }
  return out;
}
