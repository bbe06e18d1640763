import t from "tap";
import { eventually } from "../../test/testing.ts";
import { BacktestRuns, type BacktestRunStatus } from "./backtest-runs.ts";
import { barsRun } from "./testing.ts";

t.test("runs go one at a time in submission order, each on its own worker, and report their end to watchers", async (t) => {
  const { dir, input } = await barsRun(t, { minutes: 120, instruments: 1 });
  const runs = new BacktestRuns({ baseDir: dir });
  t.teardown(() => runs.close());
  const a = runs.submit({ ...input, name: "first" }, "quant");
  const b = runs.submit({ ...input, name: "second" }, "quant");
  if (!a.ok || !b.ok) throw new Error("both configurations are valid");
  t.equal(runs.status(b.status.id)?.state, "queued", "the second waits while the first runs");
  const seen: BacktestRunStatus["state"][] = [];
  // progress repeats "running"; the states it went through, each once
  runs.watch(b.status.id, (s) => seen.at(-1) !== s.state && seen.push(s.state));
  await eventually("both runs done", () => runs.list().every((r) => r.state === "done"), { timeoutMs: 120_000, everyMs: 100 });
  t.same(seen, ["queued", "running", "done"], "the watcher heard each change of the second run");
  t.same(
    runs.list().map((r) => r.name),
    ["second", "first"],
    "newest first",
  );
  t.equal(runs.report(a.status.id)?.journal.sha256, runs.report(b.status.id)?.journal.sha256, "the same inputs, the same journal");
});

t.test("past `keep` runs the oldest finished one is forgotten, and a stopped node fails what waits", async (t) => {
  const { dir, input } = await barsRun(t, { minutes: 30, instruments: 1 });
  const runs = new BacktestRuns({ baseDir: dir, keep: 1 });
  const a = runs.submit(input, "quant");
  if (!a.ok) throw new Error("a valid configuration");
  await eventually("the run done", () => runs.status(a.status.id)?.state === "done", { timeoutMs: 60_000, everyMs: 100 });
  const b = runs.submit(input, "quant");
  const c = runs.submit(input, "quant");
  if (!b.ok || !c.ok) throw new Error("valid configurations");
  t.equal(runs.status(a.status.id), undefined, "the finished run made room");
  t.equal(runs.list().length, 2, "runs not finished are never forgotten");
  await runs.close();
  t.match(runs.status(c.status.id), { state: "failed", error: "the node stopped before it ran" });
  t.match(runs.submit(input, "quant"), { ok: false, error: /the node is stopping/ });
});

t.test("a configuration is refused with the field named, and nothing is queued", async (t) => {
  const runs = new BacktestRuns({ baseDir: "/tmp/backtests" });
  t.match(runs.submit({ name: "x" }, "quant"), { ok: false, error: /run config start/ });
  t.throws(() => new BacktestRuns({ baseDir: ".", concurrency: 0 }), /concurrency 0/);
  t.same(runs.list(), []);
});
