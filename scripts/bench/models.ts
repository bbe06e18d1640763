/**
 * `npm run bench -- models [seconds]`: the model actor over NATS, unbatched (maxBatch 1, no wait) and batched
 * (maxBatch 64, maxWait 1 ms), with the gradient-boosted model (gbt-return-5f) and the sequence model
 * (seq-return-16), in the same run, plus the raw baseline: onnxruntime session.run in a loop, one row per call, on
 * the main thread (no actor, no NATS, no worker). Load: CALLERS closed-loop callers per model, each sending its next
 * Predict when its answer arrives; then, batched, an open loop at 5× each model's unbatched rate (the goal: batching
 * serves 5× at p99 ≤ 2 ms). Each phase's load runs WARMUP_SECONDS before it is measured. The callers run on a thread
 * of their own (support/predict-load.ts), as a model actor's callers are other actors and services; the actors run
 * on the main thread, as in a cell, and an inference answer reaches its actor in that thread, as in a cell.
 * AM_MODEL_PROVIDER=cuda runs it on the GPU. The machine is shared: the figures come with CPU time and the load
 * average.
 */
import { loadavg } from "node:os";
import ort from "onnxruntime-node";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { type Batching, inputWidth, modelKind, OnnxInference, readModelFile } from "../../actors/model/index.ts";
import { PredictClient } from "../../infra/models/index.ts";
import { type Load, type LoadResult, predictLoad, rowFor } from "./support/predict-load.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { declareResources } from "../../infra/nats/resources.ts";
import { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import { startTestInfra } from "../../infra/local/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorTree } from "../../supervisors/runtime/actor-tree.ts";
import { shardNames } from "../../supervisors/sharding/shard-of.ts";
import { loadConfig } from "../../infra/config/index.ts";

const SECONDS = Number(process.argv[2] ?? 4);
/** each phase's load runs this long before its figures are taken */
const WARMUP_SECONDS = 1;
/** AM_MODEL_PROVIDER=cuda runs the same bench on the GPU (falling back to the CPU, and saying so, without one) */
const PROVIDER = loadConfig().modelProvider;
const CALLERS = 64;
const names = ["gbt-return-5f", "seq-return-16"] as const;
const files = Object.fromEntries(names.map((n) => [n, readModelFile(n)]));
const log = createLogger({ level: "warn" });
const say = (s: string) => process.stderr.write(`${s}\n`);

const widths = Object.fromEntries(names.map((n) => [n, inputWidth(files[n]!.card)]));

const p99 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
};

async function rawBaseline(name: string): Promise<{ callsPerSec: number; p99Us: number }> {
  const { card, bytes } = files[name]!;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, executionProviders: ["cpu"] });
  const width = inputWidth(card);
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let k = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    await session.run({ [card.inputs[0]!.name]: new ort.Tensor("float32", Float32Array.from(rowFor(name, width, k++)), [1, width]) });
    lat.push((performance.now() - t0) * 1000);
  }
  await session.release();
  return { callsPerSec: Math.round(k / SECONDS), p99Us: Math.round(p99(lat)) };
}

interface Phase extends LoadResult {
  provider: string;
  cpuMs: number;
  /** the share of the phase the actors' thread was busy (its event loop utilization) */
  actorThreadBusy: number;
}

async function phase(label: string, natsUrl: string, batching: Batching, load: Load = { callers: CALLERS }): Promise<Phase> {
  const nc = await connectNats(natsUrl, `bench-models-${label}`);
  const store = await SnapshotStore.open(nc);
  const inference = new OnnxInference({
    modelOf: (n) => files[n],
    // as in a cell (supervisors/node/kinds.ts): the answer goes to the actor in this tree, over NATS only where it is not here
    deliver: (n, m) => {
      if (tree.tell("model", n, m)) return;
      const { data, headers } = encodeMessage(m);
      nc.publish(subjects.cmd("model", n), data, { headers });
    },
    provider: PROVIDER,
    intraOpThreads: 1,
    log,
  });
  const kind = modelKind({ modelOf: (n) => files[n], known: () => [...names], batching, port: inference });
  const tree = new ActorTree([kind], {
    nc,
    store,
    clock: systemClock,
    log,
    onLifecycle: () => {},
  });
  await tree.start();
  const client = new PredictClient(nc);
  // this process owns every shard of the model kind: each model's first Predict activates its actor here
  for (const shard of shardNames(kind.sharding?.shards ?? 0)) await tree.spawn("model", shard);
  for (const n of names) await client.predict(n, { row: rowFor(n, widths[n]!, 0) }, 120_000); // opens the session
  say(
    `${label}: sessions open, ${"callers" in load ? `${load.callers} callers per model` : `open loop at ${JSON.stringify(load.perSecond)} a second`} for ${SECONDS} s`,
  );
  let cpu0 = process.cpuUsage();
  let elu0 = performance.eventLoopUtilization();
  const result = await predictLoad({ natsUrl, models: widths, load, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS }, () => {
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
  });
  const actorThreadBusy = Number(performance.eventLoopUtilization(elu0).utilization.toFixed(2));
  const cpu = process.cpuUsage(cpu0);
  const out: Phase = {
    ...result,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    actorThreadBusy,
    // what the sessions got: "cpu" where CUDA was asked for and did not load
    provider: Object.values(inference.providers())[0] ?? PROVIDER,
  };
  say(`${label}: ${JSON.stringify(out)}`);
  client.close();
  await tree.stop();
  await inference.close();
  await nc.close();
  return out;
}

const infra = await startTestInfra();
try {
  const nc = await connectNats(infra.natsUrl, "bench-models-declare");
  await declareResources(nc, { replicas: 1 });
  await nc.close();
  const load0 = loadavg()[0]!;
  const raw: Record<string, { callsPerSec: number; p99Us: number }> = {};
  for (const n of names) raw[n] = await rawBaseline(n);
  say(`raw session.run, one row per call: ${JSON.stringify(raw)}`);
  const unbatched = await phase("unbatched", infra.natsUrl, { maxBatch: 1, maxWaitMs: 0, timeoutMs: 5_000, loadTimeoutMs: 120_000 });
  const batching = { maxBatch: 64, maxWaitMs: 1, timeoutMs: 5_000, loadTimeoutMs: 120_000 };
  const batched = await phase("batched", infra.natsUrl, batching);
  // the goal's question: at 5× the unbatched throughput, what is the batched p99?
  const fivefold = Object.fromEntries(names.map((n) => [n, 5 * unbatched.perSec[n]!]));
  const atFive = await phase("batched at 5x unbatched", infra.natsUrl, batching, { perSecond: fivefold });
  const g = "gbt-return-5f";
  const s = "seq-return-16";
  console.log(
    JSON.stringify({
      bench: "models",
      predictionsPerSec: batched.perSec[g],
      p99Us: batched.p99Us[g],
      unbatchedPerSec: unbatched.perSec[g],
      batchRatio: Number((batched.perSec[g]! / Math.max(1, unbatched.perSec[g]!)).toFixed(2)),
      provider: batched.provider,
      meanBatch: batched.meanBatch[g],
      unbatchedP99Us: unbatched.p99Us[g],
      // open loop at 5× the unbatched rate: the throughput the goal asks for and the p99 it costs
      atFiveTimesUnbatched: Object.fromEntries(
        names.map((n) => [
          n,
          {
            offeredPerSec: fivefold[n],
            perSec: atFive.perSec[n],
            p50Us: atFive.p50Us[n],
            p99Us: atFive.p99Us[n],
            meanBatch: atFive.meanBatch[n],
          },
        ]),
      ),
      seq: {
        predictionsPerSec: batched.perSec[s],
        p99Us: batched.p99Us[s],
        unbatchedPerSec: unbatched.perSec[s],
        meanBatch: batched.meanBatch[s],
      },
      rawSessionRunPerSec: raw[g]!.callsPerSec,
      rawSessionRunP99Us: raw[g]!.p99Us,
      rawSeqSessionRunPerSec: raw[s]!.callsPerSec,
      errors: unbatched.errors + batched.errors + atFive.errors,
      callersPerModel: CALLERS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      cpuMs: { unbatched: unbatched.cpuMs, batched: batched.cpuMs, atFiveTimesUnbatched: atFive.cpuMs },
      actorThreadBusy: {
        unbatched: unbatched.actorThreadBusy,
        batched: batched.actorThreadBusy,
        atFiveTimesUnbatched: atFive.actorThreadBusy,
      },
      callers: "a thread of their own",
      wallMsPerPhase: SECONDS * 1000,
      loadAvg: [Number(load0.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
    }),
  );
} finally {
  await infra.stop();
}
