/**
 * Stress tests: historical and hypothetical scenarios as factor or instrument shocks applied to a book's
 * sensitivities, results per position and per loss limit; and reverse stress tests (the smallest scaling of a shock
 * that breaches a limit, and the most plausible factor move that does).
 *
 * Units: a factor shock is a relative return for EQUITY, OIL and USD (−0.2 = −20 %), a change in basis points for
 * RATES and CREDIT, and a change in index points for VOLATILITY; a position's sensitivity is its P&L per one unit of
 * that shock (β × market value for EQUITY, P&L per +1 bp for RATES, …). Instrument shocks are relative returns of the
 * position's market value and replace the factor P&L of that position.
 */
import { type Matrix, matVec } from "./matrix.ts";

export const stressFactors = ["EQUITY", "RATES", "CREDIT", "VOLATILITY", "OIL", "USD"] as const;
export type StressFactor = (typeof stressFactors)[number];

export interface StressScenario {
  name: string;
  /** what happened, over which window, and where the magnitudes come from */
  description: string;
  kind: "HISTORICAL" | "HYPOTHETICAL";
  factorShocks: Partial<Record<StressFactor, number>>;
  /** instrument → relative return of its market value */
  instrumentShocks?: Record<string, number>;
}

/**
 * Peak-to-trough (or one-day) moves of public series over the named windows, rounded: S&P 500 closes, the 10-year
 * US Treasury constant-maturity yield, the ICE BofA US Corporate (IG) option-adjusted spread, VIX closes, WTI front
 * month and the DXY dollar index. They are broad-market factor moves, not a single instrument's path.
 */
export const historicalScenarios: readonly StressScenario[] = [
  {
    name: "1987-black-monday",
    description:
      "19 Oct 1987, one day: S&P 500 −20.5 % (282.70 → 224.84); 10-year yield fell about 30 bp over 19–20 Oct as money fled to Treasuries.",
    kind: "HISTORICAL",
    factorShocks: { EQUITY: -0.205, RATES: -30 },
  },
  {
    name: "2008-global-financial-crisis",
    description:
      "9 Oct 2007 – 9 Mar 2009: S&P 500 −56.8 % (1565 → 677); 10-year yield −175 bp (4.65 % → 2.90 %); IG spread +490 bp (to 6.0 % in Dec 2008); VIX +62 points (to 80.9 on 20 Nov 2008); WTI −77 % (145 → 33); DXY +15 %.",
    kind: "HISTORICAL",
    factorShocks: { EQUITY: -0.568, RATES: -175, CREDIT: 490, VOLATILITY: 62, OIL: -0.77, USD: 0.15 },
  },
  {
    name: "2020-covid-crash",
    description:
      "19 Feb – 23 Mar 2020: S&P 500 −33.9 % (3386 → 2237); 10-year yield −80 bp (1.56 % → 0.76 %); IG spread +275 bp (0.98 % → 3.73 %); VIX +47 points (14.4 → 61.6); WTI −57 % (53.8 → 23.4); DXY +7 %.",
    kind: "HISTORICAL",
    factorShocks: { EQUITY: -0.339, RATES: -80, CREDIT: 275, VOLATILITY: 47, OIL: -0.57, USD: 0.07 },
  },
  {
    name: "2022-rates-shock",
    description:
      "3 Jan – 21 Oct 2022: 10-year yield +259 bp (1.63 % → 4.22 %); S&P 500 −25.4 % (4797 → 3577 at the 12 Oct low); IG spread +70 bp (0.92 % → 1.62 %); VIX +16 points; DXY +19 % (96 → 114).",
    kind: "HISTORICAL",
    factorShocks: { EQUITY: -0.254, RATES: 259, CREDIT: 70, VOLATILITY: 16, USD: 0.19 },
  },
];

export interface StressPosition {
  position: string;
  instrument: string;
  /** market value, currency */
  marketValue: number;
  /** P&L per unit of each factor's shock */
  sensitivities: Partial<Record<StressFactor, number>>;
}

export interface StressBook {
  book: string;
  positions: readonly StressPosition[];
}

export interface LossLimit {
  limit: string;
  /** the largest loss allowed, positive currency */
  maxLoss: number;
}

export interface StressResult {
  book: string;
  scenario: string;
  pnl: number;
  positions: { position: string; instrument: string; pnl: number }[];
  limits: { limit: string; loss: number; maxLoss: number; usedPct: number; breached: boolean }[];
}

/** A user-defined scenario, validated: known factors and finite shocks. */
export function hypotheticalScenario(
  name: string,
  description: string,
  factorShocks: Record<string, number>,
  instrumentShocks?: Record<string, number>,
): StressScenario {
  if (!name) throw new Error("scenario.name: must not be empty");
  const shocks: Partial<Record<StressFactor, number>> = {};
  for (const [f, v] of Object.entries(factorShocks)) {
    if (!(stressFactors as readonly string[]).includes(f))
      throw new Error(`scenario ${name}: factor ${f} is not one of ${stressFactors.join(", ")}`);
    if (!Number.isFinite(v)) throw new Error(`scenario ${name}: shock for ${f} is not finite (${v})`);
    shocks[f as StressFactor] = v;
  }
  for (const [i, v] of Object.entries(instrumentShocks ?? {})) {
    if (!(Number.isFinite(v) && v >= -1))
      throw new Error(`scenario ${name}: instrument shock for ${i} must be a finite return of at least −1, got ${v}`);
  }
  const out: StressScenario = { name, description, kind: "HYPOTHETICAL", factorShocks: shocks };
  if (instrumentShocks) out.instrumentShocks = { ...instrumentShocks };
  return out;
}

export function positionStressPnl(p: StressPosition, s: StressScenario, scale = 1): number {
  const own = s.instrumentShocks?.[p.instrument];
  if (own !== undefined) return p.marketValue * own * scale;
  let pnl = 0;
  for (const f of stressFactors) {
    const shock = s.factorShocks[f];
    const sens = p.sensitivities[f];
    if (shock !== undefined && sens !== undefined) pnl += sens * shock * scale;
  }
  return pnl;
}

export function stressTest(book: StressBook, scenario: StressScenario, limits: readonly LossLimit[] = []): StressResult {
  const positions = book.positions.map((p) => ({ position: p.position, instrument: p.instrument, pnl: positionStressPnl(p, scenario) }));
  const pnl = positions.reduce((s, p) => s + p.pnl, 0);
  const loss = Math.max(0, -pnl);
  return {
    book: book.book,
    scenario: scenario.name,
    pnl,
    positions,
    limits: limits.map((l) => {
      if (!(l.maxLoss > 0)) throw new Error(`limit ${l.limit}: maxLoss must be positive, got ${l.maxLoss}`);
      return { limit: l.limit, loss, maxLoss: l.maxLoss, usedPct: (100 * loss) / l.maxLoss, breached: loss > l.maxLoss };
    }),
  };
}

/** Every scenario against every book. */
export const stressTests = (
  books: readonly StressBook[],
  scenarios: readonly StressScenario[],
  limits: readonly LossLimit[] = [],
): StressResult[] => books.flatMap((b) => scenarios.map((s) => stressTest(b, s, limits)));

export interface ReverseStress {
  /** the smallest multiple of the scenario whose loss reaches the limit; Infinity when this direction never breaches */
  scale: number;
  /** the scaled shocks at that multiple */
  factorShocks: Partial<Record<StressFactor, number>>;
}

/** A linear book's loss is linear in the scale, so k* = maxLoss / loss(1). */
export function reverseStressLinear(book: StressBook, direction: StressScenario, maxLoss: number): ReverseStress {
  if (!(maxLoss > 0)) throw new Error(`maxLoss: must be positive, got ${maxLoss}`);
  const unitLoss = -book.positions.reduce((s, p) => s + positionStressPnl(p, direction), 0);
  const scale = unitLoss > 0 ? maxLoss / unitLoss : Number.POSITIVE_INFINITY;
  const factorShocks: Partial<Record<StressFactor, number>> = {};
  for (const [f, v] of Object.entries(direction.factorShocks)) factorShocks[f as StressFactor] = Number.isFinite(scale) ? v * scale : v;
  return { scale, factorShocks };
}

/**
 * For a book revalued in full (options, convexity): bisection on the scale in [0, maxScale] for loss(k) = maxLoss,
 * assuming the loss grows with the scale along the direction. Returns Infinity when even maxScale does not breach.
 */
export function reverseStressBisection(lossAt: (scale: number) => number, maxLoss: number, maxScale = 10, tolerance = 1e-10): number {
  if (!(maxLoss > 0)) throw new Error(`maxLoss: must be positive, got ${maxLoss}`);
  if (lossAt(0) >= maxLoss) return 0;
  if (lossAt(maxScale) < maxLoss) return Number.POSITIVE_INFINITY;
  let lo = 0;
  let hi = maxScale;
  while (hi - lo > tolerance * Math.max(1, hi)) {
    const mid = (lo + hi) / 2;
    if (lossAt(mid) >= maxLoss) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The most plausible factor move that loses maxLoss on a linear book: minimise xᵀΣ⁻¹x subject to eᵀx = −maxLoss,
 * whose solution is x = −maxLoss Σe / (eᵀΣe); its Mahalanobis distance √(xᵀΣ⁻¹x) = maxLoss / σ_p says how many
 * standard deviations away the breach is.
 */
export function mostLikelyBreach(
  exposures: readonly number[],
  covariance: Matrix,
  maxLoss: number,
): { factorMoves: Float64Array; mahalanobisDistance: number } {
  if (!(maxLoss > 0)) throw new Error(`maxLoss: must be positive, got ${maxLoss}`);
  const se = matVec(covariance, exposures);
  let variance = 0;
  for (let i = 0; i < exposures.length; i++) variance += exposures[i]! * se[i]!;
  if (!(variance > 0)) throw new Error(`mostLikelyBreach: the book's variance is ${variance}; no move can breach a loss limit`);
  return { factorMoves: se.map((v) => (-maxLoss * v) / variance), mahalanobisDistance: maxLoss / Math.sqrt(variance) };
}
