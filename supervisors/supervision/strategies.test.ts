import t from "tap";
import { FakeChildren } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { Supervisor } from "./supervisor.ts";
import type { SupervisionEvent } from "./supervisor-options.ts";

async function supervise(strategy: "one_for_one" | "one_for_all" | "rest_for_one") {
  const kids = new FakeChildren();
  const events: SupervisionEvent[] = [];
  const sup = new Supervisor({
    name: "root",
    strategy,
    children: [kids.spec("a"), kids.spec("b"), kids.spec("c")],
    scheduler: new ManualScheduler(),
    maxRestarts: 10,
    onEvent: (e) => events.push(e),
  });
  await sup.start();
  kids.take();
  events.length = 0;
  return { kids, sup, events };
}

t.test("children start in spec order", async (t) => {
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b"), kids.spec("c")],
    scheduler: new ManualScheduler(),
  });
  await sup.start();
  t.same(kids.take(), ["start a", "start b", "start c"]);
});

t.test("restarts only the failed child under one_for_one", async (t) => {
  const { kids, sup, events } = await supervise("one_for_one");
  const [a, c] = [kids.current("a"), kids.current("c")];
  kids.current("b").crash();
  await sup.settled();
  t.same(kids.take(), ["exit b", "start b"]);
  t.ok(a.alive && c.alive, "the siblings kept running");
  t.same(
    events.map((e) => `${e.type} ${e.childId}`),
    ["exited b", "started b", "restarted b"],
  );
});

t.test("restarts every child in start order under one_for_all, stopping the others in reverse order", async (t) => {
  const { kids, sup } = await supervise("one_for_all");
  kids.current("b").crash();
  await sup.settled();
  t.same(kids.take(), ["exit b", "stop c", "stop a", "start a", "start b", "start c"]);
  t.same(
    sup.whichChildren().map((c) => [c.id, c.status, c.restarts]),
    [
      ["a", "running", 1],
      ["b", "running", 1],
      ["c", "running", 1],
    ],
  );
});

t.test("restarts the failed child and those started after it under rest_for_one", async (t) => {
  const { kids, sup } = await supervise("rest_for_one");
  const a = kids.current("a");
  kids.current("b").crash();
  await sup.settled();
  t.same(kids.take(), ["exit b", "stop c", "start b", "start c"]);
  t.ok(a.alive, "the child started before the failed one kept running");
});

t.test("under rest_for_one a failure of the last child restarts only it", async (t) => {
  const { kids, sup } = await supervise("rest_for_one");
  kids.current("c").crash();
  await sup.settled();
  t.same(kids.take(), ["exit c", "start c"]);
});

t.test("a stopped sibling stays stopped when one_for_all restarts the others", async (t) => {
  const { kids, sup } = await supervise("one_for_all");
  await sup.terminateChild("c");
  kids.take();
  kids.current("a").crash();
  await sup.settled();
  t.same(kids.take(), ["exit a", "stop b", "start a", "start b"]);
  t.equal(sup.whichChildren()[2]?.status, "stopped");
});

for (const strategy of ["one_for_all", "rest_for_one"] as const) {
  t.test(`under ${strategy} a sibling that fails to restart is retried with the rest`, async (t) => {
    // OTP supervisor_SUITE: one_for_all_other_child_fails_restart, rest_for_one_other_child_fails_restart
    const { kids, sup } = await supervise(strategy);
    kids.failStarts.set("c", 1);
    kids.current("b").crash();
    await sup.settled();
    const expected =
      strategy === "one_for_all"
        ? ["exit b", "stop c", "stop a", "start a", "start b", "start-failed c", "stop b", "stop a", "start a", "start b", "start c"]
        : ["exit b", "stop c", "start b", "start-failed c", "start c"];
    t.same(kids.take(), expected);
    t.same(
      sup.whichChildren().map((c) => c.status),
      ["running", "running", "running"],
    );
  });
}
