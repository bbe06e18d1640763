/**
 * The risk analytics of one book, computed from an AnalyticsInput (a float copy of its state) by the pure functions
 * of analytics/: VaR and ES by five estimators, their backtest over the book's own record, contributions per
 * position, the stress table with reverse stress, counterparty exposure profiles with CVA, and performance.
 *
 * Cost is bounded by the request: Monte Carlo VaR is O(paths × positions), the exposure profiles O(paths × 12 ×
 * positions) per venue, the rest O(window × positions²). A section that cannot be computed (too few samples, a flat
 * book) says why instead of failing the whole report.
 */
import type { HypotheticalShock } from "../domain/index.ts";
import {
  bayesianRisk,
  christoffersenTest,
  creditValuationAdjustment,
  type CreditCurve,
  empiricalRisk,
  exceptions,
  exposureProfile,
  factorAttribution,
  hazardFromSpread,
  historicalScenarios,
  hypotheticalScenario,
  kupiecTest,
  type Matrix,
  maxDrawdown,
  monteCarloRisk,
  normalCdf,
  normalPdf,
  mostLikelyBreach,
  parametricNormalRisk,
  parametricStudentTRisk,
  type RiskEstimate,
  returnsFromEquity,
  reverseStressLinear,
  sampleCovariance,
  scenarioContributions,
  scenarioPnl,
  sharpeRatio,
  sortinoRatio,
  calmarRatio,
  annualisedReturn,
  type StressBook,
  type StressFactor,
  type StressScenario,
  stressTests,
  trafficLight,
  varContributions,
  volatilityScaledReturns,
} from "./analytics/index.ts";
import type { AnalyticsInput, AnalyticsPosition } from "./analytics-input.ts";

const YEAR_US = 365.25 * 86_400e6;

export interface AnalyticsSettings {
  /** the scheduled report's interval; 0 = no schedule */
  everyMs: number;
  /** return samples VaR needs before it is estimated */
  minSamples: number;
  /** the counterparties' credit: CDS spread (decimal), recovery, and the discount rate */
  credit: { spread: number; recoveryRate: number; riskFreeRate: number };
  /** exposure profile times, years */
  exposureTimes: readonly number[];
}

export const defaultAnalyticsSettings: AnalyticsSettings = {
  everyMs: 5 * 60_000,
  minSamples: 20,
  credit: { spread: 0.01, recoveryRate: 0.4, riskFreeRate: 0.03 },
  exposureTimes: Array.from({ length: 12 }, (_, k) => (k + 1) / 12),
};

export interface AnalyticsRequest {
  confidence: number;
  paths: number;
  seed: number;
  /** historical scenario names; absent = all */
  scenarios?: readonly string[] | undefined;
  hypothetical: readonly HypotheticalShock[];
}

export const scheduledRequest: AnalyticsRequest = { confidence: 0.99, paths: 2_000, seed: 1, hypothetical: [] };

export type Section<T> = ({ available: true } & T) | { available: false; reason: string };

/** A request the book cannot run: the field it got wrong, and why. */
export class AnalyticsRequestError extends Error {}

const unavailable = (reason: string): { available: false; reason: string } => ({ available: false, reason });
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

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

/** Factor sensitivities of a position from its asset class: P&L per unit of each factor's shock (stress.ts units). */
export function stressSensitivities(p: AnalyticsPosition): Partial<Record<StressFactor, number>> {
  // an FX position is quoted against USD: the dollar rising is the position falling
  if (p.assetClass === "FX") return { USD: -p.exposure };
  // equities, ETFs, index futures, options (by their delta exposure) and crypto move with the equity factor, β = 1
  return { EQUITY: p.exposure };
}

/** The scenarios a request names, checked before anything runs. */
export function requestedScenarios(r: AnalyticsRequest): StressScenario[] {
  const known = new Map(historicalScenarios.map((s) => [s.name, s]));
  const chosen: StressScenario[] = [];
  (r.scenarios ?? [...known.keys()]).forEach((name, k) => {
    const s = known.get(name);
    if (!s) throw new AnalyticsRequestError(`scenarios.${k}: unknown scenario ${name} (known: ${[...known.keys()].join(", ")})`);
    chosen.push(s);
  });
  r.hypothetical.forEach((h, k) => {
    if (known.has(h.name)) throw new AnalyticsRequestError(`hypothetical.${k}.name: ${h.name} is a historical scenario's name`);
    try {
      chosen.push(hypotheticalScenario(h.name, h.description, h.factorShocks, h.instrumentShocks));
    } catch (e) {
      throw new AnalyticsRequestError(`hypothetical.${k}: ${errorText(e)}`);
    }
  });
  return chosen;
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

function stressSection(input: AnalyticsInput, scenarios: StressScenario[], exposures: number[], cov: Matrix) {
  const book: StressBook = {
    book: input.book,
    positions: input.positions.map((p) => ({
      position: p.instrument,
      instrument: p.instrument,
      marketValue: p.exposure,
      sensitivities: stressSensitivities(p),
    })),
  };
  const headroom = input.limits.filter((l) => l.hard - l.used > 0).map((l) => ({ limit: l.limit, maxLoss: l.hard - l.used }));
  const results = stressTests([book], scenarios, headroom).map((s) => ({
    ...s,
    kind: scenarios.find((x) => x.name === s.scenario)!.kind,
  }));
  const reverse = headroom.flatMap((l) =>
    scenarios.map((s) => {
      const rs = reverseStressLinear(book, s, l.maxLoss);
      return {
        limit: l.limit,
        maxLoss: l.maxLoss,
        scenario: s.name,
        scale: Number.isFinite(rs.scale) ? rs.scale : null,
        factorShocks: rs.factorShocks,
      };
    }),
  );
  const mostLikely = headroom.flatMap((l) => {
    if (input.positions.length === 0) return [];
    try {
      const m = mostLikelyBreach(exposures, cov, l.maxLoss);
      return [
        {
          limit: l.limit,
          maxLoss: l.maxLoss,
          mahalanobisDistance: m.mahalanobisDistance,
          moves: input.positions.map((p, i) => ({ instrument: p.instrument, return: m.factorMoves[i]! })),
        },
      ];
    } catch {
      return [];
    }
  });
  return {
    available: true as const,
    limits: input.limits,
    ...(headroom.length === 0 ? { note: "no loss limit with headroom (maxDailyLoss, maxDrawdown): nothing to reverse-stress" } : {}),
    scenarios: results,
    reverse,
    mostLikelyBreach: mostLikely,
  };
}

/** E[max(X, 0)] for X ~ N(mean, sd²). */
function positiveNormalMean(mean: number, sd: number): number {
  if (!(sd > 0)) return Math.max(mean, 0);
  const z = mean / sd;
  return mean * normalCdf(z) + sd * normalPdf(z);
}

function counterpartySection(input: AnalyticsInput, r: AnalyticsRequest, cov: Matrix, settings: AnalyticsSettings) {
  if (input.positions.length === 0) return unavailable("the book holds no positions");
  const perYear = YEAR_US / input.sampleUs;
  const annual = cov.map((row) => row.map((v) => v * perYear));
  const curve: CreditCurve = {
    hazardRate: hazardFromSpread(settings.credit.spread, settings.credit.recoveryRate),
    recoveryRate: settings.credit.recoveryRate,
    riskFreeRate: settings.credit.riskFreeRate,
  };
  const venues = [...new Set(input.positions.map((p) => p.venue))].sort();
  // A venue's positions are linear in their returns, so the netting set's value is one Brownian factor with variance
  // sᵀΣs per year (s: the positions' market values): simulating it costs O(paths × steps), not O(paths × steps × k²).
  // The gross EE (no netting) needs no simulation: each position alone is normal, E[max(V, 0)] = v Φ(v/σ) + σ φ(v/σ).
  const counterparties = venues.map((venue) => {
    const held = input.positions.flatMap((p, i) => (p.venue === venue ? [i] : []));
    let variance = 0;
    for (const i of held) for (const j of held) variance += input.positions[i]!.exposure * annual[i]![j]! * input.positions[j]!.exposure;
    const netted = exposureProfile({
      trades: [
        {
          trade: venue,
          nettingSet: venue,
          value: held.reduce((a, i) => a + input.positions[i]!.exposure, 0),
          sensitivities: [1],
          maturity: Number.POSITIVE_INFINITY,
        },
      ],
      factorCovariance: [Float64Array.of(Math.max(variance, 1e-300))],
      times: settings.exposureTimes,
      paths: r.paths,
      seed: r.seed,
    });
    const expectedExposureGross = settings.exposureTimes.map((t) =>
      held.reduce(
        (a, i) =>
          a + positiveNormalMean(input.positions[i]!.exposure, Math.abs(input.positions[i]!.exposure) * Math.sqrt(annual[i]![i]! * t)),
        0,
      ),
    );
    const profile = { ...netted, expectedExposureGross };
    return { counterparty: venue, ...profile, cva: creditValuationAdjustment(profile, curve) };
  });
  return { available: true as const, paths: r.paths, credit: { ...settings.credit, hazardRate: curve.hazardRate }, counterparties };
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
