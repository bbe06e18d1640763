// Over 400 lines on purpose: the risk plane's message schemas, one definition each, kept together as one vocabulary.
import { z } from "zod";
import { asMoney } from "../fixed.ts";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { AssetClass } from "../trading.ts";
import {
  instrumentId,
  stamped,
  money,
  nonNegativePrice,
  nonNegativeQuantity,
  orderType,
  positivePrice,
  positiveQuantity,
  positiveUnits,
  side,
} from "./schemas.ts";

/**
 * Messages of the risk book (am.cmd.risk-book.<book> and am.evt.risk-book.<book>.<Event>). Money fields are
 * bigint 1e-8 units (the `money` helper also takes a safe integer); prices and quantities are integer units.
 */

const nonNegativeMoney = money.refine((m) => m >= 0n, "must not be negative");
const who = z.string().min(1).max(128);
const reasonCode = z.string().min(1).max(64);
const clientOrderId = z.string().min(1).max(64);

export const PositionMode = { Netting: "NETTING", Hedging: "HEDGING" } as const;
export type PositionMode = (typeof PositionMode)[keyof typeof PositionMode];
/** The leg a position is held in: NET in netting mode; LONG/SHORT held separately in hedging mode. */
export const PositionLeg = { Net: "NET", Long: "LONG", Short: "SHORT" } as const;
export type PositionLeg = (typeof PositionLeg)[keyof typeof PositionLeg];
export const MarkSource = { Mid: "MID", Last: "LAST" } as const;
export type MarkSource = (typeof MarkSource)[keyof typeof MarkSource];
export const KillSwitchScope = { Strategy: "STRATEGY", Book: "BOOK", Global: "GLOBAL" } as const;
export type KillSwitchScope = (typeof KillSwitchScope)[keyof typeof KillSwitchScope];
export const AlertLevel = { Ok: "OK", Warn: "WARN", Breach: "BREACH" } as const;
export type AlertLevel = (typeof AlertLevel)[keyof typeof AlertLevel];

const positionSide = z.enum([PositionLeg.Long, PositionLeg.Short]);

/** A limit with a hard level (deny / breach) and an optional warning level; absent warn = hard × warnPct / 100. */
export const moneyLimitLevel = z
  .object({ hard: nonNegativeMoney, warn: nonNegativeMoney.optional() })
  .refine((l) => l.warn === undefined || l.warn <= l.hard, { message: "warn must not exceed hard", path: ["warn"] });
export type MoneyLimitLevel = z.output<typeof moneyLimitLevel>;

const instrumentLimits = z.object({
  maxOrderQuantity: positiveQuantity.optional(),
  maxOrderNotional: nonNegativeMoney.optional(),
  maxPosition: nonNegativeQuantity.optional(),
});

/** Risk limits of one book. Every limit is optional: an absent limit is not checked. */
export const riskLimits = z.object({
  /** per order, in quantity units; per-instrument overrides in `instruments` */
  maxOrderQuantity: positiveQuantity.optional(),
  /** per order: price × quantity × multiplier */
  maxOrderNotional: nonNegativeMoney.optional(),
  /** absolute net position per instrument after the order, worst case with pending orders */
  maxPosition: nonNegativeQuantity.optional(),
  instruments: z.record(instrumentId, instrumentLimits).default({}),
  /** Σ |exposure| after the order, worst case */
  maxGrossExposure: moneyLimitLevel.optional(),
  /** |Σ exposure| after the order, worst case */
  maxNetExposure: moneyLimitLevel.optional(),
  /** loss since StartOfDay (equity drop) */
  maxDailyLoss: moneyLimitLevel.optional(),
  /** high-water mark − equity */
  maxDrawdown: moneyLimitLevel.optional(),
  /** |limit price − reference| / reference, in basis points */
  priceCollarBps: z.number().int().nonnegative().optional(),
  collarReference: z.enum([MarkSource.Last, MarkSource.Mid]).default(MarkSource.Last),
  /** approved orders per strategy in a sliding window of windowUs ending now */
  orderRate: z.object({ maxOrders: z.number().int().positive(), windowUs: z.number().int().positive() }).optional(),
  /** only orders that reduce the position are allowed */
  reduceOnly: z.boolean().default(false),
  /** warning level of limits without an explicit `warn`, in percent of hard */
  warnPct: z.number().int().min(1).max(100).default(80),
  /**
   * Regime caution (the regime actors' RegimeEstimated): once an instrument's changeProbability exceeds
   * `threshold`, its maxPosition and maxOrderNotional (book or instrument) are multiplied by `factor` until its
   * run length exceeds `holdBars` with the probability back at or below the threshold
   */
  regimeScale: z
    .object({
      threshold: z.number().gt(0).lt(1),
      factor: z.number().min(0).lt(1),
      holdBars: z.number().int().nonnegative(),
    })
    .strict()
    .optional(),
});
export type RiskLimits = z.output<typeof riskLimits>;
export type RiskLimitsInput = z.input<typeof riskLimits>;

export const instrumentSpec = z.object({
  instrument: instrumentId,
  /** contract multiplier in 1e-8 units (1 = 100000000); notional = price × quantity × multiplier */
  multiplier: positiveUnits,
  sector: z.string().min(1).max(64),
  assetClass: z.enum(Object.values(AssetClass)),
});
export type InstrumentSpec = z.output<typeof instrumentSpec>;

// ---- order-actor events the risk book consumes (minimal fields; not registered: the order actor owns them) ----

/**
 * The fields of an order fill the risk book reads (from the order actor's OrderFilled, or an ApplyFill command).
 * `fillId` must be unique per execution: redelivered fills are recognised by it and applied once.
 */
export const fillFields = z.object({
  fillId: z.string().min(1).max(128),
  clientOrderId: clientOrderId.optional(),
  instrument: instrumentId,
  side,
  /** this execution's quantity (last qty) */
  quantity: positiveQuantity,
  /** this execution's price (last px) */
  price: positivePrice,
  fee: money.default(asMoney(0n)),
  /** quantity still open on the order; 0 releases the order's reservation */
  leavesQty: nonNegativeQuantity.optional(),
  /** hedging mode: the leg this fill opens or closes; absent = the leg of the fill's own side */
  positionSide: positionSide.optional(),
  strategy: z.string().min(1).max(64).optional(),
  ...stamped,
});
export type FillFields = z.output<typeof fillFields>;

/**
 * The order actor's OrderFilled as the risk book reads it: it has no instrument (the book takes it from the
 * order's reservation); `execId` is the fill id, `lastQty`/`lastPx` the fill, `fee` signed (negative: rebate).
 */
export const orderFilledFields = z.object({
  clientOrderId,
  execId: z.string().min(1).max(128),
  instrument: instrumentId.optional(),
  side,
  lastQty: positiveQuantity,
  lastPx: positivePrice,
  fee: money.default(asMoney(0n)),
  leavesQty: nonNegativeQuantity.optional(),
  ...stamped,
});
export type OrderFilledFields = z.output<typeof orderFilledFields>;

/** Terminal order events release what the order still reserves. */
export const orderClosedFields = z.object({ clientOrderId, ...stamped });
export const orderClosedTypes = ["OrderCanceled", "OrderRejected", "OrderExpired"] as const;

// ---- commands ----

export const CheckOrder = defineMessage(
  "CheckOrder",
  1,
  z.object({
    clientOrderId,
    instrument: instrumentId,
    side,
    /** named orderType: `type` is the message type on the wire and in machine events */
    orderType,
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    strategy: z.string().min(1).max(64),
    reduceOnly: z.boolean().default(false),
    positionSide: positionSide.optional(),
    ...stamped,
  }),
  "Pre-trade check of an order (request/reply); an approval reserves the order's exposure until it closes.",
);
export type CheckOrder = MessageOf<typeof CheckOrder>;

export const ApplyFill = defineMessage("ApplyFill", 1, fillFields, "Apply a fill to the book (manual or back-filled).");
export type ApplyFill = MessageOf<typeof ApplyFill>;

export const MarkPrice = defineMessage(
  "MarkPrice",
  1,
  z.object({
    instrument: instrumentId,
    bid: positivePrice.optional(),
    ask: positivePrice.optional(),
    last: positivePrice.optional(),
    ...stamped,
  }),
  "A quote (bid/ask) or trade (last) to mark positions with; not journaled.",
);
export type MarkPrice = MessageOf<typeof MarkPrice>;

export const SetRiskLimits = defineMessage(
  "SetRiskLimits",
  1,
  z.object({ limits: riskLimits, by: who, reason: z.string().max(256).optional(), ...stamped }),
  "Replace the book's limits (audited).",
);
export type SetRiskLimits = MessageOf<typeof SetRiskLimits>;

export const EngageKillSwitch = defineMessage(
  "EngageKillSwitch",
  1,
  z
    .object({
      strategy: z.string().min(1).max(64).optional(),
      scope: z.enum([KillSwitchScope.Strategy, KillSwitchScope.Book, KillSwitchScope.Global]).default(KillSwitchScope.Book),
      by: who,
      reason: z.string().min(1).max(256),
      ...stamped,
    })
    .refine((m) => (m.scope === KillSwitchScope.Strategy) === (m.strategy !== undefined), {
      path: ["strategy"],
      message: "required with scope STRATEGY, and only then",
    }),
  "Stop new orders of one strategy (STRATEGY), this book (BOOK) or all books (GLOBAL, broadcast to every book), and cancel the open ones.",
);
export type EngageKillSwitch = MessageOf<typeof EngageKillSwitch>;

export const ReleaseKillSwitch = defineMessage(
  "ReleaseKillSwitch",
  1,
  z
    .object({
      strategy: z.string().min(1).max(64).optional(),
      scope: z.enum([KillSwitchScope.Strategy, KillSwitchScope.Book, KillSwitchScope.Global]).default(KillSwitchScope.Book),
      by: who,
      reason: z.string().max(256).optional(),
      ...stamped,
    })
    .refine((m) => (m.scope === KillSwitchScope.Strategy) === (m.strategy !== undefined), {
      path: ["strategy"],
      message: "required with scope STRATEGY, and only then",
    }),
  "Allow new orders again.",
);
export type ReleaseKillSwitch = MessageOf<typeof ReleaseKillSwitch>;

export const StartOfDay = defineMessage(
  "StartOfDay",
  1,
  z.object({ tradingDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), ...stamped }),
  "Begin a trading day: daily P&L restarts from the current equity.",
);
export type StartOfDay = MessageOf<typeof StartOfDay>;

export const RegisterInstrument = defineMessage(
  "RegisterInstrument",
  1,
  z.object({ ...instrumentSpec.shape, ...stamped }),
  "Give the book an instrument's multiplier, sector and asset class.",
);
export type RegisterInstrument = MessageOf<typeof RegisterInstrument>;

export const GetRiskReport = defineMessage("GetRiskReport", 1, z.object({ ...stamped }), "Positions, P&L, exposure, limit usage and VaR.");
export type GetRiskReport = MessageOf<typeof GetRiskReport>;

export const GetRiskLimits = defineMessage(
  "GetRiskLimits",
  1,
  z.object({ ...stamped }),
  "The book's current limits (the shape SetRiskLimits takes).",
);
export type GetRiskLimits = MessageOf<typeof GetRiskLimits>;

export const GetEquityCurve = defineMessage(
  "GetEquityCurve",
  1,
  z
    .object({
      /** sample times in [fromUs, toUs] */
      fromUs: z.number().int().nonnegative(),
      toUs: z.number().int().nonnegative(),
      /** at most this many points, the oldest first */
      limit: z.number().int().min(1).max(100_000).default(1000),
      ...stamped,
    })
    .refine((m) => m.toUs >= m.fromUs, { path: ["toUs"], message: "must not be before fromUs" }),
  "Equity samples the book kept (a bounded series, sampled on marks and fills) in a time range.",
);
export type GetEquityCurve = MessageOf<typeof GetEquityCurve>;

const finiteShocks = z.record(z.string().min(1).max(64), z.number().finite());

/** A scenario the caller defines: factor shocks (see actors/risk-book/analytics/stress.ts for units) and instrument returns. */
export const hypotheticalShock = z.object({
  name: z.string().min(1).max(64),
  description: z.string().max(256).default(""),
  factorShocks: finiteShocks.default({}),
  instrumentShocks: z.record(instrumentId, z.number().finite().min(-1, "a return of at least -1")).optional(),
});
export type HypotheticalShock = z.output<typeof hypotheticalShock>;

export const GetRiskAnalytics = defineMessage(
  "GetRiskAnalytics",
  1,
  z.object({
    /** VaR and ES confidence, in (0.5, 1) */
    confidence: z.number().gt(0.5, "must be in (0.5, 1)").lt(1, "must be in (0.5, 1)").default(0.99),
    /** Monte Carlo paths of VaR and of the exposure profiles (bounded: the book answers in its own turn) */
    paths: z.number().int().min(100, "at least 100").max(20_000, "at most 20000").default(2_000),
    /** seed of every simulation: the same seed and state give the same figures */
    seed: z.number().int().min(0).max(0xffff_ffff).default(1),
    /** historical scenarios to run by name; absent = all of them */
    scenarios: z.array(z.string().min(1).max(64)).max(32).optional(),
    hypothetical: z.array(hypotheticalShock).max(16).default([]),
    ...stamped,
  }),
  "VaR/ES by five methods with their backtest, contributions, stress and reverse stress, counterparty exposure and performance of the book.",
);
export type GetRiskAnalytics = MessageOf<typeof GetRiskAnalytics>;

export const RiskAnalyticsReport = defineMessage(
  "RiskAnalyticsReport",
  1,
  z.looseObject({ book: z.string().min(1), asOfUs: z.number().int(), ...stamped }),
  "The book's scheduled analytics (the GetRiskAnalytics answer with default settings), on am.report.risk-book.<book>.RiskAnalytics.",
);
export type RiskAnalyticsReport = MessageOf<typeof RiskAnalyticsReport>;

// ---- domain events (journaled; each is also an input that re-applies it) ----

export const OrderApproved = defineMessage(
  "OrderApproved",
  1,
  z.object({
    clientOrderId,
    instrument: instrumentId,
    side,
    quantity: positiveQuantity,
    /** the price its exposure is reserved at (limit price, or the reference price of a market order) */
    price: positivePrice,
    strategy: z.string().min(1).max(64),
    positionSide: positionSide.optional(),
    /** the SubmitOrder forwarded to the order entity, kept so that it is forwarded again until the order answers */
    order: z.record(z.string(), z.unknown()).optional(),
    ...stamped,
  }),
  "An order passed the pre-trade check; its quantity is reserved until it fills or closes.",
);
export type OrderApproved = MessageOf<typeof OrderApproved>;

const limitValue = z.union([z.bigint(), z.number(), z.string()]);

export const OrderReplaceApproved = defineMessage(
  "OrderReplaceApproved",
  1,
  z.object({
    clientOrderId,
    /** the order's new total quantity; the reservation becomes this minus what has filled */
    quantity: positiveQuantity,
    price: positivePrice,
    strategy: z.string().min(1).max(64),
    ...stamped,
  }),
  "A replace of an open order passed the pre-trade check; its reservation follows the new quantity and price.",
);
export type OrderReplaceApproved = MessageOf<typeof OrderReplaceApproved>;

export const OrderDenied = defineMessage(
  "OrderDenied",
  1,
  z.object({
    clientOrderId,
    instrument: instrumentId,
    side,
    quantity: positiveQuantity,
    strategy: z.string().min(1).max(64),
    reason: reasonCode,
    message: z.string(),
    limit: limitValue,
    value: limitValue,
    ...stamped,
  }),
  "An order failed the pre-trade check (audit only: the book is unchanged).",
);
export type OrderDenied = MessageOf<typeof OrderDenied>;

export const OrderReleased = defineMessage(
  "OrderReleased",
  1,
  z.object({ clientOrderId, cause: z.string().min(1).max(64), ...stamped }),
  "An approved order closed; the quantity it still reserved is released.",
);
export type OrderReleased = MessageOf<typeof OrderReleased>;

export const FillApplied = defineMessage("FillApplied", 1, fillFields, "A fill changed the book's positions and cash.");
export type FillApplied = MessageOf<typeof FillApplied>;

export const PositionChanged = defineMessage(
  "PositionChanged",
  1,
  z.object({
    instrument: instrumentId,
    leg: z.enum([PositionLeg.Net, PositionLeg.Long, PositionLeg.Short]),
    /** signed quantity (short < 0) */
    quantity: z.number().int(),
    avgPrice: nonNegativePrice,
    /** signed cost basis of the open quantity */
    cost: money,
    realisedPnl: money,
    ...stamped,
  }),
  "A position after a fill (informational; FillApplied carries the change).",
);
export type PositionChanged = MessageOf<typeof PositionChanged>;

export const RiskLimitsChanged = defineMessage(
  "RiskLimitsChanged",
  1,
  z.object({ by: who, reason: z.string().max(256).optional(), old: riskLimits, new: riskLimits, ...stamped }),
  "The book's limits were replaced: who, when (tsEvent), old and new.",
);
export type RiskLimitsChanged = MessageOf<typeof RiskLimitsChanged>;

const alertFields = {
  /** the limit, e.g. MAX_DRAWDOWN */
  limit: reasonCode,
  value: money,
  threshold: money,
  level: z.enum([AlertLevel.Ok, AlertLevel.Warn, AlertLevel.Breach]),
  ...stamped,
};

export const LimitWarning = defineMessage(
  "LimitWarning",
  1,
  z.object(alertFields),
  "A measure rose past a limit's warning level (once per crossing).",
);
export type LimitWarning = MessageOf<typeof LimitWarning>;
export const LimitBreached = defineMessage(
  "LimitBreached",
  1,
  z.object(alertFields),
  "A measure rose past a limit's hard level (once per crossing).",
);
export type LimitBreached = MessageOf<typeof LimitBreached>;
export const LimitCleared = defineMessage(
  "LimitCleared",
  1,
  z.object(alertFields),
  "A measure fell back below a level; `level` is the new one.",
);
export type LimitCleared = MessageOf<typeof LimitCleared>;

export const KillSwitchEngaged = defineMessage(
  "KillSwitchEngaged",
  1,
  z.object({
    strategy: z.string().min(1).max(64).optional(),
    scope: z.enum([KillSwitchScope.Strategy, KillSwitchScope.Book, KillSwitchScope.Global]),
    by: who,
    reason: z.string().min(1).max(256),
    /** the book that journaled it (GLOBAL only): the other books follow a global switch they hear of */
    book: z.string().min(1).max(64).optional(),
    ...stamped,
  }),
  "New orders are denied until released.",
);
export type KillSwitchEngaged = MessageOf<typeof KillSwitchEngaged>;

export const KillSwitchReleased = defineMessage(
  "KillSwitchReleased",
  1,
  z.object({
    strategy: z.string().min(1).max(64).optional(),
    scope: z.enum([KillSwitchScope.Strategy, KillSwitchScope.Book, KillSwitchScope.Global]),
    by: who,
    reason: z.string().max(256).optional(),
    /** the book that journaled it (GLOBAL only): the other books follow a global switch they hear of */
    book: z.string().min(1).max(64).optional(),
    ...stamped,
  }),
  "New orders are allowed again.",
);
export type KillSwitchReleased = MessageOf<typeof KillSwitchReleased>;

export const HighWaterMarkRaised = defineMessage(
  "HighWaterMarkRaised",
  1,
  z.object({ equity: money, ...stamped }),
  "Equity reached a new high (journaled so that drawdown survives a restore).",
);
export type HighWaterMarkRaised = MessageOf<typeof HighWaterMarkRaised>;

export const DayStarted = defineMessage(
  "DayStarted",
  1,
  z.object({ tradingDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), equity: money, ...stamped }),
  "A trading day began at this equity; daily P&L is measured from it.",
);
export type DayStarted = MessageOf<typeof DayStarted>;

export const InstrumentRegistered = defineMessage(
  "InstrumentRegistered",
  1,
  z.object({ ...instrumentSpec.shape, ...stamped }),
  "The book knows an instrument's multiplier, sector and asset class.",
);
export type InstrumentRegistered = MessageOf<typeof InstrumentRegistered>;

/** Types of the domain events a risk book journals, in one list for the runtime and for replay. */
export const riskBookEventTypes = [
  "OrderApproved",
  "OrderReplaceApproved",
  "OrderDenied",
  "OrderReleased",
  "FillApplied",
  "PositionChanged",
  "RiskLimitsChanged",
  "LimitWarning",
  "LimitBreached",
  "LimitCleared",
  "KillSwitchEngaged",
  "KillSwitchReleased",
  "HighWaterMarkRaised",
  "DayStarted",
  "InstrumentRegistered",
] as const;
export type RiskBookEventType = (typeof riskBookEventTypes)[number];
