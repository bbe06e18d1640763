// One model's onnxruntime session on its own thread. onnxruntime-node's session.run() is not asynchronous: it
// calls the native Run on the JavaScript thread inside a setImmediate, so on the actor's thread it would block
// every actor of the cell for the length of an inference. Plain JavaScript so the thread starts without a loader.
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";

const { bytes, provider, intraOpThreads } = workerData;

async function open() {
  const base = { graphOptimizationLevel: "all", intraOpNumThreads: intraOpThreads, interOpNumThreads: 1 };
  if (provider === "cuda") {
    try {
      return { session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ["cuda"] }), provider: "cuda" };
    } catch (e) {
      parentPort.postMessage({ t: "fallback", reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: ["cpu"] }), provider: "cpu" };
}

const describe = (names, metadata) => names.map((name, i) => ({ name, type: metadata[i]?.type, shape: metadata[i]?.shape }));

try {
  const { session, provider: used } = await open();
  const inputName = session.inputNames[0];
  parentPort.postMessage({
    t: "ready",
    provider: used,
    inputs: describe(session.inputNames, session.inputMetadata),
    outputs: describe(session.outputNames, session.outputMetadata),
  });
  parentPort.on("message", async (m) => {
    if (m.t !== "run") return;
    const started = performance.now();
    try {
      const out = await session.run({ [inputName]: new ort.Tensor("float32", m.rows, [m.count, m.width]) });
      const first = out[session.outputNames[0]];
      const values = Float32Array.from(first.data);
      parentPort.postMessage(
        { t: "done", batchId: m.batchId, values, width: first.dims[1] ?? 1, runUs: Math.round((performance.now() - started) * 1000) },
        [values.buffer],
      );
    } catch (e) {
      parentPort.postMessage({ t: "failed", batchId: m.batchId, reason: e instanceof Error ? e.message : String(e) });
    }
  });
} catch (e) {
  parentPort.postMessage({ t: "unusable", reason: e instanceof Error ? e.message : String(e) });
}
