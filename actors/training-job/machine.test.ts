import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { DomainEvent, Emitted } from "../contract/index.ts";
import type { TrainingJob } from "./evolve.ts";
import { createTrainingJobMachine } from "./machine.ts";
import type { StartTrainingJob } from "./messages.ts";
import type { TrainerPort } from "./trainer-port.ts";

const start: StartTrainingJob = {
  request: { dataset: "/data/sim", model: "gbt", folds: 2, trials: 2, window: 8, seed: 7 },
  name: "gbt-sim",
  version: 1,
  dataset: "sim",
  datasetSha256: "ab12",
  trials: [{ trees: 40 }, { trees: 80 }],
  folds: 2,
  startedBy: "alice",
};

/** The machine in memory with a recording port, as the runtime would drive it. */
function job(o: { maxRestarts?: number } = {}) {
  const calls: string[] = [];
  const port: TrainerPort = {
    start: (j, attempt) => void calls.push(`start ${j.job} #${attempt} from ${j.scores.length}`),
    keepAlive: (j, attempt) => void calls.push(`alive ${j} #${attempt}`),
    kill: (j) => void calls.push(`kill ${j}`),
    register: (j, attempt, file) => void calls.push(`register ${j.job} #${attempt} ${file}`),
  };
  const clock = new SimulatedClock();
  const actor = createActor(createTrainingJobMachine(port, { node: "node-a", maxRestarts: o.maxRestarts ?? 1, keepAliveMs: 1_000 }), {
    input: { id: "tj-1" },
    clock,
  });
  const events: DomainEvent[] = [];
  const replies: Extract<Emitted, { type: "reply" }>[] = [];
  actor.on("*", (e: Emitted) => {
    if (e.type === "domain") events.push(e.event);
    if (e.type === "reply") replies.push(e);
  });
  actor.start();
  const send = (e: { type: string; [k: string]: unknown }) => actor.send({ nowUs: 5, ...e } as never);
  const state = () => actor.getSnapshot().context.job as TrainingJob | undefined;
  return { actor, clock, calls, events, replies, send, state };
}

t.test("a started job journals its start and its process, and its reports become its events", async (t) => {
  const j = job();
  j.send({ type: "StartTrainingJob", ...start });
  t.same(
    j.events.map((e) => e.type),
    ["TrainingJobStarted", "TrainingProcessRestarted"],
  );
  t.match(j.replies, [{ ok: true, result: { job: "tj-1", phase: "running", attempts: 0 } }]);
  t.same(j.calls, ["start tj-1 #1 from 0"]);
  j.clock.increment(1_000);
  t.same(j.calls.at(-1), "alive tj-1 #1", "a running job keeps its process alive");
  j.send({ type: "TrainerFoldScored", attempt: 1, trial: 0, fold: 0, metrics: { ic: 0.1 }, fitMs: 3 });
  j.send({ type: "TrainerFoldScored", attempt: 1, trial: 0, fold: 0, metrics: { ic: 0.1 }, fitMs: 3 });
  t.equal(j.state()!.scores.length, 1, "a fold scored twice is kept once");
  j.send({ type: "TrainerModelSelected", attempt: 1, trial: 0, params: { trees: 40 }, metrics: { ic: 0.1 } });
  j.send({ type: "TrainerModelExported", attempt: 1, file: "/w/m.onnx", card: "/w/card.json" });
  t.same(j.calls.at(-1), "register tj-1 #1 /w/m.onnx", "the winner is registered through the port");
  j.send({ type: "TrainerStopped", attempt: 1, ok: true, reason: "exited 0" });
  t.equal(j.state()!.phase, "running", "a clean exit waits for the registration's answer");
  j.send({ type: "TrainerModelRegistered", attempt: 1, name: "gbt-sim", version: 1, sha256: "cd34" });
  t.equal(j.state()!.phase, "registered");
  t.same(
    j.events.map((e) => e.type),
    ["TrainingJobStarted", "TrainingProcessRestarted", "TrainingFoldScored", "TrainingModelSelected", "TrainingModelRegistered"],
  );
  const calls = j.calls.length;
  j.clock.increment(5_000);
  t.equal(j.calls.length, calls, "a finished job keeps nothing alive");
  j.send({ type: "StartTrainingJob", ...start });
  t.match(j.replies.at(-1), { ok: false, error: { code: "already-started" } });
});

t.test("a crashed process restarts up to maxRestarts, then the job fails with the reason", async (t) => {
  const j = job({ maxRestarts: 1 });
  j.send({ type: "StartTrainingJob", ...start });
  j.send({ type: "TrainerFoldScored", attempt: 1, trial: 0, fold: 0, metrics: { ic: 0.1 }, fitMs: 3 });
  j.send({ type: "TrainerStopped", attempt: 1, ok: false, reason: "exited 1: boom" });
  t.same(j.calls.at(-1), "start tj-1 #2 from 1", "restarted from the first fold not scored");
  j.send({ type: "TrainerFoldScored", attempt: 1, trial: 0, fold: 1, metrics: { ic: 0.2 }, fitMs: 3 });
  t.equal(j.state()!.scores.length, 1, "a report of the run left behind is ignored");
  j.send({ type: "TrainerStopped", attempt: 2, ok: false, reason: "exited 1: boom" });
  t.match(j.state(), { phase: "failed", error: "the training process failed: exited 1: boom", attempts: 2 });
});

t.test("a cancel kills the process; a job restored mid-run resumes with a new process", async (t) => {
  const j = job();
  j.send({ type: "CancelTrainingJob", by: "bob" });
  t.match(j.replies.at(-1), { ok: false, error: { code: "unknown-job", message: "job: no training job tj-1" } });
  j.send({ type: "StartTrainingJob", ...start });
  j.send({ type: "CancelTrainingJob", by: "bob" });
  t.match(j.replies.at(-1), { ok: true, result: { phase: "cancelled", cancelledBy: "bob" } });
  t.same(j.calls.at(-1), "kill tj-1");
  j.send({ type: "CancelTrainingJob", by: "bob" });
  t.match(j.replies.at(-1), { ok: false, error: { code: "finished" } });

  // another node: the journal replayed, then the runtime's resume
  const other = job();
  for (const e of j.events.slice(0, 2)) other.send({ ...e, replay: true });
  t.same(other.calls, [], "a replay starts nothing");
  other.send({ type: "ResumeTrainingJob" });
  t.same(other.calls, ["start tj-1 #2 from 0"]);
  t.match(other.events, [{ type: "TrainingProcessRestarted", attempt: 2, node: "node-a", reason: /resumed on node-a/ }]);
});
