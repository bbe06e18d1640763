import t from "tap";
import type { ExitReason, RestartType } from "./child.ts";
import { FakeChildren } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { Supervisor } from "./supervisor.ts";

/** One supervisor with one child `a` of the given restart type, started, with the log emptied. */
async function supervise(restart: RestartType) {
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a", { restart })],
    scheduler: new ManualScheduler(),
    maxRestarts: 10,
  });
  await sup.start();
  kids.take();
  return { kids, sup };
}

const crash: ExitReason = { error: new Error("boom") };

// OTP supervisor_SUITE: permanent_normal .. temporary_abnormal, the restart type against each exit reason
const table: [RestartType, string, ExitReason, "restarted" | "kept stopped" | "removed"][] = [
  ["permanent", "normal", "normal", "restarted"],
  ["permanent", "shutdown", "shutdown", "restarted"],
  ["permanent", "abnormal", crash, "restarted"],
  ["transient", "normal", "normal", "kept stopped"],
  ["transient", "shutdown", "shutdown", "kept stopped"],
  ["transient", "shutdown with a cause", { shutdown: "done" }, "kept stopped"],
  ["transient", "abnormal", crash, "restarted"],
  ["temporary", "normal", "normal", "removed"],
  ["temporary", "shutdown", "shutdown", "removed"],
  ["temporary", "abnormal", crash, "removed"],
];

for (const [restart, name, reason, outcome] of table) {
  t.test(`a ${restart} child that exits ${name} is ${outcome}`, async (t) => {
    const { kids, sup } = await supervise(restart);
    kids.current("a").exit(reason);
    await sup.settled();
    const children = sup.whichChildren();
    if (outcome === "restarted") {
      t.equal(kids.starts("a"), 2);
      t.equal(children[0]?.status, "running");
      t.equal(children[0]?.restarts, 1);
    } else if (outcome === "kept stopped") {
      t.equal(kids.starts("a"), 1);
      t.equal(children[0]?.status, "stopped");
      t.same(children[0]?.lastExit, reason);
    } else {
      t.equal(kids.starts("a"), 1);
      t.same(children, []);
    }
  });
}

t.test("a crashed child's error is kept as its last error", async (t) => {
  const { kids, sup } = await supervise("permanent");
  kids.current("a").crash("feed lost");
  await sup.settled();
  t.match(sup.whichChildren()[0]?.lastError, { message: "feed lost" });
});

for (const strategy of ["one_for_all", "rest_for_one"] as const) {
  t.test(`under ${strategy} a temporary bystander is stopped and removed, not restarted`, async (t) => {
    // OTP supervisor_SUITE: temporary_bystander
    const kids = new FakeChildren();
    const sup = new Supervisor({
      name: "root",
      strategy,
      children: [kids.spec("a"), kids.spec("b", { restart: "temporary" }), kids.spec("c")],
      scheduler: new ManualScheduler(),
      maxRestarts: 10,
    });
    await sup.start();
    kids.take();
    kids.current("a").crash();
    await sup.settled();
    t.same(kids.take(), ["exit a", "stop c", "stop b", "start a", "start c"]);
    t.same(
      sup.whichChildren().map((c) => [c.id, c.status]),
      [
        ["a", "running"],
        ["c", "running"],
      ],
    );
    t.equal(kids.starts("b"), 1);
  });
}
