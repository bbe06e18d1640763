import t from "tap";
import type { BacktestResult, BacktestRunStatus } from "../backtest/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { startTestServers } from "../../test/testing.ts";
import { signToken } from "./auth.ts";
import { startConsole } from "./server.ts";
import { ConsoleClient } from "./testing.ts";

const SECRET = "console-test-secret-of-at-least-32-bytes!";
const DAY_US = 86_400_000_000;

const status = (id: string, state: BacktestRunStatus["state"], simulatedUs: number): BacktestRunStatus => ({
  id,
  name: `run-${id}`,
  state,
  startUs: 0,
  endUs: 10 * DAY_US,
  simulatedUs,
  records: 1234,
  submittedBy: "quinn",
  submittedAtUs: 1,
});

const result = (samples: number): BacktestResult => ({
  name: "run-a",
  startUs: 0,
  endUs: 10 * DAY_US,
  records: 1234,
  actorSteps: 5000,
  wallMs: 12,
  cpuMs: 11,
  recordsPerSec: 100_000,
  journal: { sha256: "ab".repeat(32), events: 40 },
  deadLetters: 0,
  orders: 6,
  fills: 6,
  fees: 1.5,
  initialEquity: 1000,
  finalEquity: 1100,
  pnl: 100,
  performance: {
    totalReturn: 0.1,
    annualisedReturn: 0.5,
    volatility: 0.2,
    sharpe: 2,
    sortino: 3,
    calmar: 4,
    maxDrawdown: 0.05,
    maxDrawdownPeriods: 3,
    hitRate: 0.5,
    profitFactor: 1.5,
    turnover: 2,
    exposure: 0.4,
  },
  samples: Array.from({ length: samples }, (_, i) => ({ tsUs: i * 60_000_000, equity: 1000 + i / 100, drawdown: 0, exposure: 0.4 })),
  actors: {},
});

t.test("the backtests panel: runs with their progress pushed as they change, a finished run's report on request", async (t) => {
  const f = await startTestServers(t, { declare: false });
  const runs = [status("b", "running", 5 * DAY_US), status("a", "done", 10 * DAY_US)];
  const reports = new Map([["a", result(10_000)]]);
  const running = await startConsole({
    nc: f.nc,
    port: 0,
    auth: { secret: SECRET },
    backtests: { list: () => runs.map((r) => ({ ...r })), report: (id) => reports.get(id) },
    backtestIntervalMs: 50,
    log: createLogger({ level: "error" }),
  });
  t.teardown(() => running.stop());
  const viewer = await ConsoleClient.open(running.url, await signToken({ sub: "victor", role: "viewer" }, SECRET));
  t.teardown(() => viewer.close());
  const first = await viewer.waitFor((x) => x.type === "backtests", "the backtests");
  t.match(first, {
    runs: [
      { id: "b", state: "running", simulatedUs: 5 * DAY_US },
      { id: "a", state: "done" },
    ],
  });
  runs[0]!.simulatedUs = 8 * DAY_US;
  await viewer.waitFor(
    (x) => x.type === "backtests" && (x.runs as BacktestRunStatus[])[0]?.simulatedUs === 8 * DAY_US,
    "the running backtest's progress",
  );
  // a viewer may read reports: they change nothing
  const answer = await viewer.request({ op: "backtestReport", id: "a" });
  t.match(answer, { type: "backtestReport", id: "a", report: { name: "run-a", pnl: 100, performance: { sharpe: 2 } } });
  const report = answer.report as { equity: [number, number][]; samples?: unknown };
  t.equal(report.samples, undefined, "the raw samples stay on the node");
  t.ok(report.equity.length <= 600, `the curve thinned to ${report.equity.length} points`);
  t.same(report.equity[report.equity.length - 1], [9_999 * 60_000, 1000 + 9_999 / 100], "ending at the last sample");
  t.match(await viewer.request({ op: "backtestReport", id: "b" }), { error: "backtest b is running" });
  t.match(await viewer.request({ op: "backtestReport", id: "zz" }), { error: "no report of backtest zz on this node" });
  viewer.send({ op: "backtestReport", reqId: 99, id: "../x y" });
  t.match(await viewer.waitFor((x) => x.type === "error", "a refusal"), { message: /bad frame: id: a backtest run id/ });
});
