/**
 * Each venue's exposure profile (EE, PFE) and CVA: the venue is the counterparty that holds the book's positions,
 * one netting set under its own collateral agreement and credit (`AnalyticsSettings.counterparties`).
 */
import {
  type CollateralAgreement,
  creditValuationAdjustment,
  type CreditCurve,
  exposureProfile,
  hazardFromSpread,
  type Matrix,
  normalCdf,
  normalPdf,
} from "./analytics/index.ts";
import type { AnalyticsInput } from "./analytics-input.ts";
import {
  type AnalyticsRequest,
  type AnalyticsSettings,
  type CollateralTerms,
  type CreditTerms,
  unavailable,
  YEAR_US,
} from "./analytics-settings.ts";

const BUSINESS_DAYS_PER_YEAR = 252;

const agreementOf = (c: CollateralTerms): CollateralAgreement => ({
  threshold: c.threshold,
  minimumTransfer: c.minimumTransfer,
  independentAmount: c.independentAmount,
  marginPeriodOfRisk: c.marginPeriodDays / BUSINESS_DAYS_PER_YEAR,
});

const curveOf = (credit: CreditTerms): CreditCurve => ({
  hazardRate: hazardFromSpread(credit.spread, credit.recoveryRate),
  recoveryRate: credit.recoveryRate,
  riskFreeRate: credit.riskFreeRate,
});

/** E[max(X, 0)] for X ~ N(mean, sd²). */
function positiveNormalMean(mean: number, sd: number): number {
  if (!(sd > 0)) return Math.max(mean, 0);
  const z = mean / sd;
  return mean * normalCdf(z) + sd * normalPdf(z);
}

export function counterpartySection(input: AnalyticsInput, r: AnalyticsRequest, cov: Matrix, settings: AnalyticsSettings) {
  if (input.positions.length === 0) return unavailable("the book holds no positions");
  const perYear = YEAR_US / input.sampleUs;
  const annual = cov.map((row) => row.map((v) => v * perYear));
  const defaultCurve = curveOf(settings.credit);
  const venues = [...new Set(input.positions.map((p) => p.venue))].sort();
  // A venue's positions are linear in their returns, so the netting set's value is one Brownian factor with variance
  // sᵀΣs per year (s: the positions' market values): simulating it costs O(paths × steps), not O(paths × steps × k²).
  // The gross EE (no netting) needs no simulation: each position alone is normal, E[max(V, 0)] = v Φ(v/σ) + σ φ(v/σ).
  const counterparties = venues.map((venue) => {
    const terms = settings.counterparties[venue];
    const credit: CreditTerms = { ...settings.credit, ...terms?.credit };
    const curve = curveOf(credit);
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
      ...(terms?.collateral ? { collateral: { [venue]: agreementOf(terms.collateral) } } : {}),
    });
    const expectedExposureGross = settings.exposureTimes.map((t) =>
      held.reduce(
        (a, i) =>
          a + positiveNormalMean(input.positions[i]!.exposure, Math.abs(input.positions[i]!.exposure) * Math.sqrt(annual[i]![i]! * t)),
        0,
      ),
    );
    const profile = { ...netted, expectedExposureGross };
    return {
      counterparty: venue,
      ...profile,
      // CVA from the collateralised EE: what the CSA leaves at risk
      cva: creditValuationAdjustment(profile, curve),
      credit: { ...credit, hazardRate: curve.hazardRate },
      collateral: terms?.collateral ?? null,
    };
  });
  return {
    available: true as const,
    paths: r.paths,
    credit: { ...settings.credit, hazardRate: defaultCurve.hazardRate },
    counterparties,
  };
}
