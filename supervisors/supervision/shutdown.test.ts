import t from "tap";
import { FakeChildren, flush } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { supervisorChild } from "./child.ts";
import { Supervisor } from "./supervisor.ts";
import type { SupervisionEvent } from "./supervisor-options.ts";

t.test("stopping a supervisor stops its children in reverse start order, then it exits with the reason", async (t) => {
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b"), kids.spec("c")],
    scheduler: new ManualScheduler(),
  });
  let exit: unknown;
  sup.onExit((reason) => {
    exit = reason;
  });
  await sup.start();
  kids.take();
  await sup.stop();
  t.same(kids.take(), ["stop c", "stop b", "stop a"]);
  t.equal(exit, "shutdown");
  t.same(sup.countChildren(), { specs: 3, active: 0, supervisors: 0, workers: 3 });
});

t.test("a child that ignores shutdown is killed after its timeout, and its siblings wait for it", async (t) => {
  // OTP supervisor_SUITE: sup_stop_timeout
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const events: SupervisionEvent[] = [];
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b", { shutdownMs: 2000, ignoresShutdown: true })],
    scheduler,
    onEvent: (e) => events.push(e),
  });
  await sup.start();
  kids.take();
  let stopped = false;
  const stopping = sup.stop().then(() => {
    stopped = true;
  });
  await flush();
  t.same(kids.take(), ["stop b"]);
  scheduler.advance(1999);
  await flush();
  t.equal(stopped, false, "still waiting before the timeout");
  t.same(kids.take(), []);
  scheduler.advance(1);
  await stopping;
  t.same(kids.take(), ["kill b", "stop a"]);
  t.same(
    events.filter((e) => e.type === "stopped").map((e) => [e.childId, e.type === "stopped" && e.killed]),
    [
      ["b", true],
      ["a", false],
    ],
  );
});

t.test("a child with shutdown 0 is killed without being asked to stop", async (t) => {
  // OTP supervisor_SUITE: sup_stop_brutal_kill
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a", { shutdownMs: 0 })],
    scheduler: new ManualScheduler(),
  });
  await sup.start();
  kids.take();
  await sup.stop();
  t.same(kids.take(), ["kill a"]);
});

t.test("a child with shutdown infinity is waited for as long as it takes", async (t) => {
  // OTP supervisor_SUITE: sup_stop_infinity
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a", { shutdownMs: "infinity", ignoresShutdown: true })],
    scheduler,
  });
  await sup.start();
  kids.take();
  let stopped = false;
  void sup.stop().then(() => {
    stopped = true;
  });
  await flush();
  scheduler.advance(3_600_000);
  await flush();
  t.equal(stopped, false);
  t.same(kids.take(), ["stop a"]);
});

t.test("a supervisor that fails to start a child stops those already started, in reverse order", async (t) => {
  // OTP supervisor_SUITE: sup_start_error
  const kids = new FakeChildren();
  kids.failStarts.set("c", 1);
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b"), kids.spec("c")],
    scheduler: new ManualScheduler(),
  });
  await t.rejects(sup.start(), { code: "start_failed", message: /child c/ });
  t.same(kids.take(), ["start a", "start b", "start-failed c", "stop b", "stop a"]);
});

t.test("stopping a tree stops the nested supervisor's children before the nested supervisor's elder siblings", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const root = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    scheduler,
    children: [
      kids.spec("feed"),
      supervisorChild(
        "instruments",
        () => new Supervisor({ name: "instruments", strategy: "one_for_one", scheduler, children: [kids.spec("x"), kids.spec("y")] }),
      ),
      kids.spec("gateway"),
    ],
  });
  await root.start();
  t.same(kids.take(), ["start feed", "start x", "start y", "start gateway"]);
  await root.stop();
  t.same(kids.take(), ["stop gateway", "stop y", "stop x", "stop feed"]);
});

t.test("killing a supervisor kills its children at once", async (t) => {
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a"), kids.spec("b")],
    scheduler: new ManualScheduler(),
  });
  await sup.start();
  kids.take();
  sup.kill();
  t.same(kids.take(), ["kill b", "kill a"]);
});
