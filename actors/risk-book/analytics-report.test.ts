import t from "tap";
import {
  empiricalRisk,
  historicalScenarios,
  kupiecTest,
  monteCarloRisk,
  parametricNormalRisk,
  scenarioPnl,
  stressTest,
} from "./analytics/index.ts";
import { riskCovariance } from "./analytics-report.ts";
import { stressSensitivities } from "./book-stress.ts";
import { AAPL, BookHarness, MSFT, px, qty, testConfig } from "./testing.ts";

type Ok = { ok: true; result: Record<string, never> };
type Estimate = { method: string; valueAtRisk: number; expectedShortfall: number; note?: string };

/** A book long 100 AAPL and short 50 MSFT, marked once a second for 60 s along two fixed paths. */
function markedBook() {
  const h = new BookHarness(testConfig({ limits: { maxDailyLoss: { hard: 2_000_000_000_000n } } }), {
    confidence: 0.99,
    window: 500,
    sampleUs: 1_000_000,
  });
  h.fill({ side: "BUY", quantity: qty(100), price: px(100) });
  h.fill({ side: "SELL", quantity: qty(50), price: px(200), instrument: MSFT });
  const aapl = [100];
  const msft = [200];
  for (let k = 1; k <= 60; k++) {
    aapl.push(Math.round(aapl[k - 1]! * (1 + 0.01 * Math.sin(k * 1.7)) * 100) / 100);
    msft.push(Math.round(msft[k - 1]! * (1 + 0.008 * Math.cos(k * 2.3)) * 100) / 100);
  }
  for (let k = 0; k <= 60; k++) {
    h.nowUs += 1_000_000;
    h.send({ type: "MarkPrice", instrument: AAPL, last: px(aapl[k]!) });
    h.send({ type: "MarkPrice", instrument: MSFT, last: px(msft[k]!) });
  }
  return { h, aapl, msft };
}

t.test("GetRiskAnalytics answers the pure functions' figures on the book's own positions and return window", async (t) => {
  const { h, aapl, msft } = markedBook();
  const journal = h.journal.length;
  const r = h.send({ type: "GetRiskAnalytics", confidence: 0.95, paths: 1_000, seed: 7 }) as Ok;
  t.equal(r.ok, true);
  const a = r.result as unknown as {
    positions: { instrument: string; exposure: number }[];
    valueAtRisk: { available: boolean; samples: number; estimates: Estimate[] };
    stress: { scenarios: { scenario: string; pnl: number }[]; reverse: { limit: string; scale: number | null }[] };
    backtest: { available: boolean; observations: number; exceptions: number; kupiec: { statistic: number } };
    counterparty: { counterparties: { counterparty: string; expectedExposure: number[]; cva: number }[] };
  };
  // returns as the window took them: the AAPL mark arrives first in each second, so a sample sees the new AAPL
  // price and the MSFT price of the second before
  const returns: number[][] = [];
  for (let k = 1; k <= 60; k++) returns.push([aapl[k]! / aapl[k - 1]! - 1, k === 1 ? 0 : msft[k - 1]! / msft[k - 2]! - 1]);
  const exposures = [100 * aapl[60]!, -50 * msft[60]!];
  t.same(
    a.positions.map((p) => p.instrument),
    [AAPL, MSFT],
  );
  t.ok(Math.abs(a.positions[0]!.exposure - exposures[0]!) < 1e-6 && Math.abs(a.positions[1]!.exposure - exposures[1]!) < 1e-6);
  const pnl = scenarioPnl(returns, exposures);
  const est = (m: string, note = false) => a.valueAtRisk.estimates.find((e) => e.method === m && (e.note !== undefined) === note)!;
  const close = (x: number, y: number, what: string) => t.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);
  close(est("historical").valueAtRisk, empiricalRisk(pnl, 0.95, "historical").valueAtRisk, "historical VaR");
  close(est("historical").expectedShortfall, empiricalRisk(pnl, 0.95, "historical").expectedShortfall, "historical ES");
  close(est("parametric-normal").valueAtRisk, parametricNormalRisk(pnl, 0.95).valueAtRisk, "normal VaR");
  const mc = monteCarloRisk({ exposures, covariance: riskCovariance(returns, 2), paths: 1_000, seed: 7, confidence: 0.95 });
  close(est("monte-carlo").valueAtRisk, mc.valueAtRisk, "Monte Carlo VaR (same seed)");
  t.equal(a.valueAtRisk.estimates.length, 6, "historical, volatility-scaled, normal, Student t, Monte Carlo, Bayesian");
  const crash = historicalScenarios.find((s) => s.name === "2008-global-financial-crisis")!;
  const stressed = stressTest(
    {
      book: "test-book",
      positions: a.positions.map((p) => ({
        position: p.instrument,
        instrument: p.instrument,
        marketValue: p.exposure,
        sensitivities: stressSensitivities({ ...p, venue: "XNAS", assetClass: "EQUITY", sector: "TECH" }),
      })),
    },
    crash,
  );
  close(a.stress.scenarios.find((s) => s.scenario === crash.name)!.pnl, stressed.pnl, "2008 stress P&L");
  t.equal(a.stress.scenarios.length, 4, "every historical scenario by default");
  t.ok(
    a.stress.reverse.some((x) => x.limit === "maxDailyLoss" && x.scale !== null && x.scale > 0),
    "reverse stress against the daily loss limit",
  );
  t.equal(a.backtest.available, true);
  t.equal(a.backtest.observations, 60 - 20, "a forecast from the 20th sample on, each closed by the next");
  close(a.backtest.kupiec.statistic, kupiecTest(a.backtest.exceptions, a.backtest.observations, 0.99).statistic, "Kupiec LR");
  t.same(
    a.counterparty.counterparties.map((c) => c.counterparty),
    ["XNAS"],
    "the venue is the counterparty",
  );
  t.ok(a.counterparty.counterparties[0]!.cva > 0);
  t.equal(h.journal.length, journal, "a query journals nothing");
  const again = h.send({ type: "GetRiskAnalytics", confidence: 0.95, paths: 1_000, seed: 7 }) as Ok;
  t.same(again.result, r.result, "the same state and seed give the same figures");
});

t.test("a request the book cannot run is refused with the field, and changes nothing", async (t) => {
  const { h } = markedBook();
  const journal = h.journal.length;
  t.match(h.send({ type: "GetRiskAnalytics", confidence: 1.5 }), { ok: false, error: { code: "invalid", message: /^confidence: / } });
  t.match(h.send({ type: "GetRiskAnalytics", scenarios: ["2008-global-financial-crisis", "1929"] }), {
    ok: false,
    error: { code: "invalid", message: /^scenarios\.1: unknown scenario 1929/ },
  });
  t.match(h.send({ type: "GetRiskAnalytics", hypothetical: [{ name: "gold", factorShocks: { GOLD: -0.2 } }] }), {
    ok: false,
    error: { code: "invalid", message: /^hypothetical\.0: .*GOLD/ },
  });
  t.equal(h.journal.length, journal);
});

t.test("a hypothetical scenario runs beside the historical ones it names", async (t) => {
  const { h } = markedBook();
  const r = h.send({
    type: "GetRiskAnalytics",
    scenarios: ["1987-black-monday"],
    hypothetical: [{ name: "tech-rout", factorShocks: {}, instrumentShocks: { [AAPL]: -0.3 } }],
  }) as Ok;
  const s = (r.result as unknown as { stress: { scenarios: { scenario: string; kind: string; positions: { pnl: number }[] }[] } }).stress;
  t.same(
    s.scenarios.map((x) => [x.scenario, x.kind]),
    [
      ["1987-black-monday", "HISTORICAL"],
      ["tech-rout", "HYPOTHETICAL"],
    ],
  );
  t.ok(s.scenarios[1]!.positions[0]!.pnl < 0, "the long AAPL position loses in the AAPL shock");
});

t.test("a book without enough samples says why each section is missing", async (t) => {
  const h = new BookHarness();
  const r = h.send({ type: "GetRiskAnalytics" }) as Ok;
  t.match(r.result, {
    valueAtRisk: { available: false, reason: /no positions/ },
    backtest: { available: false, reason: /VaR forecasts/ },
    counterparty: { available: false },
  });
});

t.test("the scheduled report is published once its interval has passed, on the book's report subject", async (t) => {
  const { h } = markedBook();
  h.send({ type: "Tick" });
  t.equal(h.published.length, 0, "the first Tick arms the schedule");
  h.nowUs += 299_000_000;
  h.send({ type: "Tick" });
  t.equal(h.published.length, 0);
  h.nowUs += 1_000_000;
  h.send({ type: "Tick" });
  t.equal(h.published.length, 1);
  t.match(h.published[0], {
    subject: "am.report.risk-book.test-book.RiskAnalytics",
    message: { type: "RiskAnalyticsReport", book: "test-book", valueAtRisk: { available: true, confidence: 0.99 } },
  });
});
