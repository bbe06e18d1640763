import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { errorMessage } from "../../actors/contract/index.ts";
import { parseRunConfig, type RunConfig } from "./run-config.ts";
import { parseSweep, type Sweep, SweepError } from "./sweep-config.ts";

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new SweepError(`${what} ${file}: ${errorMessage(e)}`);
  }
}

/**
 * A sweep file and the run configuration it names (relative to the sweep file). The run's own files are relative
 * to the run configuration, so `baseDir` is its folder.
 */
export async function readSweepFile(path: string): Promise<{ sweep: Sweep; run: RunConfig; baseDir: string }> {
  const file = resolve(path);
  const doc = await readJson(file, "sweep file");
  let sweep: Sweep;
  try {
    sweep = parseSweep(doc);
  } catch (e) {
    throw new SweepError(`${file}: ${errorMessage(e)}`);
  }
  const runFile = resolve(dirname(file), sweep.run);
  const runDoc = await readJson(runFile, "sweep run");
  let run: RunConfig;
  try {
    run = parseRunConfig(runDoc);
  } catch (e) {
    throw new SweepError(`sweep run ${runFile}: ${errorMessage(e)}`);
  }
  return { sweep, run, baseDir: dirname(runFile) };
}
