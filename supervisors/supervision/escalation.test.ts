import t from "tap";
import { FakeChildren } from "./testing.ts";
import { RestartIntensity } from "./restart-intensity.ts";
import { ManualScheduler } from "./scheduler.ts";
import { supervisorChild } from "./child.ts";
import { restartIntensityExceeded, Supervisor } from "./supervisor.ts";
import type { SupervisionEvent } from "./supervisor-options.ts";

t.test("restart intensity allows maxRestarts within the period and refuses one more", async (t) => {
  const intensity = new RestartIntensity(2, 1000);
  t.equal(intensity.allow(0), true);
  t.equal(intensity.allow(500), true);
  t.equal(intensity.allow(1000), false, "three restarts within 1000 ms");
  const later = new RestartIntensity(2, 1000);
  later.allow(0);
  later.allow(500);
  t.equal(later.allow(1001), true, "the first restart has left the period");
});

for (const strategy of ["one_for_one", "one_for_all", "rest_for_one"] as const) {
  t.test(`under ${strategy} a root supervisor past its intensity stops its children in reverse order and exits`, async (t) => {
    // OTP supervisor_SUITE: one_for_one_escalation, one_for_all_escalation, rest_for_one_escalation
    const kids = new FakeChildren();
    const events: SupervisionEvent[] = [];
    const sup = new Supervisor({
      name: "root",
      strategy,
      children: [kids.spec("a"), kids.spec("b"), kids.spec("c")],
      scheduler: new ManualScheduler(),
      maxRestarts: 1,
      periodMs: 5000,
      onEvent: (e) => events.push(e),
    });
    let exit: unknown;
    sup.onExit((reason) => {
      exit = reason;
    });
    await sup.start();
    kids.current("a").crash();
    await sup.settled();
    kids.take();
    kids.current("a").crash();
    await sup.settled();
    t.same(kids.take(), ["exit a", "stop c", "stop b"]);
    t.same(exit, restartIntensityExceeded);
    t.same(
      events.find((e) => e.type === "escalated"),
      {
        type: "escalated",
        supervisor: "root",
        childId: "a",
        restarts: 2,
        periodMs: 5000,
      },
    );
    t.equal(sup.countChildren().active, 0);
  });
}

t.test("restarts spread wider than the period never escalate", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a")],
    scheduler,
    maxRestarts: 1,
    periodMs: 1000,
  });
  await sup.start();
  for (let i = 0; i < 5; i++) {
    scheduler.advance(1001);
    kids.current("a").crash();
    await sup.settled();
  }
  t.equal(kids.starts("a"), 6);
  t.equal(sup.countChildren().active, 1);
});

t.test("a child that keeps failing to start runs the supervisor into its intensity", async (t) => {
  const kids = new FakeChildren();
  let exit: unknown;
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b")],
    scheduler: new ManualScheduler(),
    maxRestarts: 3,
  });
  sup.onExit((reason) => {
    exit = reason;
  });
  await sup.start();
  kids.take();
  kids.failStarts.set("a", 100);
  kids.current("a").crash();
  await sup.settled();
  t.same(kids.take(), ["exit a", "start-failed a", "start-failed a", "start-failed a", "stop b"]);
  t.same(exit, restartIntensityExceeded);
});

t.test("a nested supervisor past its intensity is restarted by its parent with fresh children", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const events: SupervisionEvent[] = [];
  const onEvent = (e: SupervisionEvent) => events.push(e);
  const root = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    scheduler,
    maxRestarts: 1,
    onEvent,
    children: [
      kids.spec("feed"),
      supervisorChild(
        "instruments",
        () =>
          new Supervisor({
            name: "instruments",
            strategy: "one_for_one",
            scheduler,
            maxRestarts: 0,
            onEvent,
            children: [kids.spec("x"), kids.spec("y")],
          }),
      ),
    ],
  });
  await root.start();
  t.same(root.countChildren(), { specs: 2, active: 2, supervisors: 1, workers: 1 });
  kids.take();
  events.length = 0;
  kids.current("x").crash();
  await flushTree();
  t.same(kids.take(), ["exit x", "stop y", "start x", "start y"]);
  t.same(
    events.filter((e) => e.type === "escalated" || e.supervisor === "root").map((e) => `${e.supervisor} ${e.type} ${e.childId}`),
    ["instruments escalated x", "root exited instruments", "root started instruments", "root restarted instruments"],
  );
  t.same(root.whichChildren()[1]?.lastExit, restartIntensityExceeded);
  t.ok(kids.current("feed").alive, "the sibling of the failed supervisor was untouched");
});

t.test("escalation climbs the tree until the root exits", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  let exit: unknown;
  const root = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    scheduler,
    maxRestarts: 0,
    children: [
      kids.spec("feed"),
      supervisorChild(
        "instruments",
        () => new Supervisor({ name: "instruments", strategy: "one_for_one", scheduler, maxRestarts: 0, children: [kids.spec("x")] }),
      ),
    ],
  });
  root.onExit((reason) => {
    exit = reason;
  });
  await root.start();
  kids.take();
  kids.current("x").crash();
  await flushTree();
  t.same(kids.take(), ["exit x", "stop feed"]);
  t.same(exit, restartIntensityExceeded);
});

t.test("a transient nested supervisor that gave up is not restarted, as in OTP", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const root = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    scheduler,
    children: [
      supervisorChild(
        "instruments",
        () => new Supervisor({ name: "instruments", strategy: "one_for_one", scheduler, maxRestarts: 0, children: [kids.spec("x")] }),
        { restart: "transient" },
      ),
    ],
  });
  await root.start();
  kids.current("x").crash();
  await flushTree();
  t.match(root.whichChildren()[0], { status: "stopped", lastExit: restartIntensityExceeded });
  t.equal(kids.starts("x"), 1);
});

/** Steps hop from a child supervisor's queue to its parent's: let all of them run. */
async function flushTree(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
