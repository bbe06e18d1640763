import t from "tap";
import { eventually } from "../../test/testing.ts";
import { startSeededSchedule } from "./seeded-schedule.ts";

const collect = (o: { nowMs: number; seed?: number; historyMs?: number; slotMs?: number }) => {
  const out: { slot: number; atMs: number; draw: number }[] = [];
  const s = startSeededSchedule({
    seed: o.seed ?? 7,
    slotMs: o.slotMs ?? 1_000,
    historyMs: o.historyMs ?? 10_000,
    now: () => o.nowMs,
    publish: (slot, atMs, random) => void out.push({ slot, atMs, draw: random.next() }),
  });
  s.stop();
  return out;
};

t.test("a slot's event is the same whenever the schedule starts: a restart republishes, never contradicts", async (t) => {
  const first = collect({ nowMs: 1_000_000 });
  const later = collect({ nowMs: 1_004_000 });
  t.ok(first.length >= 8 && first.length <= 11, `${first.length} events in 10 s of 1 s slots`);
  const bySlot = new Map(first.map((e) => [e.slot, e]));
  const shared = later.filter((e) => bySlot.has(e.slot));
  t.ok(shared.length >= 4);
  for (const e of shared) t.same(e, bySlot.get(e.slot));
  t.not(collect({ nowMs: 1_000_000, seed: 8 })[0]?.draw, first[0]?.draw, "another seed, other events");
  for (const e of first) {
    t.ok(e.atMs <= 1_000_000 && e.atMs >= 990_000, "history within its window, none in the future");
    t.ok(e.atMs - e.slot * 1_000 < 1_000 / 3, "in the first third of its slot");
  }
});

t.test("a batch publisher gets the whole history at once, in slot order, and the single publisher none of it", async (t) => {
  const batches: number[][] = [];
  const single: number[] = [];
  const s = startSeededSchedule({
    seed: 7,
    slotMs: 1_000,
    historyMs: 10_000,
    now: () => 1_000_000,
    publish: (slot) => void single.push(slot),
    publishHistory: (events) => void batches.push(events.map((e) => e.slot)),
  });
  s.stop();
  t.same(batches, [collect({ nowMs: 1_000_000 }).map((e) => e.slot)]);
  t.same(single, []);
});

t.test("after the history each slot is published as its time comes, until stopped", async (t) => {
  const out: number[] = [];
  const s = startSeededSchedule({ seed: 1, slotMs: 30, historyMs: 0, publish: (_slot, atMs) => void out.push(atMs) });
  await eventually("three slots published", () => out.length >= 3);
  s.stop();
  const n = out.length;
  for (const at of out) t.ok(at <= Date.now());
  await new Promise((r) => setTimeout(r, 100));
  t.equal(out.length, n, "nothing after stop");
});

t.test("a publish that fails is reported and the schedule goes on", async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const s = startSeededSchedule({
    seed: 1,
    slotMs: 20,
    historyMs: 0,
    publish: async () => {
      calls += 1;
      throw new Error("disk full");
    },
    onError: (e) => errors.push(e),
  });
  await eventually("two failures reported", () => errors.length >= 2);
  s.stop();
  t.ok(calls >= 2);
  t.match(errors[0], /disk full/);
  t.throws(() => startSeededSchedule({ seed: 1, slotMs: 1, historyMs: 0, publish: () => {} }), /slotMs 1/);
});
