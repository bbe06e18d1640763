import { type AlertLevel, type Money, type Price, type Quantity, asMoney, subtractMoney } from "../domain/index.ts";
import { levelOf, measuredLimits } from "./alerts.ts";
import { warnLevel } from "./limits.ts";
import {
  averagePrice,
  contractValue,
  type ExposureBreakdown,
  exposure,
  type MarkTable,
  maxMoney,
  positionMark,
  totals,
} from "./portfolio.ts";
import type { KillSwitchState, PendingOrder, RiskBook } from "./state.ts";
import { type ReturnWindow, type ValueAtRisk, valueAtRisk } from "./var.ts";

export interface PositionLine {
  instrument: string;
  leg: string;
  quantity: Quantity;
  avgPrice: Price;
  mark: Price;
  marketValue: Money;
  cost: Money;
  unrealisedPnl: Money;
  realisedPnl: Money;
  fees: Money;
}

export interface LimitUsage {
  limit: string;
  value: Money;
  warn: Money;
  hard: Money;
  /** value / hard in percent, two decimals */
  usedPct: number;
  level: AlertLevel;
}

export interface RiskReport {
  book: string;
  tradingDay: string;
  positionMode: string;
  markSource: string;
  positions: PositionLine[];
  pnl: {
    cash: Money;
    equity: Money;
    realised: Money;
    unrealised: Money;
    fees: Money;
    /** realised + unrealised − fees */
    net: Money;
    daily: Money;
    highWaterMark: Money;
    drawdown: Money;
  };
  exposure: ExposureBreakdown;
  limits: LimitUsage[];
  killSwitch: { book: KillSwitchState | null; global: KillSwitchState | null };
  pending: PendingOrder[];
  valueAtRisk: ValueAtRisk;
}

export function riskReport(book: RiskBook, marks: MarkTable, returns: ReturnWindow): RiskReport {
  const p = book.portfolio;
  const t = totals(p, book.instruments, marks, book.markSource);
  const positions: PositionLine[] = Object.values(p.positions).map((pos) => {
    const multiplier = book.instruments[pos.instrument]?.multiplier ?? 0;
    const mark = positionMark(pos, marks, book.markSource);
    const marketValue = contractValue(mark, pos.quantity, multiplier);
    return {
      instrument: pos.instrument,
      leg: pos.leg,
      quantity: pos.quantity,
      avgPrice: averagePrice(pos, multiplier),
      mark,
      marketValue,
      cost: pos.cost,
      unrealisedPnl: subtractMoney(marketValue, pos.cost),
      realisedPnl: pos.realisedPnl,
      fees: pos.fees,
    };
  });
  const hwm = maxMoney(t.equity, book.highWaterMark);
  const expo = exposure(p, book.instruments, marks, book.markSource);
  const limits: LimitUsage[] = [];
  for (const m of measuredLimits) {
    const lim = m.level(book);
    if (!lim) continue;
    const value = m.measure(book, t);
    limits.push({
      limit: m.limit,
      value,
      warn: warnLevel(lim, book.limits.warnPct),
      hard: lim.hard,
      usedPct: lim.hard === 0n ? (value > 0n ? Number.POSITIVE_INFINITY : 0) : Number((value * 10_000n) / lim.hard) / 100,
      level: levelOf(value, lim, book.limits.warnPct),
    });
  }
  const byInstrument: Record<string, Money> = {};
  for (const [i, line] of Object.entries(expo.byInstrument)) byInstrument[i] = line.net;
  return {
    book: book.book,
    tradingDay: book.tradingDay,
    positionMode: p.mode,
    markSource: book.markSource,
    positions,
    pnl: {
      cash: p.cash,
      equity: t.equity,
      realised: p.realisedPnl,
      unrealised: t.unrealisedPnl,
      fees: p.fees,
      net: asMoney(p.realisedPnl + t.unrealisedPnl - p.fees),
      daily: subtractMoney(t.equity, book.dayStartEquity),
      highWaterMark: hwm,
      drawdown: subtractMoney(hwm, t.equity),
    },
    exposure: expo,
    limits,
    killSwitch: book.killSwitch,
    pending: Object.values(book.pending),
    valueAtRisk: valueAtRisk(returns, byInstrument),
  };
}
