/**
 * The stress table of a book: its positions' factor sensitivities, the scenarios a request names (checked before
 * anything runs), their P&L per position and loss limit, and reverse stress against each limit's headroom.
 */
import {
  historicalScenarios,
  hypotheticalScenario,
  type Matrix,
  mostLikelyBreach,
  reverseStressLinear,
  type StressBook,
  type StressFactor,
  type StressScenario,
  stressTests,
} from "./analytics/index.ts";
import type { AnalyticsInput, AnalyticsPosition } from "./analytics-input.ts";
import { AnalyticsRequestError, type AnalyticsRequest, errorText } from "./analytics-settings.ts";

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

export function stressSection(input: AnalyticsInput, scenarios: StressScenario[], exposures: number[], cov: Matrix) {
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
