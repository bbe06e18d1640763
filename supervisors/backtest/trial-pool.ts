import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { TrialOutcome, TrialRequest } from "./trial.ts";
import { typescriptWorker } from "./worker-thread.ts";

export const defaultWorkers = (): number => Math.max(1, availableParallelism() - 1);

type Reply = { ready: true } | { id: number; outcome: TrialOutcome } | { id: number; error: string };

/** Worker threads that each run whole backtests. */
export class TrialPool {
  private constructor(private readonly workers: Worker[]) {}

  static async open(size: number): Promise<TrialPool> {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers must be a whole number of at least 1, got ${size}`);
    const workers = Array.from({ length: size }, () => typescriptWorker(new URL("./trial-worker.ts", import.meta.url)));
    const pool = new TrialPool(workers);
    try {
      await Promise.all(workers.map((w) => pool.listen(w, () => true)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /**
   * Listens to a worker until `onMessage` says it is done. Only our own listeners are taken off again: the Worker
   * keeps internal ones that start its message port.
   */
  private listen(w: Worker, onMessage: (m: Reply) => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const off = (): void => {
        w.off("message", message);
        w.off("error", error);
        w.off("exit", exit);
      };
      const message = (m: Reply): void => {
        try {
          if (onMessage(m)) {
            off();
            resolve();
          }
        } catch (e) {
          off();
          reject(e);
        }
      };
      const error = (e: Error): void => {
        off();
        reject(e);
      };
      const exit = (code: number): void => {
        off();
        reject(new Error(`a trial worker exited with ${code}`));
      };
      w.on("message", message);
      w.on("error", error);
      w.on("exit", exit);
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every request; outcomes come back in request order; the first failure stops handing out more and rejects. */
  async run(requests: readonly TrialRequest[], onDone?: (outcome: TrialOutcome) => void): Promise<TrialOutcome[]> {
    const outcomes = new Array<TrialOutcome>(requests.length);
    const at = new Map(requests.map((r, i) => [r.id, i]));
    let next = 0;
    let failed = false;
    // each worker takes the next request when it answers, until none are left or one failed
    const drive = (w: Worker): Promise<void> => {
      if (next >= requests.length) return Promise.resolve();
      w.postMessage(requests[next++]);
      return this.listen(w, (m) => {
        if (!("id" in m)) return false;
        const i = at.get(m.id)!;
        if ("error" in m) {
          failed = true;
          throw new Error(`trial ${m.id} (${JSON.stringify(requests[i]!.config.strategies.map((s) => s.parameters))}): ${m.error}`);
        }
        outcomes[i] = m.outcome;
        onDone?.(m.outcome);
        if (failed || next >= requests.length) return true;
        w.postMessage(requests[next++]);
        return false;
      });
    };
    await Promise.all(this.workers.map(drive));
    return outcomes;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
