import t from "tap";
import { FakeChildren } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { supervisorChild } from "./child.ts";
import { Supervisor } from "./supervisor.ts";

async function supervise() {
  const kids = new FakeChildren();
  const scheduler = new ManualScheduler();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a")],
    scheduler,
    maxRestarts: 10,
  });
  await sup.start();
  kids.take();
  return { kids, sup, scheduler };
}

// OTP supervisor_SUITE: child_adm
t.test("addChild starts a new child after the others and refuses a duplicate id", async (t) => {
  const { kids, sup } = await supervise();
  await sup.addChild(kids.spec("b"));
  t.same(kids.take(), ["start b"]);
  await t.rejects(sup.addChild(kids.spec("b")), { code: "already_started" });
  await sup.terminateChild("b");
  await t.rejects(sup.addChild(kids.spec("b")), { code: "already_present" });
  t.same(
    sup.whichChildren().map((c) => c.id),
    ["a", "b"],
  );
});

t.test("a child that fails to start is not added", async (t) => {
  const { kids, sup } = await supervise();
  kids.failStarts.set("b", 1);
  await t.rejects(sup.addChild(kids.spec("b")), { code: "start_failed", message: /child b/ });
  t.equal(sup.countChildren().specs, 1);
});

t.test("terminateChild stops a child and keeps its spec; restartChild starts it again; deleteChild forgets it", async (t) => {
  const { kids, sup } = await supervise();
  await sup.terminateChild("a");
  t.same(kids.take(), ["stop a"]);
  t.equal(sup.whichChildren()[0]?.status, "stopped");
  await sup.restartChild("a");
  t.same(kids.take(), ["start a"]);
  await t.rejects(sup.restartChild("a"), { code: "running" });
  await t.rejects(sup.deleteChild("a"), { code: "running" });
  await sup.terminateChild("a");
  await sup.deleteChild("a");
  t.same(sup.whichChildren(), []);
  await t.rejects(sup.terminateChild("a"), { code: "not_found", message: /root has no child a/ });
});

t.test("a terminated child is not restarted by its supervisor", async (t) => {
  const { kids, sup } = await supervise();
  const a = kids.current("a");
  await sup.terminateChild("a");
  a.crash();
  await sup.settled();
  t.equal(kids.starts("a"), 1);
});

t.test("terminating a child that waits on a backoff cancels its restart", async (t) => {
  const kids = new FakeChildren();
  const scheduler = new ManualScheduler();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a")],
    scheduler,
    backoff: { minMs: 100, maxMs: 1000 },
  });
  await sup.start();
  kids.current("a").crash();
  await sup.settled();
  t.equal(sup.whichChildren()[0]?.status, "restarting");
  await t.rejects(sup.restartChild("a"), { code: "restarting" });
  await sup.terminateChild("a");
  scheduler.advance(1000);
  await sup.settled();
  t.equal(kids.starts("a"), 1);
  t.equal(scheduler.pending, 0);
});

t.test("a temporary child is forgotten once terminated", async (t) => {
  const { kids, sup } = await supervise();
  await sup.addChild(kids.spec("job", { restart: "temporary" }));
  await sup.terminateChild("job");
  t.same(
    sup.whichChildren().map((c) => c.id),
    ["a"],
  );
});

t.test("countChildren counts specs, running children, supervisors and workers", async (t) => {
  // OTP supervisor_SUITE: count_children
  const { kids, sup, scheduler } = await supervise();
  await sup.addChild(kids.spec("b"));
  await sup.addChild(supervisorChild("nested", () => new Supervisor({ name: "nested", strategy: "one_for_one", scheduler })));
  t.same(sup.countChildren(), { specs: 3, active: 3, supervisors: 1, workers: 2 });
  await sup.terminateChild("b");
  t.same(sup.countChildren(), { specs: 3, active: 2, supervisors: 1, workers: 2 });
});

t.test("whichChildren reports each child's state, restarts and last error", async (t) => {
  const { kids, sup } = await supervise();
  kids.current("a").crash("venue disconnected");
  await sup.settled();
  const [a] = sup.whichChildren();
  t.match(a, { id: "a", type: "worker", restart: "permanent", status: "running", restarts: 1 });
  t.match(a?.lastError, { message: "venue disconnected" });
});

t.test("a child spec is validated when the supervisor is made", async (t) => {
  const kids = new FakeChildren();
  t.throws(() => new Supervisor({ name: "root", strategy: "one_for_one", children: [kids.spec("a"), kids.spec("a")] }), {
    code: "invalid_option",
    message: /unique by id, got a/,
  });
  t.throws(() => new Supervisor({ name: "root", strategy: "one_for_one", children: [kids.spec("a", { shutdownMs: -1 })] }), {
    code: "invalid_option",
    message: /child a shutdownMs/,
  });
  t.throws(() => new Supervisor({ name: "root", strategy: "one_for_one", backoff: { jitter: 2 } }), { message: /backoff.jitter/ });
  t.throws(() => new Supervisor({ name: "root", strategy: "one_for_one", maxRestarts: -1 }), { message: /maxRestarts/ });
});
