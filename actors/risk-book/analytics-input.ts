/**
 * What the book's analytics read, taken from its state in one pass: today's net exposure per instrument, the
 * marked return window as a matrix, the VaR backtest record, the equity samples and the loss limits' headroom. The
 * figures are float copies, so the computation after it never reads (or holds) the live book.
 */
import { type AssetClass, toNumber } from "../domain/index.ts";
import type { EquityCurve } from "./equity-curve.ts";
import { equityPoints } from "./equity-curve.ts";
import { exposure, type MarkTable, maxMoney, totals } from "./portfolio.ts";
import type { RiskBook } from "./state.ts";
import type { VarHistory, VarObservation } from "./var-history.ts";
import { type ReturnWindow, returnAt, returnRows } from "./var.ts";

export interface AnalyticsPosition {
  instrument: string;
  /** the venue that holds the position: the counterparty of its exposure */
  venue: string;
  assetClass: AssetClass | "UNKNOWN";
  sector: string;
  /** net market value, currency (short < 0): P&L per unit return */
  exposure: number;
}

export interface LossHeadroom {
  /** maxDailyLoss or maxDrawdown */
  limit: string;
  hard: number;
  /** loss already taken against it */
  used: number;
}

export interface AnalyticsInput {
  book: string;
  asOfUs: number;
  positions: AnalyticsPosition[];
  /** samples × positions, oldest first, in `positions` order */
  returns: number[][];
  /** the return window's interval and VaR confidence */
  sampleUs: number;
  windowConfidence: number;
  backtest: readonly VarObservation[];
  /** equity samples, oldest first, and their interval */
  equity: number[];
  equityEveryUs: number;
  limits: LossHeadroom[];
  /** each strategy's net position per instrument, for attribution by strategy */
  strategyPositions: Record<string, Record<string, number>>;
}

const venueOf = (instrument: string): string => instrument.slice(instrument.lastIndexOf(".") + 1);

export function analyticsInput(
  book: RiskBook,
  marks: MarkTable,
  window: ReturnWindow,
  history: VarHistory,
  curve: EquityCurve,
  nowUs: number,
): AnalyticsInput {
  const expo = exposure(book.portfolio, book.instruments, marks, book.markSource);
  const positions: AnalyticsPosition[] = [];
  for (const [instrument, line] of Object.entries(expo.byInstrument)) {
    if (line.net === 0n) continue;
    const spec = book.instruments[instrument];
    positions.push({
      instrument,
      venue: venueOf(instrument),
      assetClass: spec?.assetClass ?? "UNKNOWN",
      sector: spec?.sector ?? "UNKNOWN",
      exposure: toNumber(line.net),
    });
  }
  positions.sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
  const { columns, rows } = returnRows(window);
  const at = positions.map((p) => columns.get(p.instrument) ?? -1);
  const returns = rows.map((row) => at.map((c) => returnAt(row, c)));
  const t = totals(book.portfolio, book.instruments, marks, book.markSource);
  const limits: LossHeadroom[] = [];
  const daily = book.limits.maxDailyLoss;
  if (daily)
    limits.push({ limit: "maxDailyLoss", hard: toNumber(daily.hard), used: Math.max(0, toNumber(book.dayStartEquity - t.equity)) });
  const dd = book.limits.maxDrawdown;
  if (dd) {
    const hwm = maxMoney(book.highWaterMark, t.equity);
    limits.push({ limit: "maxDrawdown", hard: toNumber(dd.hard), used: toNumber(hwm - t.equity) });
  }
  const strategyPositions: Record<string, Record<string, number>> = {};
  for (const [s, held] of Object.entries(book.strategyPositions ?? {})) {
    strategyPositions[s] = Object.fromEntries(Object.entries(held).map(([i, q]) => [i, toNumber(q)]));
  }
  return {
    book: book.book,
    asOfUs: nowUs,
    positions,
    returns,
    sampleUs: window.config.sampleUs,
    windowConfidence: window.config.confidence,
    backtest: history.observations.slice(),
    equity: equityPoints(curve, 0, Number.MAX_SAFE_INTEGER, curve.capacity).map((p) => toNumber(p.equity)),
    equityEveryUs: curve.everyUs,
    limits,
    strategyPositions,
  };
}
