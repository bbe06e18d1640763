/** A worker thread of the trial pool: runs whole backtests, one request at a time, and answers each by its id. */
import { parentPort } from "node:worker_threads";
import { errorMessage } from "../../actors/contract/index.ts";
import { runTrial, type TrialRequest } from "./trial.ts";

const port = parentPort;
if (!port) throw new Error("trial-worker.ts runs only as a worker thread");
port.on("message", (req: TrialRequest) => {
  runTrial(req).then(
    (outcome) => port.postMessage({ id: req.id, outcome }),
    (e: unknown) => port.postMessage({ id: req.id, error: errorMessage(e) }),
  );
});
port.postMessage({ ready: true });
