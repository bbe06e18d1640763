/**
 * `npx tsx scripts/backtest.ts <config.json>`: runs a backtest (supervisors/backtest) from a run configuration
 * (see scripts/examples/backtest.json), progress on stderr, the report as JSON on stdout. With `report.outDir`
 * the report's HTML and JSON (and events.jsonl with `report.journalFile`) are written there, relative to the
 * configuration file.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { errorMessage } from "../actors/contract/index.ts";
import { parseRunConfig, runBacktest, writeReportFiles } from "../supervisors/backtest/index.ts";

const path = process.argv[2];
if (!path) {
  process.stderr.write("usage: npx tsx scripts/backtest.ts <config.json>\n");
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
  const result = await runBacktest(config, {
    baseDir: base,
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
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  process.stderr.write(`backtest: ${errorMessage(e)}\n`);
  process.exit(1);
}
