import { asMoney, type Money, type MoneyLimitLevel, type RiskLimits, type RiskLimitsInput, riskLimits } from "../domain/index.ts";

export class RiskLimitsError extends Error {
  override name = "RiskLimitsError";
}

/** Validates limits from outside (config, SetRiskLimits); the error names each offending field. */
export function parseRiskLimits(input: RiskLimitsInput | unknown): RiskLimits {
  const r = riskLimits.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "limits"}: ${i.message}`).join("; ");
    throw new RiskLimitsError(`invalid risk limits: ${issues}`);
  }
  return r.data;
}

/** No limits at all (every check passes except kill switches and unknown instruments). */
export const noLimits = (): RiskLimits => riskLimits.parse({});

/** The warning level of a limit: its explicit `warn`, else hard × warnPct / 100 (rounded down). */
export function warnLevel(level: MoneyLimitLevel, warnPct: number): Money {
  return level.warn ?? asMoney((level.hard * BigInt(warnPct)) / 100n);
}

/** Limits that apply to one instrument: its overrides, else the book's. */
export function instrumentLimits(limits: RiskLimits, instrument: string) {
  const o = limits.instruments[instrument];
  return {
    maxOrderQuantity: o?.maxOrderQuantity ?? limits.maxOrderQuantity,
    maxOrderNotional: o?.maxOrderNotional ?? limits.maxOrderNotional,
    maxPosition: o?.maxPosition ?? limits.maxPosition,
  };
}
