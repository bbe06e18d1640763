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
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errorMessage } from "../actors/contract/index.ts";
import { buildDataset, parseDatasetConfig, readDataset, validateRidge } from "../supervisors/research/index.ts";

const usage =
  "usage: npx tsx scripts/research.ts dataset <config.json>\n" +
  "       npx tsx scripts/research.ts validate <dataset-dir> [--folds N] [--groups N] [--test-groups K] [--embargo 5m] [--lambda X] [--windows N]\n";

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

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
}

function integerOption(args: string[], name: string, fallback: number): number {
  const v = option(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${v}`);
  return n;
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

const [command, target, ...rest] = process.argv.slice(2);
try {
  if (command === "dataset" && target) await datasetCommand(target);
  else if (command === "validate" && target) await validateCommand(target, rest);
  else {
    process.stderr.write(usage);
    process.exit(2);
  }
} catch (e) {
  process.stderr.write(`research: ${errorMessage(e)}\n`);
  process.exit(1);
}
