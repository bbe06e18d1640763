import { Worker } from "node:worker_threads";
import type { LogLevel } from "../../infra/telemetry/index.ts";

export interface RecorderThreadOptions {
  natsUrl: string;
  questdbUrl: string;
  node: string;
  logLevel: LogLevel;
}

export interface RecorderThread {
  stop(): Promise<void>;
}

/**
 * The recorder (infra/questdb Recorder) on its own worker thread and NATS connection. At market data rates it
 * decodes and writes every message; on the node's main thread that work delayed the placement's lease renewals
 * and the admin API, so it runs beside them instead. Resolves once its consumers are declared and pulling.
 */
export async function startRecorderThread(o: RecorderThreadOptions): Promise<RecorderThread> {
  const w = new Worker(new URL("../cells/boot.mjs", import.meta.url), {
    workerData: { entry: new URL("./recorder-worker.ts", import.meta.url).href, ...o },
  });
  const exited = new Promise<number>((resolve) => w.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    w.once("error", reject);
    w.on("message", (m: { t: string; error?: string }) => {
      if (m.t === "ready") resolve();
      else if (m.t === "failed") reject(new Error(`recorder did not start: ${m.error}`));
    });
    void exited.then((code) => reject(new Error(`recorder thread exited with code ${code} while starting`)));
  });
  return {
    async stop() {
      w.postMessage({ t: "stop" });
      const timeout = setTimeout(() => void w.terminate(), 10_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
