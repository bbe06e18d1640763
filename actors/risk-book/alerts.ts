/**
 * Limit alerts after fills, marks, limit changes and the start of a day. Each measured limit has a level
 * (OK, WARN at or above the warning level, BREACH above the hard level); an event is raised only when the level
 * changes, so a measure hovering above a level alerts once per crossing, not once per tick.
 */
import { type AlertLevel, type Money, type MoneyLimitLevel, asMoney, subtractMoney } from "../domain/index.ts";
import { DenyReason } from "./deny-reason.ts";
import { warnLevel } from "./limits.ts";
import { absMoney, type Totals } from "./portfolio.ts";
import type { RiskBook, RiskBookEvent } from "./state.ts";

const rank: Record<AlertLevel, number> = { OK: 0, WARN: 1, BREACH: 2 };

/** The measured limits: name (shared with the deny reasons), its level, and the measure from totals. */
export const measuredLimits = [
  {
    limit: DenyReason.DailyLoss,
    level: (b: RiskBook) => b.limits.maxDailyLoss,
    measure: (b: RiskBook, t: Totals): Money => subtractMoney(b.dayStartEquity, t.equity),
  },
  {
    limit: DenyReason.MaxDrawdown,
    level: (b: RiskBook) => b.limits.maxDrawdown,
    measure: (b: RiskBook, t: Totals): Money => (t.equity > b.highWaterMark ? asMoney(0n) : subtractMoney(b.highWaterMark, t.equity)),
  },
  {
    limit: DenyReason.MaxGrossExposure,
    level: (b: RiskBook) => b.limits.maxGrossExposure,
    measure: (_b: RiskBook, t: Totals): Money => t.grossExposure,
  },
  {
    limit: DenyReason.MaxNetExposure,
    level: (b: RiskBook) => b.limits.maxNetExposure,
    measure: (_b: RiskBook, t: Totals): Money => absMoney(t.netExposure),
  },
] as const;

export function levelOf(value: Money, level: MoneyLimitLevel | undefined, warnPct: number): AlertLevel {
  if (!level) return "OK";
  if (value > level.hard) return "BREACH";
  if (value >= warnLevel(level, warnPct) && value > 0n) return "WARN";
  return "OK";
}

/** Alert events for the levels that changed (the caller journals and applies them). */
export function alertEvents(book: RiskBook, t: Totals, nowUs: number): RiskBookEvent[] {
  const out: RiskBookEvent[] = [];
  for (const m of measuredLimits) {
    const lim = m.level(book);
    const value = m.measure(book, t);
    const next = levelOf(value, lim, book.limits.warnPct);
    const prev = book.alertLevels[m.limit] ?? "OK";
    if (next === prev) continue;
    // The level crossed: the new one going up, the old one going down.
    const crossed = rank[next] > rank[prev] ? next : prev;
    const threshold = !lim ? asMoney(0n) : crossed === "BREACH" ? lim.hard : warnLevel(lim, book.limits.warnPct);
    const base = { limit: m.limit, value, threshold, level: next, tsEvent: nowUs, tsInit: nowUs };
    if (rank[next] < rank[prev]) out.push({ type: "LimitCleared", ...base });
    else if (next === "BREACH") out.push({ type: "LimitBreached", ...base });
    else out.push({ type: "LimitWarning", ...base });
  }
  return out;
}
