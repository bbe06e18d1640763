import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The Python the set-up installs the training toolchain into (scripts/models/setup-python.sh). */
export function trainingPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AM_PYTHON) return env.AM_PYTHON;
  const cache = env.AM_CACHE_DIR?.replace(/^~/, homedir()) ?? join(homedir(), ".cache", "alphamind");
  return join(env.AM_PYTHON_VENV ?? join(cache, "python"), "bin", "python");
}

export const trainingPythonReady = (env: NodeJS.ProcessEnv = process.env): boolean => existsSync(trainingPython(env));

export const FIT_SCRIPT = new URL("../../scripts/models/fit_forecaster.py", import.meta.url).pathname;

/** One line fit_forecaster.py prints on stdout. */
export type TrainerEvent =
  | { event: "fold"; trial: number; fold: number; metrics: Record<string, number>; fitMs: number }
  | { event: "selected"; trial: number; params: Record<string, number>; metrics: Record<string, number> }
  | { event: "exported"; file: string; card: string; sha256: string; bytes: number; fitMs: number };

export class TrainerExited extends Error {
  override name = "TrainerExited";
}

/**
 * Runs fit_forecaster.py on a spec file, handing each event line to `onEvent` in order (awaited, so the caller
 * journals a fold before the next is read). Aborting kills the process (SIGTERM, then SIGKILL after a second).
 * Resolves when the process exits 0; rejects with its stderr's last lines otherwise, or when it was aborted.
 */
export function runTrainer(specFile: string, onEvent: (e: TrainerEvent) => Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // one BLAS thread: the machine's cores belong to the node's actors too
    const child = spawn(trainingPython(), [FIT_SCRIPT, specFile], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4_000);
    });
    const kill = () => {
      child.kill("SIGTERM");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 1_000).unref();
    };
    if (signal.aborted) kill();
    signal.addEventListener("abort", kill, { once: true });
    let chain = Promise.resolve();
    let failed: Error | undefined;
    createInterface({ input: child.stdout }).on("line", (line) => {
      chain = chain.then(async () => {
        if (failed) return;
        let e: TrainerEvent;
        try {
          e = JSON.parse(line) as TrainerEvent;
        } catch {
          failed = new TrainerExited(`the trainer printed a line that is not JSON: ${line.slice(0, 200)}`);
          kill();
          return;
        }
        await onEvent(e).catch((err: unknown) => {
          failed = err instanceof Error ? err : new Error(String(err));
          kill();
        });
      });
    });
    child.on("error", (e) => reject(new TrainerExited(`${trainingPython()}: ${e.message} (run bash scripts/models/setup-python.sh)`)));
    child.on("close", (code, sig) => {
      signal.removeEventListener("abort", kill);
      void chain.then(() => {
        if (failed) reject(failed);
        else if (signal.aborted) reject(new TrainerExited("cancelled"));
        else if (code === 0) resolve();
        else reject(new TrainerExited(`the trainer exited ${code ?? sig}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
      });
    });
  });
}
