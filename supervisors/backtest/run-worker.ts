/** A worker thread of BacktestRuns: runs one backtest (workerData) and posts its progress, then its result. */
import { parentPort, workerData } from "node:worker_threads";
import { errorMessage } from "../../actors/contract/index.ts";
import type { RunConfig } from "./run-config.ts";
import { runBacktest } from "./runner.ts";

const port = parentPort;
if (!port) throw new Error("run-worker.ts runs only as a worker thread");
const { config, baseDir } = workerData as { config: RunConfig; baseDir: string };
runBacktest(config, { baseDir, onProgress: (progress) => port.postMessage({ progress }) }).then(
  (result) => port.postMessage({ result }),
  (e: unknown) => port.postMessage({ error: errorMessage(e) }),
);
