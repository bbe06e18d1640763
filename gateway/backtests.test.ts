import { status as Status } from "@grpc/grpc-js";
import t from "tap";
import { BacktestRuns } from "../supervisors/backtest/backtest-runs.ts";
import { runBacktest } from "../supervisors/backtest/runner.ts";
import { barsRun } from "../supervisors/backtest/testing.ts";
import { call, failure, openStream, startHarness } from "./testing.ts";

interface Status_ {
  id: string;
  name: string;
  state: string;
  progress: number;
  records: number;
  error: string;
  submittedBy: string;
}

t.test("a backtest submitted over gRPC runs on a worker thread, streams its progress to the end and gives its report", async (t) => {
  const { dir, config, input } = await barsRun(t, { minutes: 240 });
  const runs = new BacktestRuns({ baseDir: dir });
  t.teardown(() => runs.close());
  const h = await startHarness(t, { backtests: runs });
  const client = h.client("Backtests");
  const trader = h.meta(await h.token("trader", "quant-1"));
  const viewer = h.meta(await h.token("viewer"));

  const submitted = await call<Status_>(client, "SubmitBacktest", { configJson: JSON.stringify({ ...input, name: "grpc-run" }) }, trader);
  t.match(submitted, { name: "grpc-run", submittedBy: "quant-1" });
  t.match(submitted.state, /BACKTEST_STATE_(QUEUED|RUNNING)/);

  const seen: Status_[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = openStream<Status_>(client, "StreamProgress", { id: submitted.id }, viewer);
    stream.on("data", (s: Status_) => seen.push(s));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  t.ok(seen.length >= 2, `the stream carried the run's changes (${seen.map((s) => s.state).join(", ")})`);
  t.match(seen.at(-1), { id: submitted.id, state: "BACKTEST_STATE_DONE", progress: 1 }, "it ends with the run, done");

  const result = await call<{
    status: Status_;
    pnl: string;
    journalSha256: string;
    fills: number;
    performance: Record<string, number>;
    reportJson: string;
  }>(client, "GetBacktestResult", { id: submitted.id }, viewer);
  const direct = await runBacktest(config);
  t.equal(result.journalSha256, direct.journal.sha256, "the same event journal as the run in this process");
  t.equal(result.pnl, direct.pnl.toFixed(2));
  t.equal(result.fills, direct.fills);
  t.equal(result.performance.sharpe, direct.performance.sharpe, "figures by their snake-case names");
  t.equal((JSON.parse(result.reportJson) as { records: number }).records, direct.records, "the whole report as JSON");
  const listed = await call<{ backtests: Status_[] }>(client, "ListBacktests", {}, viewer);
  t.same(
    listed.backtests.map((b) => [b.id, b.state]),
    [[submitted.id, "BACKTEST_STATE_DONE"]],
  );
  const got = await call<Status_>(client, "GetBacktest", { id: submitted.id }, viewer);
  t.equal(got.records, direct.records, "the status counts the records read");
});

t.test("a bad submission is refused, naming the field, and changes nothing", async (t) => {
  const { dir, input } = await barsRun(t, { minutes: 5, instruments: 1 });
  const runs = new BacktestRuns({ baseDir: dir });
  t.teardown(() => runs.close());
  const h = await startHarness(t, { backtests: runs });
  const client = h.client("Backtests");
  const trader = h.meta(await h.token("trader"));
  const bad = await failure(call(client, "SubmitBacktest", { configJson: JSON.stringify({ ...input, end: 1 }) }, trader));
  t.equal(bad.code, Status.INVALID_ARGUMENT);
  t.match(bad.details, /config_json: run config end: must be after start/);
  const outside = await failure(
    call(
      client,
      "SubmitBacktest",
      { configJson: JSON.stringify({ ...input, data: { kind: "csv", files: ["../../etc/passwd"] } }) },
      trader,
    ),
  );
  t.equal(outside.code, Status.INVALID_ARGUMENT);
  t.match(outside.details, /data\.files\.0: \.\.\/\.\.\/etc\/passwd is outside the backtest folder/);
  const notJson = await failure(call(client, "SubmitBacktest", { configJson: "{" }, trader));
  t.equal(notJson.code, Status.INVALID_ARGUMENT);
  const viewer = h.meta(await h.token("viewer"));
  const denied = await failure(call(client, "SubmitBacktest", { configJson: JSON.stringify(input) }, viewer));
  t.equal(denied.code, Status.PERMISSION_DENIED, "a viewer may watch backtests, not start them");
  t.same((await call<{ backtests: Status_[] }>(client, "ListBacktests", {}, viewer)).backtests, [], "nothing was queued");
  const unknown = await failure(call(client, "GetBacktestResult", { id: "no-such-run" }, viewer));
  t.equal(unknown.code, Status.NOT_FOUND);
  t.match(unknown.details, /id: no backtest no-such-run/);
});

t.test("a gateway without a backtest runner answers UNAVAILABLE", async (t) => {
  const h = await startHarness(t);
  const e = await failure(call(h.client("Backtests"), "ListBacktests", {}, h.meta(await h.token("viewer"))));
  t.equal(e.code, Status.UNAVAILABLE);
});
