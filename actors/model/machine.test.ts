import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { Emitted } from "../contract/index.ts";
import type { InferenceJob, InferencePort } from "./inference-port.ts";
import { createModelMachine } from "./machine.ts";
import { BATCH_WINDOW, emptyWindow, LATENCY_WINDOW, recordBatch, ringValues, servingStats } from "./serving-stats.ts";
import type { ModelMachineInput } from "./state.ts";

const input: ModelMachineInput = {
  name: "m",
  version: 3,
  features: ["a", "b"],
  outputWidth: 1,
  maxBatch: 4,
  maxWaitMs: 2,
  timeoutMs: 50,
  loadTimeoutMs: 1_000,
};

function start(over: Partial<ModelMachineInput> = {}, loaded = true) {
  const jobs: InferenceJob[] = [];
  const resets: string[] = [];
  const loads: string[] = [];
  const unloads: string[] = [];
  const port: InferencePort = {
    load: (m, v) => void loads.push(`${m} v${v}`),
    infer: (j) => void jobs.push(j),
    reset: (_m, reason) => void resets.push(reason),
    unload: (m, v) => void unloads.push(`${m} v${v}`),
  };
  const clock = new SimulatedClock();
  const actor = createActor(createModelMachine(port), { input: { ...input, ...over }, clock });
  const answers: Extract<Emitted, { type: "publish" }>[] = [];
  actor.on("*", (e) => {
    if (e.type === "publish") answers.push(e);
  });
  let failure: unknown;
  actor.subscribe({ error: (e) => (failure = e) });
  actor.start();
  if (loaded) actor.send({ type: "ModelLoaded", version: 3, provider: "cpu", features: ["a", "b"], nowUs: 0 });
  const predict = (requestId: string, body: { features?: Record<string, number>; row?: number[] }) =>
    actor.send({ type: "Predict", requestId, replyTo: `inbox.${requestId}`, ...body, nowUs: 1 });
  const complete = (batchId: number, values: number[]) =>
    actor.send({ type: "InferenceCompleted", batchId, values, width: 1, provider: "cpu", runUs: 5, nowUs: 2 });
  return { actor, jobs, resets, loads, unloads, clock, answers, predict, complete, failure: () => failure };
}

const body = (a: Extract<Emitted, { type: "publish" }>) =>
  a.message as unknown as {
    requestId: string;
    ok: boolean;
    values?: number[];
    batchSize?: number;
    error?: { code: string; message: string };
  };

t.test("requests within the wait run as one inference and each caller gets its own row", (t) => {
  const m = start();
  m.predict("r1", { features: { b: 2, a: 1 } });
  m.predict("r2", { row: [3, 4] });
  t.equal(m.jobs.length, 0, "the batch waits for maxWaitMs");
  m.clock.increment(2);
  t.equal(m.jobs.length, 1);
  t.same(m.jobs[0], { model: "m", version: 3, batchId: 1, count: 2, width: 2, rows: [1, 2, 3, 4] }, "features by name land in input order");
  m.complete(1, [0.5, -0.25]);
  t.same(
    m.answers.map((a) => [a.subject, body(a).requestId, body(a).values, body(a).batchSize]),
    [
      ["inbox.r1", "r1", [0.5], 2],
      ["inbox.r2", "r2", [-0.25], 2],
    ],
  );
  t.end();
});

t.test("a full batch goes at once, and what queues during an inference goes when it ends", (t) => {
  const m = start();
  for (let i = 0; i < 4; i++) m.predict(`r${i}`, { row: [i, i] });
  t.equal(m.jobs.length, 1, "maxBatch requests do not wait");
  m.predict("late", { row: [9, 9] });
  m.clock.increment(5);
  t.equal(m.jobs.length, 1, "one batch in flight at a time");
  m.complete(1, [0, 1, 2, 3]);
  t.equal(m.jobs.length, 2, "the queued request goes as soon as the inference ends");
  t.same(m.jobs[1]!.rows, [9, 9]);
  m.complete(2, [7]);
  t.same(body(m.answers.at(-1)!).values, [7]);
  t.end();
});

t.test("an unbatched model (maxWaitMs 0) runs each request at once when idle", (t) => {
  const m = start({ maxWaitMs: 0, maxBatch: 1 });
  m.predict("r1", { row: [1, 1] });
  t.equal(m.jobs.length, 1);
  t.end();
});

t.test("a backlog far past one batch is served in order, a batch at a time, each caller once", (t) => {
  // 20 000 requests queued behind a batch in flight: each one joins and leaves the queue without copying it (a copy
  // per request made a backlog quadratic, and an overloaded model served a few percent of its capacity)
  const m = start({ maxBatch: 64, maxWaitMs: 1 });
  const n = 20_000;
  for (let i = 0; i < n; i++) m.predict(`r${i}`, { row: [i, -i] });
  t.equal(m.jobs.length, 1, "the first full batch goes at once, the rest queue behind it");
  for (let k = 0; k < m.jobs.length; k++) {
    const job = m.jobs[k]!;
    m.complete(
      job.batchId,
      Array.from({ length: job.count }, (_, i) => job.rows[2 * i]!),
    );
  }
  t.equal(m.jobs.length, Math.ceil(n / 64), "full batches, then the rest");
  t.ok(m.jobs.every((j) => j.count <= 64));
  t.equal(m.answers.length, n, "every caller answered");
  t.ok(
    m.answers.every((a, i) => body(a).requestId === `r${i}` && body(a).values?.[0] === i),
    "in arrival order, each with its own row's value",
  );
  t.equal(m.actor.getSnapshot().context.pending.length, 0, "nothing left queued");
  t.end();
});

t.test("bad requests are answered with a reason and queue nothing", (t) => {
  const m = start();
  m.predict("u", { features: { a: 1, b: 2, c: 3 } });
  m.predict("miss", { features: { a: 1 } });
  m.predict("shape", { row: [1, 2, 3] });
  m.predict("none", {});
  m.predict("nan", { row: [1, Number.NaN] });
  t.same(
    m.answers.map((a) => [body(a).ok, body(a).error?.code]),
    [
      [false, "unknown-feature"],
      [false, "missing-feature"],
      [false, "bad-shape"],
      [false, "bad-shape"],
      [false, "not-finite"],
    ],
  );
  t.match(body(m.answers[0]!).error?.message, /unknown feature c \(it takes a, b\)/);
  t.match(body(m.answers[1]!).error?.message, /missing feature b/);
  t.match(body(m.answers[2]!).error?.message, /row has 3 values, the model takes 2/);
  m.clock.increment(10);
  t.equal(m.jobs.length, 0);
  t.end();
});

t.test("a failed inference fails its callers with the reason, resets the session, then ends the actor", (t) => {
  const m = start();
  m.predict("r1", { row: [1, 2] });
  m.clock.increment(2);
  m.predict("queued", { row: [3, 4] });
  m.actor.send({ type: "InferenceFailed", batchId: 1, reason: "bad alloc", nowUs: 3 });
  t.same(body(m.answers[0]!).error, { code: "inference-failed", message: "model m v3: bad alloc" });
  t.same(m.resets, ["model m v3: bad alloc"]);
  t.same(m.loads, ["m v3", "m v3"], "the next session is asked for before the actor ends");
  t.equal(m.failure(), undefined, "the callers are answered before the actor ends");
  m.clock.increment(0);
  t.match(String(m.failure()), /bad alloc/, "then it ends, for the supervisor to restart");
  t.end();
});

t.test("an inference that outlives the timeout fails its callers and resets the session", (t) => {
  const m = start();
  m.predict("r1", { row: [1, 2] });
  m.clock.increment(2);
  m.clock.increment(50);
  t.same(body(m.answers[0]!).error?.code, "inference-timeout");
  t.match(body(m.answers[0]!).error?.message, /no inference result within 50 ms/);
  t.equal(m.resets.length, 1);
  t.end();
});

t.test("requests queue while the model loads and go as one batch when it is loaded", (t) => {
  const m = start({}, false);
  t.same(m.loads, ["m v3"]);
  m.predict("r1", { row: [1, 2] });
  m.predict("r2", { row: [3, 4] });
  m.clock.increment(10);
  t.equal(m.jobs.length, 0, "nothing runs before the session is loaded");
  m.actor.send({ type: "ModelLoaded", version: 3, provider: "cuda", features: ["a", "b"], nowUs: 5 });
  t.same(m.jobs[0]?.rows, [1, 2, 3, 4]);
  t.equal(m.actor.getSnapshot().context.provider, "cuda");
  t.end();
});

t.test("a load that fails or takes too long fails the queued callers and ends the actor", (t) => {
  const failedLoad = start({}, false);
  failedLoad.predict("r1", { row: [1, 2] });
  failedLoad.actor.send({ type: "ModelLoadFailed", version: 3, reason: "protobuf parsing failed", nowUs: 2 });
  t.same(body(failedLoad.answers[0]!).error, { code: "model-unavailable", message: "model m v3: protobuf parsing failed" });
  failedLoad.clock.increment(0);
  t.match(String(failedLoad.failure()), /protobuf parsing failed/);

  const slow = start({}, false);
  slow.predict("r1", { row: [1, 2] });
  slow.clock.increment(1_000);
  t.match(body(slow.answers[0]!).error, { code: "model-unavailable", message: /not loaded within 1000 ms/ });
  t.end();
});

t.test("a promoted version loads beside the serving one and takes over between batches, dropping nothing", (t) => {
  const m = start({ maxWaitMs: 0, maxBatch: 1 });
  m.predict("old", { row: [1, 1] });
  m.actor.send({ type: "PromoteVersion", version: 4, nowUs: 3 });
  t.same(m.loads, ["m v3", "m v4"], "the new version loads while v3 serves");
  m.predict("queued", { row: [2, 2] });
  m.actor.send({ type: "ModelLoaded", version: 4, provider: "cpu", features: ["a", "b"], nowUs: 4 });
  t.same(m.unloads, ["m v3"], "v3's session closes (after its open batch, the port's part)");
  m.complete(1, [0.1]);
  t.same(
    m.jobs.map((j) => [j.batchId, j.version]),
    [
      [1, 3],
      [2, 4],
    ],
  );
  m.complete(2, [0.2]);
  t.same(
    m.answers.map((a) => [body(a).requestId, body(a).ok, a.message.version]),
    [
      ["old", true, 3],
      ["queued", true, 4],
    ],
    "the batch in flight at the swap is answered by v3, the next by v4",
  );
  t.end();
});

t.test("a promotion with other features, or one that does not load, is refused with the reason and v3 serves on", (t) => {
  const m = start({ maxWaitMs: 0, maxBatch: 1 });
  m.actor.send({ type: "PromoteVersion", version: 5, nowUs: 1 });
  m.actor.send({ type: "ModelLoaded", version: 5, provider: "cpu", features: ["a", "c"], nowUs: 2 });
  t.match(m.actor.getSnapshot().context, { version: 3, swapRefused: "v5 takes features a, c, v3 a, b: deploy it under a new name" });
  t.same(m.unloads, ["m v5"]);
  m.actor.send({ type: "PromoteVersion", version: 6, nowUs: 3 });
  m.actor.send({ type: "ModelLoadFailed", version: 6, reason: "not registered", nowUs: 4 });
  t.match(m.actor.getSnapshot().context, { version: 3, swapRefused: "v6: not registered" });
  t.equal(m.failure(), undefined, "a refused promotion does not end the actor");
  m.predict("r", { row: [1, 2] });
  t.equal(m.jobs[0]?.version, 3);
  t.end();
});

t.test("the actor keeps its recent latencies and batch sizes for operators", (t) => {
  const m = start();
  m.actor.send({ type: "Predict", requestId: "r1", replyTo: "inbox.r1", row: [1, 2], nowUs: 100 });
  m.actor.send({ type: "Predict", requestId: "r2", replyTo: "inbox.r2", row: [3, 4], nowUs: 400 });
  m.clock.increment(2);
  m.actor.send({ type: "InferenceCompleted", batchId: 1, values: [1, 2], width: 1, provider: "cpu", runUs: 5, nowUs: 1_100 });
  m.actor.send({ type: "Predict", requestId: "r3", replyTo: "inbox.r3", row: [5, 6], nowUs: 2_000 });
  m.clock.increment(2);
  m.actor.send({ type: "InferenceCompleted", batchId: 2, values: [3], width: 1, provider: "cpu", runUs: 5, nowUs: 2_300 });
  const { recent } = m.actor.getSnapshot().context;
  t.same(
    [ringValues(recent.latenciesUs), ringValues(recent.batchSizes)],
    [
      [1_000, 700, 300],
      [2, 1],
    ],
    "from taking each request to its answer",
  );
  t.same(
    servingStats(recent),
    { window: 3, latencyP50Us: 700, latencyP99Us: 994, meanBatch: 1.5 },
    "quantiles interpolate between samples",
  );
  t.same(servingStats(emptyWindow()), { window: 0 }, "no quantiles before the first answer");
  t.notOk(
    m.answers.some((a) => a.subject.startsWith("am.sys.")),
    "no report within the first second",
  );
  m.actor.send({ type: "Predict", requestId: "r4", replyTo: "inbox.r4", row: [7, 8], nowUs: 1_000_000 });
  m.clock.increment(2);
  m.actor.send({ type: "InferenceCompleted", batchId: 3, values: [4], width: 1, provider: "cpu", runUs: 5, nowUs: 1_000_100 });
  const reports = m.answers.filter((a) => a.subject === "am.sys.model-stats.m");
  t.equal(reports.length, 1, "a report once a second while it answers");
  t.match(reports[0]?.message, {
    type: "ModelServingReported",
    model: "m",
    version: 3,
    served: 4,
    batches: 3,
    window: 4,
    meanBatch: 4 / 3,
  });
  t.end();
});

t.test("the windows keep only the last requests and batches", (t) => {
  let w = emptyWindow();
  for (let i = 0; i < LATENCY_WINDOW; i++) w = recordBatch(w, [{ takenUs: 0 }, { takenUs: 0 }], i);
  const latencies = ringValues(w.latenciesUs);
  t.equal(latencies.length, LATENCY_WINDOW);
  t.equal(latencies[0], LATENCY_WINDOW / 2, "the oldest requests left the window");
  t.equal(latencies.at(-1), LATENCY_WINDOW - 1, "the newest last");
  t.equal(ringValues(w.batchSizes).length, BATCH_WINDOW);
  t.end();
});

t.test("a PredictBatch (Predicts the runtime folded) is answered as its requests delivered one by one", (t) => {
  const requests = [
    { requestId: "r0", replyTo: "inbox.r0", row: [1, 2] },
    { requestId: "bad", replyTo: "inbox.bad", row: [1] },
    { requestId: "r1", replyTo: "inbox.r1", features: { a: 3, b: 4 } },
    ...Array.from({ length: 6 }, (_, i) => ({ requestId: `n${i}`, replyTo: `inbox.n${i}`, row: [i, -i] })),
  ];
  const run = (folded: boolean) => {
    const m = start();
    if (folded) m.actor.send({ type: "PredictBatch", items: requests, nowUs: 1 });
    else for (const r of requests) m.actor.send({ type: "Predict", ...r, nowUs: 1 });
    const jobsAtOnce = m.jobs.map((j) => ({ ...j }));
    m.complete(1, [10, 11, 12, 13]);
    m.clock.increment(2);
    m.complete(2, [14, 15, 16, 17]);
    return { jobsAtOnce, jobs: m.jobs, answers: m.answers.map((a) => [a.subject, body(a)]) };
  };
  const alone = run(false);
  const folded = run(true);
  t.equal(folded.jobsAtOnce.length, 1, "a full batch goes at once, the rest waits for it");
  t.same(folded.jobs, alone.jobs, "the same inference jobs");
  t.same(folded.answers, alone.answers, "the same answers, the bad row refused with its reason");
  t.match(folded.answers.find(([s]) => s === "inbox.bad")?.[1], { ok: false, error: { code: "bad-shape" } });
  t.equal(folded.answers.length, requests.length);
  t.end();
});
