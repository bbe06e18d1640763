import t from "tap";
import { ManualScheduler, systemScheduler } from "./scheduler.ts";

t.test("the manual scheduler fires due timers in time order, including timers they set", async (t) => {
  const scheduler = new ManualScheduler();
  const fired: string[] = [];
  scheduler.setTimer(30, () => fired.push("c"));
  scheduler.setTimer(10, () => {
    fired.push(`a at ${scheduler.now()}`);
    scheduler.setTimer(5, () => fired.push(`b at ${scheduler.now()}`));
  });
  const cancel = scheduler.setTimer(20, () => fired.push("canceled"));
  cancel();
  scheduler.advance(25);
  t.same(fired, ["a at 10", "b at 15"]);
  t.equal(scheduler.now(), 25);
  scheduler.advance(5);
  t.same(fired, ["a at 10", "b at 15", "c"]);
});

t.test("the system scheduler fires a timer and a canceled one never fires", async (t) => {
  const fired: string[] = [];
  const cancel = systemScheduler.setTimer(0, () => fired.push("canceled"));
  cancel();
  await new Promise<void>((resolve) => systemScheduler.setTimer(1, () => resolve()));
  t.same(fired, []);
  t.ok(systemScheduler.now() > 0);
});
