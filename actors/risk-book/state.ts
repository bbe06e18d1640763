import {
  type AlertLevel,
  type DayStarted,
  type FillApplied,
  type HighWaterMarkRaised,
  type InstrumentRegistered,
  type InstrumentSpec,
  type KillSwitchEngaged,
  type KillSwitchReleased,
  type LimitBreached,
  type LimitCleared,
  type LimitWarning,
  type MarkSource,
  type Money,
  type OrderApproved,
  type OrderDenied,
  type OrderReleased,
  type OrderReplaceApproved,
  type PositionChanged,
  type PositionLeg,
  type PositionMode,
  type Price,
  type Quantity,
  type RiskLimits,
  type RiskLimitsChanged,
  type RiskLimitsInput,
  type Side,
  instrumentSpec,
  asMoney,
} from "../domain/index.ts";
import { parseRiskLimits } from "./limits.ts";
import { emptyPortfolio, type Portfolio } from "./portfolio.ts";

/** How a book is opened (the machine's input). Replaying a journal needs the same config. */
export interface BookConfig {
  book: string;
  positionMode: PositionMode;
  /** what positions are marked at: MID of the quote or LAST trade (the other is the fallback) */
  markSource: MarkSource;
  initialCash: Money;
  instruments: InstrumentSpec[];
  limits: RiskLimitsInput;
  /** smallest rise of the high-water mark that is journaled; 0 journals every new high */
  hwmStep: Money;
  /** fills remembered for de-duplication of redelivered fills */
  fillMemory: number;
}

export const defaultBookConfig = (book: string, over: Partial<BookConfig> = {}): BookConfig => ({
  book,
  positionMode: "NETTING",
  markSource: "MID",
  initialCash: asMoney(0n),
  instruments: [],
  limits: {},
  hwmStep: asMoney(0n),
  fillMemory: 1024,
  ...over,
});

export interface PendingOrder {
  clientOrderId: string;
  instrument: string;
  side: Side;
  /** the order's total quantity */
  quantity: Quantity;
  /** quantity not yet filled: what the order still reserves */
  remaining: Quantity;
  price: Price;
  strategy: string;
  positionSide?: Exclude<PositionLeg, "NET">;
  /** the SubmitOrder forwarded to the order entity (approvals journaled before orders were forwarded lack it) */
  order?: Record<string, unknown>;
}

export interface KillSwitchState {
  by: string;
  reason: string;
  atUs: number;
}

/**
 * The journaled state of a risk book: everything here is rebuilt by replaying its events. Marks and the return
 * window for VaR are not here (see machine.ts): they come back with the market data after a restore.
 */
export interface RiskBook {
  book: string;
  markSource: MarkSource;
  hwmStep: Money;
  fillMemory: number;
  portfolio: Portfolio;
  instruments: Record<string, InstrumentSpec>;
  limits: RiskLimits;
  /** approved orders still open, by clientOrderId */
  pending: Record<string, PendingOrder>;
  /** approval times per strategy, oldest first, kept only as far back as the order-rate window needs */
  approvals: Record<string, number[]>;
  /** engaged kill switches; `strategies` by strategy id */
  killSwitch: {
    book: KillSwitchState | null;
    global: KillSwitchState | null;
    strategies?: Record<string, KillSwitchState>;
    /** when the global switch last changed here (engaged or released): older news of it from other books is stale */
    globalChangedUs?: number;
  };
  /** current alert level per limit name, so that an alert is raised once per crossing */
  alertLevels: Record<string, AlertLevel>;
  highWaterMark: Money;
  dayStartEquity: Money;
  tradingDay: string;
  /** ids of the last `fillMemory` fills, oldest first */
  recentFills: string[];
  /**
   * ids of the last `fillMemory` approved orders that closed here (filled, or released), oldest first: an order id
   * is approved once, so a check reusing one of these reserves nothing (absent in books restored from snapshots
   * taken before it was kept)
   */
  closedOrders?: string[];
  /**
   * signed net position per strategy and instrument, from the fills of the strategies' orders: what a starting
   * strategy reconciles with (absent in books restored from snapshots taken before it was kept)
   */
  strategyPositions?: Record<string, Record<string, Quantity>>;
}

export function openBook(config: BookConfig): RiskBook {
  const instruments: Record<string, InstrumentSpec> = {};
  for (const i of config.instruments) instruments[i.instrument] = instrumentSpec.parse(i);
  return {
    book: config.book,
    markSource: config.markSource,
    hwmStep: config.hwmStep,
    fillMemory: config.fillMemory,
    portfolio: emptyPortfolio(config.positionMode, config.initialCash),
    instruments,
    limits: parseRiskLimits(config.limits),
    pending: {},
    approvals: {},
    killSwitch: { book: null, global: null, strategies: {} },
    alertLevels: {},
    highWaterMark: config.initialCash,
    dayStartEquity: config.initialCash,
    tradingDay: "",
    recentFills: [],
    closedOrders: [],
    strategyPositions: {},
  };
}

type Tagged<K extends string, T> = T & { type: K };
/** Every domain event a risk book journals. */
export type RiskBookEvent =
  | Tagged<"OrderApproved", OrderApproved>
  | Tagged<"OrderReplaceApproved", OrderReplaceApproved>
  | Tagged<"OrderDenied", OrderDenied>
  | Tagged<"OrderReleased", OrderReleased>
  | Tagged<"FillApplied", FillApplied>
  | Tagged<"PositionChanged", PositionChanged>
  | Tagged<"RiskLimitsChanged", RiskLimitsChanged>
  | Tagged<"LimitWarning", LimitWarning>
  | Tagged<"LimitBreached", LimitBreached>
  | Tagged<"LimitCleared", LimitCleared>
  | Tagged<"KillSwitchEngaged", KillSwitchEngaged>
  | Tagged<"KillSwitchReleased", KillSwitchReleased>
  | Tagged<"HighWaterMarkRaised", HighWaterMarkRaised>
  | Tagged<"DayStarted", DayStarted>
  | Tagged<"InstrumentRegistered", InstrumentRegistered>;
