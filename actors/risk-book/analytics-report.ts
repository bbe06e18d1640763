/**
 * The risk analytics of one book, computed from an AnalyticsInput (a float copy of its state) by the pure functions
 * of analytics/: VaR and ES by five estimators, their backtest over the book's own record, contributions per
 * position, the stress table with reverse stress (book-stress.ts), each venue's exposure profile with CVA
 * (venue-exposure.ts), and performance.
 *
 * Cost is bounded by the request: Monte Carlo VaR is O(paths × positions), each venue's exposure O(paths × 12), the
 * rest O(window × positions²). A section that cannot be computed (too few samples, a flat book) says why instead of
 * failing the whole report.
 */
import {
  bayesianRisk,
  christoffersenTest,
  empiricalRisk,
  exceptions,
  factorAttribution,
  kupiecTest,
  type Matrix,
  maxDrawdown,
  monteCarloRisk,
  parametricNormalRisk,
  parametricStudentTRisk,
  type RiskEstimate,
  returnsFromEquity,
  sampleCovariance,
  scenarioContributions,
  scenarioPnl,
  sharpeRatio,
  sortinoRatio,
  calmarRatio,
  annualisedReturn,
  trafficLight,
  varContributions,
  volatilityScaledReturns,
} from "./analytics/index.ts";
import type { AnalyticsInput } from "./analytics-input.ts";
import {
  type AnalyticsRequest,
  type AnalyticsSettings,
  defaultAnalyticsSettings,
  errorText,
  type Section,
  unavailable,
  YEAR_US,
} from "./analytics-settings.ts";
import { requestedScenarios, stressSection } from "./book-stress.ts";
import { counterpartySection } from "./venue-exposure.ts";

/**
 * The covariance of the positions' returns that the parametric, Monte Carlo, contribution and counterparty figures
 * share: the sample covariance with a ridge of 1e-10 of its largest variance, so an instrument that never moved
 * (or more instruments than samples) still factorises.
 */
export function riskCovariance(returns: readonly (readonly number[])[], n: number): Matrix {
  const cov = returns.length >= 2 ? sampleCovariance(returns) : Array.from({ length: n }, () => new Float64Array(n));
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, cov[i]![i]!);
  const ridge = Math.max(1e-10 * top, 1e-24);
  for (let i = 0; i < n; i++) cov[i]![i]! += ridge;
  return cov;
}

/** A weakly informative Normal-Inverse-Gamma prior centred on the sample: worth 2 α₀ = 6 observations of variance. */
export function weakPrior(pnl: readonly number[]): { mu0: number; kappa0: number; alpha0: number; beta0: number } {
  const m = pnl.reduce((a, x) => a + x, 0) / pnl.length;
  const variance = pnl.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, pnl.length - 1);
  return { mu0: 0, kappa0: 1, alpha0: 3, beta0: 2 * Math.max(variance, 1e-12) };
}

function valueAtRiskSection(input: AnalyticsInput, r: AnalyticsRequest, exposures: number[], cov: Matrix, minSamples: number) {
  const t = input.returns.length;
  if (input.positions.length === 0) return unavailable("the book holds no positions");
  if (t < minSamples) return unavailable(`${t} return samples; VaR needs ${minSamples}`);
  const pnl = scenarioPnl(input.returns, exposures);
  const scaled = empiricalRisk(scenarioPnl(volatilityScaledReturns(input.returns), exposures), r.confidence, "historical");
  const mc = monteCarloRisk({ exposures, covariance: cov, paths: r.paths, seed: r.seed, confidence: r.confidence });
  const t3 = parametricStudentTRisk(pnl, r.confidence);
  const estimates: (RiskEstimate & { note?: string; degreesOfFreedom?: number })[] = [
    empiricalRisk(pnl, r.confidence, "historical"),
    { ...scaled, note: "volatility-scaled (Hull-White, EWMA λ 0.94)" },
    parametricNormalRisk(pnl, r.confidence),
    t3,
    { method: mc.method, confidence: mc.confidence, valueAtRisk: mc.valueAtRisk, expectedShortfall: mc.expectedShortfall },
    (({ posterior: _p, ...e }) => e)(bayesianRisk(weakPrior(pnl), pnl, r.confidence)),
  ];
  return {
    available: true as const,
    confidence: r.confidence,
    horizonUs: input.sampleUs,
    samples: t,
    paths: r.paths,
    seed: r.seed,
    estimates,
  };
}

function backtestSection(input: AnalyticsInput) {
  const obs = input.backtest;
  if (obs.length < 2) return unavailable(`${obs.length} VaR forecasts closed; the backtest needs 2`);
  const hits = exceptions(
    obs.map((o) => o.pnl),
    obs.map((o) => o.forecast),
  );
  const count = hits.filter(Boolean).length;
  const c = input.windowConfidence;
  return {
    available: true as const,
    confidence: c,
    observations: obs.length,
    exceptions: count,
    kupiec: kupiecTest(count, obs.length, c),
    christoffersen: christoffersenTest(hits, c),
    trafficLight: trafficLight(count, obs.length, c),
    /** the last 250 forecasts and P&Ls, for a chart */
    series: obs.map((o) => ({ tsUs: o.tsUs, forecast: o.forecast, pnl: o.pnl })),
  };
}

function contributionsSection(input: AnalyticsInput, r: AnalyticsRequest, exposures: number[], cov: Matrix, minSamples: number) {
  if (input.positions.length === 0) return unavailable("the book holds no positions");
  if (input.returns.length < minSamples) return unavailable(`${input.returns.length} return samples; contributions need ${minSamples}`);
  const normal = varContributions(exposures, cov, r.confidence);
  const scenario = scenarioContributions(input.returns, exposures, r.confidence);
  return {
    available: true as const,
    confidence: r.confidence,
    valueAtRisk: normal.valueAtRisk,
    expectedShortfall: normal.expectedShortfall,
    historicalValueAtRisk: scenario.valueAtRisk,
    historicalExpectedShortfall: scenario.expectedShortfall,
    positions: input.positions.map((p, i) => ({
      instrument: p.instrument,
      exposure: p.exposure,
      marginalVar: normal.marginal[i]!,
      componentVar: normal.component[i]!,
      componentEs: normal.componentShortfall[i]!,
      historicalComponentVar: scenario.component[i]!,
      historicalComponentEs: scenario.componentShortfall[i]!,
    })),
  };
}

const orNull = (f: () => number): number | null => {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
};

function performanceSection(input: AnalyticsInput) {
  if (input.equity.length < 3 && input.backtest.length === 0)
    return unavailable(`${input.equity.length} equity samples and no closed VaR interval; performance needs 3 or 1`);
  const byInstrument: Record<string, number> = {};
  for (const o of input.backtest) for (const [i, v] of Object.entries(o.byInstrument)) byInstrument[i] = (byInstrument[i] ?? 0) + v;
  // a strategy is credited the share of each instrument's P&L its position is of the strategies' positions together
  const byStrategy: Record<string, number> = {};
  for (const [i, pnl] of Object.entries(byInstrument)) {
    const held = Object.entries(input.strategyPositions).map(([s, q]) => [s, q[i] ?? 0] as const);
    const total = held.reduce((a, [, q]) => a + q, 0);
    if (total === 0) continue;
    for (const [s, q] of held) if (q !== 0) byStrategy[s] = (byStrategy[s] ?? 0) + (pnl * q) / total;
  }
  const usable = input.backtest.filter((o) => o.equity > 0);
  const factor = usable.length < 3 ? undefined : tryFactor(usable);
  const attribution = { pnlByInstrument: byInstrument, pnlByStrategy: byStrategy, ...(factor ? { marketFactor: factor } : {}) };
  if (input.equity.length < 3) {
    return {
      available: true as const,
      note: `${input.equity.length} equity samples: the ratios need 3`,
      periods: 0,
      maxDrawdown: 0,
      ...attribution,
    };
  }
  const returns = returnsFromEquity(input.equity);
  const perYear = YEAR_US / input.equityEveryUs;
  return {
    available: true as const,
    periods: returns.length,
    periodsPerYear: perYear,
    sharpe: orNull(() => sharpeRatio(returns, perYear)),
    sortino: orNull(() => sortinoRatio(returns, perYear)),
    calmar: orNull(() => calmarRatio(returns, perYear)),
    maxDrawdown: maxDrawdown(returns),
    annualisedReturn: orNull(() => annualisedReturn(returns, perYear)),
    ...attribution,
  };
}

function tryFactor(obs: AnalyticsInput["backtest"]) {
  try {
    const f = factorAttribution(
      obs.map((o) => o.pnl / o.equity),
      obs.map((o) => [o.marketReturn]),
    );
    return {
      alpha: f.alpha,
      beta: f.betas[0]!,
      contribution: f.contributions[0]!,
      rSquared: f.rSquared,
      residualVolatility: f.residualVolatility,
    };
  } catch {
    return undefined;
  }
}

function section<T>(f: () => Section<T>): Section<T> {
  try {
    return f();
  } catch (e) {
    return unavailable(errorText(e));
  }
}

/** Every section of the report; a request naming an unknown scenario throws AnalyticsRequestError first. */
export function riskAnalytics(input: AnalyticsInput, r: AnalyticsRequest, settings: AnalyticsSettings = defaultAnalyticsSettings) {
  const scenarios = requestedScenarios(r);
  const exposures = input.positions.map((p) => p.exposure);
  const cov = riskCovariance(input.returns, exposures.length);
  return {
    book: input.book,
    asOfUs: input.asOfUs,
    positions: input.positions,
    valueAtRisk: section(() => valueAtRiskSection(input, r, exposures, cov, settings.minSamples)),
    backtest: section(() => backtestSection(input)),
    contributions: section(() => contributionsSection(input, r, exposures, cov, settings.minSamples)),
    stress: section(() => stressSection(input, scenarios, exposures, cov)),
    counterparty: section(() => counterpartySection(input, r, cov, settings)),
    performance: section(() => performanceSection(input)),
  };
}

export type RiskAnalytics = ReturnType<typeof riskAnalytics>;
