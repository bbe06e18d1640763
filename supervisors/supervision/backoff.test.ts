import fc from "fast-check";
import t from "tap";
import { type BackoffPolicy, backoffDelay } from "./backoff.ts";
import { FakeChildren } from "./testing.ts";
import { ManualScheduler } from "./scheduler.ts";
import { Supervisor } from "./supervisor.ts";
import type { SupervisionEvent } from "./supervisor-options.ts";

const policy: BackoffPolicy = { minMs: 100, maxMs: 1600, factor: 2, jitter: 0, resetAfterMs: 10_000 };

t.test("the backoff delay doubles from minMs and stops growing at maxMs", async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(policy, n, 0.5)),
    [100, 200, 400, 800, 1600, 1600, 1600],
  );
});

t.test("jitter takes up to its fraction off the delay, never more, never adding", async (t) => {
  t.equal(backoffDelay({ ...policy, jitter: 0.5 }, 3, 0), 400);
  t.equal(backoffDelay({ ...policy, jitter: 0.5 }, 3, 0.5), 300);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
      (n, jitter, r) => {
        const base = backoffDelay(policy, n, 0);
        const delay = backoffDelay({ ...policy, jitter }, n, r);
        return delay <= base && delay >= Math.floor(base * (1 - jitter)) && delay <= policy.maxMs;
      },
    ),
  );
});

t.test("minMs 0 restarts at once", async (t) => {
  t.equal(backoffDelay({ ...policy, minMs: 0 }, 9, 0.3), 0);
});

async function supervise(random = () => 0) {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const events: SupervisionEvent[] = [];
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_one",
    children: [kids.spec("a")],
    scheduler,
    random,
    maxRestarts: 100,
    periodMs: 60_000,
    backoff: { ...policy, jitter: 0.5 },
    onEvent: (e) => events.push(e),
  });
  await sup.start();
  return { scheduler, kids, events, sup };
}

/** Crashes `a` and returns how long its restart took in scheduler time. */
async function crashAndWait(scheduler: ManualScheduler, kids: FakeChildren, sup: Supervisor): Promise<number> {
  const before = kids.starts("a");
  const from = scheduler.now();
  kids.current("a").crash();
  await sup.settled();
  while (kids.starts("a") === before) {
    scheduler.advance(1);
    await sup.settled();
  }
  return scheduler.now() - from;
}

t.test("restart delays grow while a child keeps failing and reset after it ran quietly", async (t) => {
  const { scheduler, kids, sup, events } = await supervise();
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) delays.push(await crashAndWait(scheduler, kids, sup));
  t.same(delays, [100, 200, 400, 800, 1600, 1600]);
  scheduler.advance(10_000);
  t.equal(await crashAndWait(scheduler, kids, sup), 100, "back to minMs after a quiet period");
  t.same(
    events.filter((e) => e.type === "restarted").map((e) => e.type === "restarted" && [e.attempt, e.delayMs]),
    [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1600],
      [6, 1600],
      [1, 100],
    ],
  );
});

t.test("jitter comes from the injected random source", async (t) => {
  const { scheduler, kids, sup } = await supervise(() => 0.5);
  t.equal(await crashAndWait(scheduler, kids, sup), 75);
  t.equal(await crashAndWait(scheduler, kids, sup), 150);
});

t.test("a child waiting on its backoff shows as restarting and is not running", async (t) => {
  const { kids, sup } = await supervise();
  kids.current("a").crash();
  await sup.settled();
  t.match(sup.whichChildren()[0], { status: "restarting" });
  t.equal(sup.countChildren().active, 0);
});

t.test("stopping a supervisor cancels the restarts it was waiting on", async (t) => {
  const { scheduler, kids, sup } = await supervise();
  kids.current("a").crash();
  await sup.settled();
  await sup.stop();
  scheduler.advance(10_000);
  await sup.settled();
  t.equal(kids.starts("a"), 1);
  t.equal(scheduler.pending, 0);
});

t.test("a group restart waits for the failed child's backoff, then restarts the group in order", async (t) => {
  const scheduler = new ManualScheduler();
  const kids = new FakeChildren();
  const sup = new Supervisor({
    name: "root",
    strategy: "one_for_all",
    children: [kids.spec("a"), kids.spec("b")],
    scheduler,
    maxRestarts: 10,
    backoff: { ...policy },
  });
  await sup.start();
  kids.take();
  kids.current("b").crash();
  await sup.settled();
  t.same(kids.take(), ["exit b", "stop a"], "siblings are stopped at once");
  scheduler.advance(99);
  await sup.settled();
  t.same(kids.take(), []);
  scheduler.advance(1);
  await sup.settled();
  t.same(kids.take(), ["start a", "start b"]);
});
