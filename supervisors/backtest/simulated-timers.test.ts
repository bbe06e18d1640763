import t from "tap";
import { SimulatedTimers } from "./simulated-timers.ts";

t.test("timers fire by due time, ties in arming order, and a canceled one never fires", async (t) => {
  const timers = new SimulatedTimers();
  const fired: string[] = [];
  timers.schedule(300, () => fired.push("c"));
  timers.schedule(100, () => fired.push("a1"));
  const gone = timers.schedule(200, () => fired.push("canceled"));
  timers.schedule(100, () => fired.push("a2"));
  timers.schedule(250, () => fired.push("b"));
  gone.canceled = true;
  t.equal(timers.nextDueUs(), 100);
  for (let x = timers.takeDue(260); x; x = timers.takeDue(260)) x.fire();
  t.same(fired, ["a1", "a2", "b"], "only those due by 260");
  t.equal(timers.nextDueUs(), 300);
  timers.takeDue(300)!.fire();
  t.same(fired, ["a1", "a2", "b", "c"]);
  t.equal(timers.nextDueUs(), Number.POSITIVE_INFINITY);
});
