import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { GetRiskAnalytics } from "../../actors/domain/index.ts";
import { analytics } from "../../actors/risk-book/index.ts";
import {
  buildScenarioSet,
  type CccGarchModel,
  fitGarch,
  generateReturns,
  readScenarioSet,
  simulatedReturnPanel,
  stressRequestOf,
  trainScenarioModel,
  writeScenarioSet,
} from "./index.ts";

const INSTRUMENTS = ["SIM001.SIMX", "SIM002.SIMX", "SIM003.SIMX", "SIM004.SIMX"];

// quick settings: 600 simulated days (research-scenarios.ts trains on 2000)
const panel = simulatedReturnPanel({ seed: 7, instruments: INSTRUMENTS, days: 600, betas: [1, 0.8, 1.2, 0.5] });
const report = trainScenarioModel(panel.instruments, panel.rows, { seed: 8, generatedDays: 4_000 });

t.test("the generated returns have the stylised facts of asset returns", async (t) => {
  t.ok(report.generated.minKurtosis > 3, `fat tails: every instrument's kurtosis above 3 (smallest ${report.generated.minKurtosis})`);
  t.ok(
    report.generated.minAbsAutocorrelation > 0,
    `volatility clustering: |r| autocorrelated at every lag 1..10 of every instrument (smallest ${report.generated.minAbsAutocorrelation})`,
  );
  t.ok(report.generated.meanAbsAutocorrelation > 0.03, `clustering is material: mean ${report.generated.meanAbsAutocorrelation}`);
  t.ok(
    report.generated.maxAbsRawAutocorrelation < 0.08,
    `raw returns ≈ uncorrelated: largest |ρ| ${report.generated.maxAbsRawAutocorrelation}`,
  );
  t.ok(report.correlationGap < 0.1, `cross-correlation within 0.1 of the training data's (largest gap ${report.correlationGap})`);
  t.ok(report.trainingCorrelation[0]![2]! > 0.2, "the training panel is cross-correlated, so the check is not trivially met");
});

t.test("the GARCH fit recovers the parameters of a series it generated", async (t) => {
  const known: CccGarchModel = {
    kind: "ccc-garch-t",
    instruments: ["A", "B"],
    series: [0, 1].map(() => ({ mu: 0, omega: 2e-6, alpha: 0.1, beta: 0.85, lastVariance: 4e-5, lastShock: 0 })),
    correlation: [
      [1, 0.5],
      [0.5, 1],
    ],
    dof: 8,
    trainingRows: 0,
  };
  const rows = generateReturns(known, { seed: 3, paths: 1, days: 6_000, start: "long-run" })[0]!;
  const fit = fitGarch(rows.map((r) => r[0]!));
  t.ok(Math.abs(fit.alpha - 0.1) < 0.04, `α ${fit.alpha} ≈ 0.1`);
  t.ok(Math.abs(fit.beta - 0.85) < 0.06, `β ${fit.beta} ≈ 0.85`);
  t.ok(Math.abs(fit.alpha + fit.beta - 0.95) < 0.03, `persistence ${fit.alpha + fit.beta} ≈ 0.95`);
});

t.test("the same model and seed generate the same paths", async (t) => {
  const a = generateReturns(report.model, { seed: 5, paths: 3, days: 20, start: "last" });
  const b = generateReturns(report.model, { seed: 5, paths: 3, days: 20, start: "last" });
  t.same(a, b);
  t.notSame(a, generateReturns(report.model, { seed: 6, paths: 3, days: 20, start: "last" }));
  t.throws(() => generateReturns(report.model, { seed: 5, paths: 0, days: 20, start: "last" }), /paths: 0/);
});

t.test("a stored scenario set runs in the risk book's stress table by name", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "scenario-set-"));
  const set = buildScenarioSet(report.model, {
    name: "test-set",
    horizonDays: 10,
    paths: 1_000,
    seed: 9,
    trainedOn: panel.source,
    checks: {},
  });
  writeScenarioSet(set, dir);
  const read = readScenarioSet("test-set", dir);
  t.same(read, set, "what is stored reads back");
  t.equal(read.scenarios.length, 12, "worst, ten quantiles, best: within the request's 16 hypothetical scenarios");
  t.ok(read.scenarios[0]!.name === "test-set-worst" && read.scenarios[11]!.name === "test-set-best");
  // the request the book receives accepts the set as it is
  const request = GetRiskAnalytics.schema.parse({ tsEvent: 1, tsInit: 1, ...stressRequestOf(read) });
  t.equal(request.hypothetical.length, 12);
  const scenarios = request.hypothetical.map((h) =>
    analytics.hypotheticalScenario(h.name, h.description, h.factorShocks, h.instrumentShocks),
  );
  const book = {
    book: "long-only",
    positions: INSTRUMENTS.map((id) => ({ position: id, instrument: id, marketValue: 250_000, sensitivities: { EQUITY: 250_000 } })),
  };
  const results = analytics.stressTests([book], scenarios, [{ limit: "maxLoss", maxLoss: 50_000 }]);
  const worst = results[0]!;
  const shocks = read.scenarios[0]!.instrumentShocks!;
  t.equal(
    worst.pnl,
    INSTRUMENTS.reduce((s, id) => s + 250_000 * shocks[id]!, 0),
    "each position moves by its generated shock",
  );
  t.ok(worst.pnl < 0 && results[11]!.pnl > 0, "the worst path loses the long book money, the best path makes it");
  t.ok(
    results.every((r, k) => k === 0 || r.pnl >= results[k - 1]!.pnl - 1e-6),
    "scenarios run from worst to best for an equal-weighted book",
  );
  t.throws(() => readScenarioSet("missing-set", dir), /scenario set missing-set: .*missing-set\.json/);
  t.throws(() => readScenarioSet("Bad Name", dir), /lower-case kebab/);
});

t.test("the committed scenario set reads and fits the request", async (t) => {
  const set = readScenarioSet("ccc-garch-10d");
  t.equal(set.model.kind, "ccc-garch-t");
  t.same(set.model.instruments, INSTRUMENTS);
  t.ok(GetRiskAnalytics.schema.safeParse({ tsEvent: 1, tsInit: 1, ...stressRequestOf(set) }).success);
});
