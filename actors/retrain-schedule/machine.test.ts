import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { DomainEvent, Emitted } from "../contract/index.ts";
import { parseRetrainDefinition } from "./definition.ts";
import type { RetrainSchedule } from "./evolve.ts";
import { createRetrainScheduleMachine } from "./machine.ts";

const definition = parseRetrainDefinition({ dataset: "/data/sim", model: "gbt", everyMs: 60_000 });

function schedule() {
  const runs: string[] = [];
  const clock = new SimulatedClock();
  const actor = createActor(
    createRetrainScheduleMachine({ run: (name, run, _d, job) => void runs.push(`${name} #${run}${job ? ` ${job}` : ""}`) }),
    { input: { name: "gbt-live" }, clock },
  );
  const events: DomainEvent[] = [];
  const replies: Extract<Emitted, { type: "reply" }>[] = [];
  actor.on("*", (e: Emitted) => {
    if (e.type === "domain") events.push(e.event);
    if (e.type === "reply") replies.push(e);
  });
  actor.start();
  let nowUs = 0;
  const send = (e: { type: string; [k: string]: unknown }) => actor.send({ nowUs, ...e } as never);
  const advance = (ms: number) => {
    nowUs += ms * 1000;
    clock.increment(ms);
  };
  const state = () => actor.getSnapshot().context.schedule as RetrainSchedule;
  return { runs, events, replies, send, advance, state };
}

t.test("a defined schedule runs at once, then everyMs after each run started, one run at a time", async (t) => {
  const s = schedule();
  s.send({ type: "DefineRetrainSchedule", definition, by: "OPS/olga" });
  t.match(s.replies, [{ ok: true }]);
  s.advance(0);
  t.same(s.runs, ["gbt-live #1"], "the first run starts at once");
  s.send({ type: "RetrainJobReported", run: 1, job: "tj-1" });
  s.advance(120_000);
  t.same(s.runs, ["gbt-live #1"], "no second run while the first is under way");
  s.send({ type: "RetrainRunReported", run: 1, outcome: { name: "gbt-live", candidate: 2, live: 1, promoted: true, reason: "beats" } });
  s.advance(0);
  t.same(s.runs, ["gbt-live #1", "gbt-live #2"], "a run overdue starts as soon as the last one ends");
  s.send({ type: "RetrainRunReported", run: 1, outcome: { name: "gbt-live", promoted: false, reason: "late echo" } });
  t.equal(s.state().outcomes.length, 1, "a report of a finished run changes nothing");
  s.send({ type: "RetrainRunReported", run: 2, outcome: { name: "gbt-live", candidate: 3, live: 2, promoted: false, reason: "equal" } });
  s.advance(59_000);
  t.equal(s.runs.length, 2);
  t.same(
    s.events.map((e) => e.type),
    ["RetrainScheduleDefined", "RetrainRunStarted", "RetrainJobAssigned", "RetrainRunFinished", "RetrainRunStarted", "RetrainRunFinished"],
  );
  s.send({ type: "RemoveRetrainSchedule", by: "OPS/olga" });
  s.advance(600_000);
  t.equal(s.runs.length, 2, "a removed schedule starts no run");
  s.send({ type: "RemoveRetrainSchedule", by: "OPS/olga" });
  t.match(s.replies.at(-1), { ok: false, error: { code: "not-defined", message: "name: no retrain schedule gbt-live" } });
});

t.test("restored on another node, a run under way is followed to its end, not started again", async (t) => {
  const first = schedule();
  first.send({ type: "DefineRetrainSchedule", definition, by: "OPS/olga" });
  first.advance(0);
  first.send({ type: "RetrainJobReported", run: 1, job: "tj-9" });
  const other = schedule();
  for (const e of first.events) other.send({ ...e, replay: true });
  t.same(other.runs, [], "a replay runs nothing");
  other.send({ type: "ResumeRetrainSchedule" });
  t.same(other.runs, ["gbt-live #1 tj-9"], "the run follows its training job");
});

t.test("a definition is checked field by field", async (t) => {
  t.throws(() => parseRetrainDefinition({ dataset: "/d", model: "gbt", everyMs: 10 }), {
    name: "TrainingRefused",
    field: "everyMs",
  } as never);
  t.throws(() => parseRetrainDefinition({ dataset: "/d", model: "gbt", everyMs: 60_000, promote: "always" }), {
    name: "TrainingRefused",
    field: "promote",
  } as never);
  t.throws(() => parseRetrainDefinition({ dataset: "/d", model: "gbt", everyMs: 60_000, cron: "* * *" }), {
    name: "TrainingRefused",
    field: "cron",
  } as never);
  t.throws(() => parseRetrainDefinition({ model: "gbt", everyMs: 60_000 }), { name: "TrainingRefused", field: "dataset" } as never);
  t.match(parseRetrainDefinition({ dataset: "/d", model: "seq", everyMs: 60_000 }), { promote: "beats-live", shadowMs: 0, folds: 4 });
});
