import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import t from "tap";
import type { BacktestResult, BacktestRunStatus } from "../backtest/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { startTestServers } from "../../test/testing.ts";
import { signToken } from "./auth.ts";
import { startConsole } from "./server.ts";

const chromiumBin = [process.env.CHROMIUM_BIN, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((c) => c && existsSync(c));
const SECRET = "console-browser-test-secret-32-bytes-at-least";
const DAY_US = 86_400_000_000;
const START_US = Date.parse("2024-01-01T00:00:00Z") * 1000;

const run = (id: string, state: BacktestRunStatus["state"], simulatedUs: number): BacktestRunStatus => ({
  id,
  name: `trend-${id}`,
  state,
  startUs: START_US,
  endUs: START_US + 10 * DAY_US,
  simulatedUs,
  records: 14_400,
  submittedBy: "quinn",
  submittedAtUs: 1,
});

const report: BacktestResult = {
  name: "trend-done",
  startUs: START_US,
  endUs: START_US + 10 * DAY_US,
  records: 14_400,
  actorSteps: 60_000,
  wallMs: 420,
  cpuMs: 400,
  recordsPerSec: 34_000,
  journal: { sha256: "cd".repeat(32), events: 120 },
  deadLetters: 0,
  orders: 20,
  fills: 20,
  fees: 3.25,
  initialEquity: 1_000_000,
  finalEquity: 1_012_345.67,
  pnl: 12_345.67,
  performance: {
    totalReturn: 0.0123,
    annualisedReturn: 0.56,
    volatility: 0.12,
    sharpe: 1.87,
    sortino: 2.5,
    calmar: 3.1,
    maxDrawdown: 0.021,
    maxDrawdownPeriods: 40,
    hitRate: 0.55,
    profitFactor: 1.4,
    turnover: 3.2,
    exposure: 0.35,
  },
  samples: Array.from({ length: 240 }, (_, i) => ({
    tsUs: START_US + i * 3_600_000_000,
    equity: 1_000_000 + i * 50 + 2_000 * Math.sin(i / 10),
    drawdown: 0,
    exposure: 0.35,
  })),
  actors: {},
};

t.test(
  "the backtests panel in Chromium: runs and progress, a click shows the report and draws the equity curve",
  { skip: chromiumBin ? false : "no Chromium (scripts/setup.sh installs it)" },
  async (t) => {
    const f = await startTestServers(t, { declare: false });
    const runs = [run("running", "running", START_US + 3 * DAY_US), run("done", "done", START_US + 10 * DAY_US)];
    const console_ = await startConsole({
      nc: f.nc,
      port: 0,
      auth: { secret: SECRET },
      backtests: { list: () => runs.map((r) => ({ ...r })), report: (id) => (id === "done" ? report : undefined) },
      backtestIntervalMs: 100,
      log: createLogger({ level: "error" }),
    });
    t.teardown(() => console_.stop());
    const profile = mkdtempSync(join(tmpdir(), "am-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumBin!,
      headless: true,
      viewport: { width: 1680, height: 1000 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    });
    t.teardown(async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    });
    const page = await context.newPage();
    await page.goto(console_.url);
    await page.locator("#signin-token").fill(await signToken({ sub: "victor", role: "viewer" }, SECRET));
    await page.locator("#signin-submit").click();
    const body = page.locator("#backtests-body");
    await body.locator("[data-backtest='running']").waitFor();
    t.match(await body.textContent(), /trend-running[\s\S]*running[\s\S]*30%[\s\S]*trend-done[\s\S]*done[\s\S]*100%/);
    runs[0]!.simulatedUs = START_US + 6 * DAY_US;
    await body.getByText("60%").waitFor();
    await body.locator("[data-backtest='done']").click();
    const shown = page.locator("#backtest-report");
    await shown.locator("[data-report='done']").waitFor();
    const text = (await shown.textContent()) ?? "";
    t.match(text, /P&L\s*12345\.67/);
    t.match(text, /Sharpe\s*1\.87/);
    t.match(text, /Max drawdown\s*2\.10% \(40 samples\)/);
    // the chart marks how many unbroken runs it drew: one curve over the report's samples
    t.equal(await page.locator("#backtest-chart").getAttribute("data-runs"), "1", "the equity curve is drawn");
    const artifacts = join(repoRoot, ".tap", "artifacts", "console");
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "backtests.png") });
  },
);
