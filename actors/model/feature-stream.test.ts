import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { Emitted } from "../contract/index.ts";
import type { InferenceJob, InferencePort } from "./inference-port.ts";
import { createModelMachine } from "./machine.ts";

function start() {
  const jobs: InferenceJob[] = [];
  const port: InferencePort = { load: () => {}, infer: (j) => void jobs.push(j), reset: () => {}, unload: () => {} };
  const input = {
    name: "m",
    version: 2,
    features: ["a", "b"],
    outputWidth: 1,
    maxBatch: 8,
    maxWaitMs: 0,
    timeoutMs: 50,
    loadTimeoutMs: 1_000,
  };
  const actor = createActor(createModelMachine(port), { input, clock: new SimulatedClock() });
  const published: Extract<Emitted, { type: "publish" }>[] = [];
  actor.on("*", (e) => {
    if (e.type === "publish") published.push(e);
  });
  actor.start();
  actor.send({ type: "ModelLoaded", version: 2, provider: "cpu", features: ["a", "b"], nowUs: 0 });
  const stream = (instrument: string, tsEvent: number, features: Record<string, number>) =>
    actor.send({
      type: "Predict",
      requestId: `${instrument}/${tsEvent}`,
      replyTo: `am.signal.m.${instrument}`,
      features,
      forecastFor: { instrument, barType: "1m", tsEvent },
      nowUs: tsEvent + 10,
    });
  return { actor, jobs, published, stream };
}

t.test("a feature stream's row is answered with a ModelForecast stamped with its bar's time", async (t) => {
  const m = start();
  m.stream("A.X", 60_000_000, { a: 1, b: 2 });
  m.stream("B.X", 60_000_000, { a: 3, b: 4 });
  t.equal(m.jobs.length, 1, "the first goes at once");
  m.actor.send({ type: "InferenceCompleted", batchId: 1, values: [0.25], width: 1, provider: "cpu", runUs: 5, nowUs: 60_000_020 });
  t.equal(m.jobs.length, 2, "the one queued meanwhile goes when it ends");
  m.actor.send({ type: "InferenceCompleted", batchId: 2, values: [-0.5], width: 1, provider: "cpu", runUs: 5, nowUs: 60_000_030 });
  t.same(
    m.published.filter((p) => p.subject.startsWith("am.signal.")).map((p) => [p.subject, p.message]),
    [
      [
        "am.signal.m.A.X",
        {
          type: "ModelForecast",
          model: "m",
          version: 2,
          instrument: "A.X",
          barType: "1m",
          forecast: 0.25,
          tsEvent: 60_000_000,
          tsInit: 60_000_020,
        },
      ],
      [
        "am.signal.m.B.X",
        {
          type: "ModelForecast",
          model: "m",
          version: 2,
          instrument: "B.X",
          barType: "1m",
          forecast: -0.5,
          tsEvent: 60_000_000,
          tsInit: 60_000_030,
        },
      ],
    ],
  );
});

t.test("a stream row that is refused or fails publishes nothing and is counted", async (t) => {
  const m = start();
  m.stream("A.X", 1, { a: 1 });
  t.equal(m.jobs.length, 0, "a missing feature never reaches the port");
  m.stream("A.X", 2, { a: 1, b: 2 });
  m.actor.send({ type: "InferenceFailed", batchId: 1, reason: "boom", nowUs: 3 });
  t.same(m.published, [], "no Prediction and no forecast: no one waits on a stream");
  t.equal(m.actor.getSnapshot().context.failures, 1);
});
