import ort from "onnxruntime-node";
import t from "tap";
import { eventually } from "../../test/testing.ts";
import type { InferenceCompleted, InferenceFailed, PortMessage } from "./messages.ts";
import { type ModelFile, readModelFile } from "./model-card.ts";
import { type ExecutionProvider, OnnxInference } from "./onnx-inference.ts";

type Delivered = (InferenceCompleted & { type: "InferenceCompleted" }) | (InferenceFailed & { type: "InferenceFailed" });

function port(t: { teardown(f: () => unknown): void }, provider: ExecutionProvider, files: Record<string, ModelFile>) {
  const delivered: Delivered[] = [];
  const loads: PortMessage[] = [];
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const p = new OnnxInference({
    modelOf: (name) => files[name],
    deliver: (_model, m) => void (m.type === "InferenceCompleted" || m.type === "InferenceFailed" ? delivered.push(m) : loads.push(m)),
    provider,
    intraOpThreads: 1,
    log: {
      info: (msg, fields) => void lines.push({ level: "info", msg, fields }),
      warn: (msg, fields) => void lines.push({ level: "warn", msg, fields }),
    },
  });
  t.teardown(() => p.close());
  return { p, delivered, loads, lines };
}

const gbt = readModelFile("gbt-return-5f");
/** opening a session starts a worker thread and onnxruntime in it: seconds on a loaded machine */
const LOAD = { timeoutMs: 120_000 };
const rows = [0.001, 0.004, 0.002, 0.01, 1.2, -0.002, -0.003, 0.003, 0.012, 0.8];

t.test("a batch runs on the model's worker thread and comes back with the direct session's values", async (t) => {
  const { p, delivered, lines } = port(t, "cpu", { gbt: gbt });
  p.infer({ model: "gbt", version: 1, batchId: 7, count: 2, width: 5, rows });
  const done = await eventually("the batch's result", () => delivered[0], LOAD);
  const session = await ort.InferenceSession.create(gbt.bytes);
  const direct = await session.run({ features: new ort.Tensor("float32", Float32Array.from(rows), [2, 5]) });
  t.same(done.type === "InferenceCompleted" && { batchId: done.batchId, values: done.values, width: done.width, provider: done.provider }, {
    batchId: 7,
    values: [...(direct.forecast!.data as Float32Array)],
    width: 1,
    provider: "cpu",
  });
  t.match(lines, [{ level: "info", msg: "model session ready", fields: { model: "gbt", provider: "cpu", requested: "cpu" } }]);
  await session.release();
});

t.test("CUDA asked where it does not load: a warning names the reason and the model runs on the CPU", async (t) => {
  const { p, delivered, lines } = port(t, "cuda", { gbt: gbt });
  p.infer({ model: "gbt", version: 1, batchId: 1, count: 2, width: 5, rows });
  const done = await eventually("the batch's result", () => delivered[0], LOAD);
  t.equal(done.type, "InferenceCompleted");
  t.equal(done.type === "InferenceCompleted" && done.provider, "cpu");
  const fallback = lines.find((l) => l.level === "warn");
  t.match(fallback, { msg: "model falls back to the CPU provider: CUDA did not load", fields: { model: "gbt" } });
  t.ok(String(fallback?.fields?.reason).length > 0, `the reason is given: ${fallback?.fields?.reason}`);
  t.match(
    lines.find((l) => l.level === "info"),
    { fields: { provider: "cpu", requested: "cuda" } },
  );
});

t.test("a file that does not match its card, an undeployed name and a reset fail their jobs with the reason", async (t) => {
  const seq = readModelFile("seq-return-16");
  const { p, delivered } = port(t, "cpu", { liar: { card: gbt.card, bytes: seq.bytes }, gbt });
  p.infer({ model: "liar", version: 1, batchId: 1, count: 1, width: 5, rows: rows.slice(0, 5) });
  p.infer({ model: "ghost", version: 1, batchId: 2, count: 1, width: 5, rows: rows.slice(0, 5) });
  p.infer({ model: "gbt", version: 2, batchId: 3, count: 1, width: 5, rows: rows.slice(0, 5) });
  await eventually("three failures", () => delivered.length === 3, LOAD);
  const reasons = Object.fromEntries(delivered.map((d) => [d.batchId, d.type === "InferenceFailed" ? d.reason : "completed"]));
  t.match(reasons[1], /model liar does not match its card: input 0: the file names it returns, the card features/);
  t.match(reasons[2], /model ghost v1 is not deployed on this node/);
  t.match(reasons[3], /model gbt: version 2 asked, 1 deployed/);
  p.infer({ model: "gbt", version: 1, batchId: 4, count: 1, width: 5, rows: rows.slice(0, 5) });
  p.reset("gbt", "timed out");
  await eventually("the reset job's failure", () => delivered.find((d) => d.batchId === 4), LOAD);
  t.match(
    delivered.find((d) => d.batchId === 4),
    { type: "InferenceFailed", reason: "session closed: timed out" },
  );
  p.infer({ model: "gbt", version: 1, batchId: 5, count: 1, width: 5, rows: rows.slice(0, 5) });
  t.match(await eventually("a new session's result", () => delivered.find((d) => d.batchId === 5), LOAD), { type: "InferenceCompleted" });
});

t.test("an inference does not block the thread that asked for it", async (t) => {
  const { p, delivered } = port(t, "cpu", { gbt });
  p.infer({ model: "gbt", version: 1, batchId: 0, count: 1, width: 5, rows: rows.slice(0, 5) });
  await eventually("warm", () => delivered.length === 1, LOAD);
  const big = Array.from({ length: 50_000 * 5 }, (_, i) => (i % 11) * 1e-3);
  const started = performance.now();
  p.infer({ model: "gbt", version: 1, batchId: 1, count: 50_000, width: 5, rows: big });
  const handedOff = performance.now() - started;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  await eventually("the big batch", () => delivered.length === 2, LOAD);
  clearInterval(ticker);
  t.ok(ticks > 0, `the event loop ran ${ticks} timers while the worker scored 50 000 rows (hand-off took ${handedOff.toFixed(1)} ms)`);
});

t.test("load() announces the session with its provider, or why it cannot open", async (t) => {
  const seq = readModelFile("seq-return-16");
  const { p, loads } = port(t, "cpu", { liar: { card: gbt.card, bytes: seq.bytes }, gbt });
  p.load("gbt", 1);
  p.load("liar", 1);
  await eventually("two answers", () => loads.length === 2, LOAD);
  t.match(
    loads.find((l) => l.type === "ModelLoaded"),
    { version: 1, provider: "cpu" },
  );
  t.match(
    loads.find((l) => l.type === "ModelLoadFailed"),
    { version: 1, reason: /model liar does not match its card/ },
  );
  p.load("gbt", 1);
  await eventually("a loaded session answers at once", () => loads.length === 3, LOAD);
  t.match(loads[2], { type: "ModelLoaded" });
});

t.test("an unloaded version answers its open jobs before its session closes", async (t) => {
  const { p, delivered } = port(t, "cpu", { gbt });
  p.infer({ model: "gbt", version: 1, batchId: 1, count: 2, width: 5, rows });
  p.unload("gbt", 1);
  t.match(await eventually("the open job's answer", () => delivered[0], LOAD), { type: "InferenceCompleted", batchId: 1 });
  t.same(p.providers(), {}, "then the session is gone");
});
