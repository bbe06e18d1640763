import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { gridPoints, randomPoints } from "./parameter-space.ts";
import { sweepPoints } from "./optimiser.ts";
import { parseSweep } from "./sweep-config.ts";
import { readSweepFile } from "./sweep-file.ts";

t.test("grid points vary the first parameter slowest; ranges walk by their step", async (t) => {
  t.same(gridPoints({ a: { values: [1, 2] }, b: { min: 0.1, max: 0.3, step: 0.1, integer: false } }), [
    { a: 1, b: 0.1 },
    { a: 1, b: 0.2 },
    { a: 1, b: 0.3 },
    { a: 2, b: 0.1 },
    { a: 2, b: 0.2 },
    { a: 2, b: 0.3 },
  ]);
  t.throws(() => gridPoints({ a: { min: 1, max: 2, integer: false } }), /parameter a: a grid needs a step/);
});

t.test("random points are seeded and stay inside their ranges", async (t) => {
  const space = { a: { min: 2, max: 9, integer: true }, b: { values: ["x", "y"] }, c: { min: 0, max: 1, integer: false } };
  const one = randomPoints(space, 20, 42);
  t.same(randomPoints(space, 20, 42), one, "the same seed, the same points");
  t.not(JSON.stringify(randomPoints(space, 20, 43)), JSON.stringify(one), "another seed, other points");
  for (const p of one) {
    t.ok(Number.isInteger(p.a) && (p.a as number) >= 2 && (p.a as number) <= 9);
    t.ok(p.b === "x" || p.b === "y");
    t.ok((p.c as number) >= 0 && (p.c as number) < 1);
  }
});

t.test("a bad sweep file is refused, naming the field", async (t) => {
  const ok = { run: "r.json", parameters: { fastPeriod: { values: [5] } }, search: { kind: "grid" } };
  t.throws(() => parseSweep({ ...ok, objective: "luck" }), /sweep objective:/);
  t.throws(() => parseSweep({ ...ok, search: { kind: "random", seed: 1 } }), /sweep search\.trials:/);
  t.throws(
    () => parseSweep({ ...ok, parameters: { slowPeriod: { min: 30, max: 20 } } }),
    /sweep parameters\.slowPeriod\.max: max must be at least min/,
  );
  t.throws(() => parseSweep({ ...ok, pboBlocks: 5 }), /sweep pboBlocks: must be even/);
  t.throws(
    () => parseSweep({ ...ok, walkForward: { inSampleMs: 10, outOfSampleMs: 5, stepMs: 2 } }),
    /sweep walkForward\.stepMs: must be at least outOfSampleMs/,
  );
  t.throws(() => parseSweep({ ...ok, workers: 0 }), /sweep workers:/);
  t.throws(() => parseSweep({ ...ok, extra: 1 }), /sweep \(root\): Unrecognized key/);
  const huge = parseSweep({ ...ok, parameters: { a: { min: 0, max: 999, step: 1 }, b: { min: 0, max: 999, step: 1 } } });
  t.throws(() => sweepPoints(huge), /sweep parameters: the grid has 1000000 points, more than 100000/);

  const dir = mkdtempSync(join(tmpdir(), "sweep-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "sweep.json"), JSON.stringify({ ...ok, run: "missing.json" }));
  await t.rejects(readSweepFile(join(dir, "sweep.json")), /sweep run .*missing\.json/);
  writeFileSync(join(dir, "objective.json"), JSON.stringify({ ...ok, objective: "luck" }));
  await t.rejects(readSweepFile(join(dir, "objective.json")), /objective\.json: sweep objective:/);
  writeFileSync(join(dir, "bad.json"), "{ not json");
  await t.rejects(readSweepFile(join(dir, "bad.json")), /sweep file .*bad\.json/);
});

t.test("the sample sweep file reads", async (t) => {
  const { sweep, run } = await readSweepFile(new URL("../../scripts/examples/backtest-sweep.json", import.meta.url).pathname);
  t.equal(sweep.search.kind, "grid");
  t.equal(run.strategies[0]!.id, sweep.strategy);
});
