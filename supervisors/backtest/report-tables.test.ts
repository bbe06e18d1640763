import t from "tap";
import { declareTables } from "../../infra/questdb/index.ts";
import { walApplied } from "../../infra/questdb/testing.ts";
import { startTestServers } from "../../test/testing.ts";
import { readBacktestReport, storeBacktestReport } from "./report-tables.ts";
import { runBacktest } from "./runner.ts";
import { barsRun } from "./testing.ts";

t.test("a run's report and equity curve are stored in QuestDB and read back by its run id", async (t) => {
  const { infra } = await startTestServers(t, { questdb: true, declare: false });
  const url = infra.questdbUrl ?? "";
  await declareTables(url);
  const { config } = await barsRun(t, { minutes: 120 });
  const result = await runBacktest(config);
  const finishedUs = Date.parse("2026-01-02T03:04:05.123456Z") * 1000;
  await storeBacktestReport(url, "run-a", result, finishedUs);
  // another run beside it: reading by id keeps them apart
  await storeBacktestReport(url, "run-b", { ...result, pnl: 1 }, finishedUs);
  await walApplied(url, "backtest_runs", { written: true });
  await walApplied(url, "backtest_equity", { written: true });
  const stored = await readBacktestReport(url, "run-a");
  t.ok(stored, "found by its id");
  const { samples, ...report } = result;
  t.equal(stored!.finishedUs, finishedUs);
  t.same(stored!.report, JSON.parse(JSON.stringify(report)), "the report as written");
  t.equal(stored!.equity.length, samples.length, "every sample of the equity curve");
  t.same(
    stored!.equity.map((e) => [e.tsUs, e.equity]),
    samples.map((s) => [s.tsUs, Math.round(s.equity * 1e8) / 1e8]),
  );
  t.equal((await readBacktestReport(url, "run-b"))!.report.pnl, 1);
  t.equal(await readBacktestReport(url, "no-such-run"), undefined);
});
