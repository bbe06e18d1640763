import { getEventListeners } from "node:events";
import t from "tap";
import { HALT, unlessHalted } from "./lane-runner.ts";

t.test("waiting on a batch leaves nothing on the halt signal once the batch arrives", async (t) => {
  const halt = new AbortController();
  for (let i = 0; i < 1_000; i++) t.equal(await unlessHalted(Promise.resolve(i), halt.signal), i);
  await t.rejects(unlessHalted(Promise.reject(new Error("consumer closed")), halt.signal), /consumer closed/);
  t.equal(getEventListeners(halt.signal, "abort").length, 0, "no listener kept per batch");
});

t.test("a halt ends a wait that would never end, and a halted signal answers at once", async (t) => {
  const halt = new AbortController();
  const waiting = unlessHalted(new Promise<never>(() => {}), halt.signal);
  halt.abort();
  t.equal(await waiting, HALT);
  t.equal(await unlessHalted(Promise.resolve(1), halt.signal), HALT);
});
