/**
 * The `models` bench's callers, on a thread of their own: a model actor's callers are other actors and services, not
 * the actor's own thread, so the load they make (encoding, sending, reading answers, timing) does not count against
 * the thread that serves them. Started by `predictLoad`; the worker entry is this file.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { PredictClient } from "../../../infra/models/index.ts";
import { connectNats } from "../../../infra/nats/connect.ts";

/** Closed loop (each caller sends its next Predict when its answer arrives) or open loop (a rate per model). */
export type Load = { callers: number } | { perSecond: Record<string, number> };

export interface LoadSpec {
  natsUrl: string;
  /** model name → input width */
  models: Record<string, number>;
  load: Load;
  /** the load runs this long before it is measured */
  warmupSeconds: number;
  seconds: number;
}

export interface LoadResult {
  perSec: Record<string, number>;
  p99Us: Record<string, number>;
  p50Us: Record<string, number>;
  meanBatch: Record<string, number>;
  errors: number;
}

/** A row for model `name` of `width` values; the gbt models' fifth factor is a volume ratio near 1. */
export const rowFor = (name: string, width: number, k: number): number[] =>
  Array.from({ length: width }, (_, i) => (((k + i) % 17) - 8) * 1e-3 + (i === 4 && name.startsWith("gbt") ? 1 : 0));

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? 0;
};

/** Runs the load in a worker thread and gives its figures; `measuring` is called as the warm-up ends. */
export function predictLoad(spec: LoadSpec, measuring: () => void = () => {}): Promise<LoadResult> {
  const worker = new Worker(new URL("../../../supervisors/cells/boot.mjs", import.meta.url), {
    workerData: { entry: import.meta.url, spec },
  });
  return new Promise((resolve, reject) => {
    worker.on("message", (m: { measuring?: true; result?: LoadResult; error?: string }) => {
      if (m.measuring) measuring();
      else if (m.result) resolve(m.result);
      else reject(new Error(`predict load failed: ${m.error}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`predict load thread exited with code ${code}`)));
  });
}

/** Predicts to `n` at `rate` a second until `end`, open loop (sent on a 1 ms schedule, not when answers arrive). */
async function paced(
  client: PredictClient,
  n: string,
  width: number,
  rate: number,
  end: number,
  answered: (ok: boolean, us: number, batch: number) => void,
) {
  const started = performance.now();
  const waiting: Promise<void>[] = [];
  let sent = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const t0 = performance.now();
      waiting.push(
        client.predict(n, { row: rowFor(n, width, sent) }, 10_000).then(
          (p) => answered(p.ok, (performance.now() - t0) * 1000, p.batchSize ?? 1),
          () => answered(false, 0, 0),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(waiting);
}

/** Drives the load for `seconds` and gives its figures. */
async function drive(client: PredictClient, { models, load }: LoadSpec, seconds: number): Promise<LoadResult> {
  const out: LoadResult = { perSec: {}, p99Us: {}, p50Us: {}, meanBatch: {}, errors: 0 };
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Object.entries(models).map(async ([n, width]) => {
      const lat: number[] = [];
      let batchSum = 0;
      const answered = (ok: boolean, us: number, batch: number) => {
        if (!ok) return void out.errors++;
        lat.push(us);
        batchSum += batch;
      };
      if (!("callers" in load)) await paced(client, n, width, load.perSecond[n]!, end, answered);
      else
        await Promise.all(
          Array.from({ length: load.callers }, async (_, c) => {
            let k = c;
            while (performance.now() < end) {
              const t0 = performance.now();
              const p = await client.predict(n, { row: rowFor(n, width, k++) }, 10_000);
              answered(p.ok, (performance.now() - t0) * 1000, p.batchSize ?? 1);
            }
          }),
        );
      out.perSec[n] = Math.round(lat.length / seconds);
      out.p99Us[n] = Math.round(quantile(lat, 0.99));
      out.p50Us[n] = Math.round(quantile(lat, 0.5));
      out.meanBatch[n] = Number((batchSum / Math.max(1, lat.length)).toFixed(1));
    }),
  );
  return out;
}

/**
 * The same load first for `warmupSeconds`, its figures dropped: a fresh thread's first second is spent compiling
 * its code and the actors', and at an open loop's rate that backlog would be most of the measured tail.
 */
async function run(spec: LoadSpec): Promise<LoadResult> {
  const nc = await connectNats(spec.natsUrl, "bench-models-callers");
  const client = new PredictClient(nc);
  const warmup = await drive(client, spec, spec.warmupSeconds);
  parentPort!.postMessage({ measuring: true });
  const out = await drive(client, spec, spec.seconds);
  out.errors += warmup.errors;
  client.close();
  await nc.close();
  return out;
}

if (!isMainThread && workerData?.spec) {
  run(workerData.spec as LoadSpec).then(
    (result) => parentPort!.postMessage({ result }),
    (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
}
