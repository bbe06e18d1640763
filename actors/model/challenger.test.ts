import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { type ChallengeSpec, canarySplit, challengerFigures, compare } from "./challenger.ts";
import type { InferenceJob, InferencePort } from "./inference-port.ts";
import { createModelMachine } from "./machine.ts";
import type { ModelContext, Waiting } from "./state.ts";

function start(challenge?: ChallengeSpec) {
  const jobs: InferenceJob[] = [];
  const loads: string[] = [];
  const unloads: string[] = [];
  const resets: string[] = [];
  const port: InferencePort = {
    load: (m, v) => void loads.push(`${m} v${v}`),
    infer: (j) => void jobs.push(j),
    reset: (_m, reason) => void resets.push(reason),
    unload: (m, v) => void unloads.push(`${m} v${v}`),
  };
  const input = {
    name: "m",
    version: 3,
    features: ["a", "b"],
    outputWidth: 1,
    maxBatch: 8,
    maxWaitMs: 0,
    timeoutMs: 50,
    loadTimeoutMs: 1_000,
    ...(challenge ? { challenge } : {}),
  };
  const clock = new SimulatedClock();
  const actor = createActor(createModelMachine(port), { input, clock });
  const out: Emitted[] = [];
  actor.on("*", (e) => void out.push(e));
  let failure: unknown;
  actor.subscribe({ error: (e) => (failure = e) });
  actor.start();
  actor.send({ type: "ModelLoaded", version: 3, provider: "cpu", features: ["a", "b"], nowUs: 0 });
  const predict = (id: string, row: number[]) => actor.send({ type: "Predict", requestId: id, replyTo: `inbox.${id}`, row, nowUs: 1 });
  const complete = (batchId: number, values: number[]) =>
    actor.send({ type: "InferenceCompleted", batchId, values, width: 1, provider: "cpu", runUs: 5, nowUs: 2 });
  const answers = () =>
    out.flatMap((e) =>
      e.type === "publish" && e.message.type === "Prediction"
        ? [
            e.message as unknown as {
              requestId: string;
              version: number;
              ok: boolean;
              values?: number[];
              error?: { code: string; message: string };
            },
          ]
        : [],
    );
  const replies = () => out.filter((e) => e.type === "reply");
  const context = () => actor.getSnapshot().context as ModelContext;
  return { actor, jobs, loads, unloads, resets, clock, predict, complete, answers, replies, context, failure: () => failure };
}

const challengerLoaded = (m: ReturnType<typeof start>, version = 4, features = ["a", "b"]) =>
  m.actor.send({ type: "ModelLoaded", version, provider: "cpu", features, nowUs: 1 });

t.test("in shadow, the new version scores the same rows; its outputs are compared, never answered", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 1 });
  t.same(m.loads, ["m v3", "m v4"], "its session loads beside the serving one");
  t.match(m.replies(), [{ ok: true }]);
  challengerLoaded(m);
  m.predict("r1", [1, 2]);
  t.same(
    m.jobs.map((j) => [j.version, j.batchId, j.rows]),
    [
      [3, 1, [1, 2]],
      [4, 2, [1, 2]],
    ],
  );
  m.complete(2, [0.5]);
  t.same(m.answers(), [], "the shadow's output answers no one");
  m.complete(1, [0.25]);
  t.same(
    m.answers().map((a) => [a.requestId, a.version, a.values]),
    [["r1", 3, [0.25]]],
    "the caller gets the serving version's output",
  );
  m.predict("r2", [3, 4]);
  m.complete(3, [-0.5]);
  m.complete(4, [-0.25]);
  t.same(m.context().challenger?.comparison, { values: 2, sumAbsDiff: 0.5, maxAbsDiff: 0.25, sameSign: 2 });
  t.same(m.context().challenger?.trials, {}, "no trial left waiting");
});

t.test("a canary answers its share of the requests itself, as its own version", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "canary", share: 0.25, nowUs: 1 });
  challengerLoaded(m);
  // one request in flight, eight queue and go as one batch when it ends
  m.predict("r0", [0, 0]);
  for (let i = 1; i <= 8; i++) m.predict(`r${i}`, [i, i]);
  m.complete(1, [0]);
  const [champion, canary] = m.jobs.slice(1);
  t.equal(champion?.version, 3);
  t.equal(canary?.version, 4);
  t.equal(canary?.count, 2, "a quarter of eight (the credit carried over from r0)");
  t.equal(champion!.count + canary!.count, 8);
  m.complete(champion!.batchId, new Array(champion!.count).fill(1));
  m.complete(canary!.batchId, new Array(canary!.count).fill(2));
  const byVersion: Record<number, number> = {};
  for (const a of m.answers()) byVersion[a.version] = (byVersion[a.version] ?? 0) + 1;
  t.same(byVersion, { 3: 7, 4: 2 }, "every caller answered once, each by the version that scored it");
  t.equal(m.context().challenger?.canaryServed, 2);
});

t.test("a failing canary fails only its own callers, with the reason, and the serving version goes on", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "canary", share: 0.5, nowUs: 1 });
  challengerLoaded(m);
  m.predict("r0", [0, 0]);
  m.predict("r1", [1, 1]);
  m.predict("r2", [2, 2]);
  m.complete(1, [0]);
  const canary = m.jobs.find((j) => j.version === 4)!;
  m.actor.send({ type: "InferenceFailed", batchId: canary.batchId, reason: "bad alloc", nowUs: 3 });
  t.match(m.answers().at(-1), { ok: false, version: 4, error: { code: "inference-failed", message: /model m v4 \(canary\): bad alloc/ } });
  t.equal(m.context().challenger, undefined, "the canary is dropped");
  t.match(m.context().challengerRefused, /bad alloc/);
  t.same(m.unloads, ["m v4"]);
  t.same(m.resets, [], "the serving session is not reset");
  m.clock.increment(0);
  t.equal(m.failure(), undefined, "the actor does not end");
  t.same(m.actor.getSnapshot().value, "serving");
  const champion = m.jobs.find((j) => j.version === 3 && j.batchId !== 1)!;
  m.complete(champion.batchId, [7]);
  t.match(m.answers().at(-1), { ok: true, version: 3, values: [7] });
});

t.test("a shadow job that fails drops the shadow and answers no one", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 1 });
  challengerLoaded(m);
  m.predict("r1", [1, 2]);
  m.actor.send({ type: "InferenceFailed", batchId: 2, reason: "boom", nowUs: 2 });
  t.equal(m.context().challenger, undefined);
  m.complete(1, [0.25]);
  t.same(
    m.answers().map((a) => [a.requestId, a.ok]),
    [["r1", true]],
  );
});

t.test("a challenger that is the serving version, a canary share outside (0, 1), or other features is refused", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 3, mode: "shadow", nowUs: 1 });
  m.actor.send({ type: "StartChallenger", version: 4, mode: "canary", share: 1, nowUs: 1 });
  t.match(m.replies(), [
    { ok: false, error: { code: "challenger-refused", message: /v3 is the version serving/ } },
    { ok: false, error: { code: "challenger-refused", message: /share in \(0, 1\), got 1/ } },
  ]);
  t.equal(m.context().challenger, undefined, "nothing changed");
  m.actor.send({ type: "StartChallenger", version: 5, mode: "shadow", nowUs: 1 });
  challengerLoaded(m, 5, ["a", "c"]);
  t.equal(m.context().challenger, undefined);
  t.match(m.context().challengerRefused, /v5 takes features a, c, v3 a, b/);
  t.same(m.unloads, ["m v5"]);
});

t.test("promoting the challenger makes it the serving version; StopChallenger ends one", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 1 });
  challengerLoaded(m);
  m.actor.send({ type: "PromoteVersion", version: 4, nowUs: 1 });
  challengerLoaded(m);
  t.equal(m.context().version, 4);
  t.equal(m.context().challenger, undefined);
  m.actor.send({ type: "StartChallenger", version: 5, mode: "shadow", nowUs: 1 });
  m.actor.send({ type: "StopChallenger", nowUs: 1 });
  t.equal(m.context().challenger, undefined);
  t.same(m.unloads.slice(-1), ["m v5"]);
});

t.test("a canary's share is exact over any run of requests, and comparisons add up", async (t) => {
  const batch = Array.from({ length: 10 }, (_, i) => ({ requestId: `r${i}` }) as Waiting);
  const one = canarySplit(batch, 0.3, 0);
  t.equal(one.canary.length, 3);
  const two = canarySplit(batch, 0.3, one.credit);
  t.equal(one.canary.length + two.canary.length, 6);
  t.same(compare({ values: 0, sumAbsDiff: 0, maxAbsDiff: 0, sameSign: 0 }, [1, -1], [0.5, 1]), {
    values: 2,
    sumAbsDiff: 2.5,
    maxAbsDiff: 2,
    sameSign: 1,
  });
});

t.test("an actor started with the registry's challenge loads it beside its version and runs it", async (t) => {
  const m = start({ version: 4, mode: "canary", share: 0.5 });
  t.same(m.loads, ["m v3", "m v4"], "both sessions load at the start");
  challengerLoaded(m);
  m.predict("r1", [1, 2]);
  m.complete(1, [0.1]);
  m.predict("r2", [3, 4]);
  t.same(
    m.jobs.map((j) => [j.version, j.count]),
    [
      [3, 1],
      [4, 1],
    ],
    "half the requests go to the canary",
  );
  const refused = start({ version: 3, mode: "shadow" });
  t.equal(refused.context().challenger, undefined, "a challenge of the serving version is not run");
  t.match(refused.context().challengerRefused, /v3 is the version serving/);
});

t.test("the same StartChallenger again keeps the challenge and its figures; each side's run time is reported", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 1 });
  challengerLoaded(m);
  m.predict("r1", [1, 2]);
  m.actor.send({ type: "InferenceCompleted", batchId: 1, values: [0.25], width: 1, provider: "cpu", runUs: 40, nowUs: 2 });
  m.actor.send({ type: "InferenceCompleted", batchId: 2, values: [0.5], width: 1, provider: "cpu", runUs: 90, nowUs: 2 });
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 3 });
  t.same(m.loads, ["m v3", "m v4"], "no second load");
  t.same(m.unloads, [], "nothing unloaded");
  t.match(m.replies(), [{ ok: true }, { ok: true }]);
  t.match(challengerFigures(m.context().challenger!), {
    version: 4,
    mode: "shadow",
    compared: 1,
    meanAbsDiff: 0.25,
    championRunUs: 40,
    challengerRunUs: 90,
  });
  m.actor.send({ type: "StartChallenger", version: 4, mode: "canary", share: 0.5, nowUs: 4 });
  t.match(m.context().challenger, { mode: "canary", share: 0.5, loaded: true, comparison: { values: 0 } }, "another mode starts afresh");
});

t.test("ending the challenge of a version being promoted keeps its session for the swap", async (t) => {
  const m = start();
  m.actor.send({ type: "StartChallenger", version: 4, mode: "shadow", nowUs: 1 });
  challengerLoaded(m);
  m.actor.send({ type: "PromoteVersion", version: 4, nowUs: 2 });
  m.actor.send({ type: "StopChallenger", nowUs: 3 });
  t.same(m.unloads, [], "v4's session stays open");
  m.actor.send({ type: "ModelLoaded", version: 4, provider: "cpu", features: ["a", "b"], nowUs: 4 });
  t.match(m.context(), { version: 4, challenger: undefined });
  t.same(m.unloads, ["m v3"], "the old version closes after the swap");
});
