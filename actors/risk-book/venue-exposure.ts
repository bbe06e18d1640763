/** Each venue's exposure profile (EE, PFE) and CVA: the venue is the counterparty that holds the book's positions. */
import {
  creditValuationAdjustment,
  type CreditCurve,
  exposureProfile,
  hazardFromSpread,
  type Matrix,
  normalCdf,
  normalPdf,
} from "./analytics/index.ts";
import type { AnalyticsInput } from "./analytics-input.ts";
import { type AnalyticsRequest, type AnalyticsSettings, unavailable, YEAR_US } from "./analytics-settings.ts";

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
