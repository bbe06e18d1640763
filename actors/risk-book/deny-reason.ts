/**
 * Why the pre-trade check denied an order: the one enum callers branch on. The description map is keyed by the
 * enum, so a new reason without a description fails to compile (and the reason table test).
 */
export const DenyReason = {
  GlobalKillSwitch: "GLOBAL_KILL_SWITCH",
  KillSwitch: "KILL_SWITCH",
  StrategyKillSwitch: "STRATEGY_KILL_SWITCH",
  UnknownInstrument: "UNKNOWN_INSTRUMENT",
  NoReferencePrice: "NO_REFERENCE_PRICE",
  DuplicateOrder: "DUPLICATE_ORDER",
  UnknownOrder: "UNKNOWN_ORDER",
  ReduceOnly: "REDUCE_ONLY",
  MaxOrderQuantity: "MAX_ORDER_QUANTITY",
  MaxOrderNotional: "MAX_ORDER_NOTIONAL",
  PriceCollar: "PRICE_COLLAR",
  OrderRate: "ORDER_RATE",
  MaxPosition: "MAX_POSITION",
  RegimeLimit: "REGIME_LIMIT",
  MaxGrossExposure: "MAX_GROSS_EXPOSURE",
  MaxNetExposure: "MAX_NET_EXPOSURE",
  DailyLoss: "DAILY_LOSS",
  MaxDrawdown: "MAX_DRAWDOWN",
} as const;
export type DenyReason = (typeof DenyReason)[keyof typeof DenyReason];
export const denyReasons: readonly DenyReason[] = Object.values(DenyReason);

export const denyReasonDescriptions: { readonly [R in DenyReason]: string } = {
  GLOBAL_KILL_SWITCH: "The global kill switch is engaged: no book may open orders until an operator releases it.",
  KILL_SWITCH: "This book's kill switch is engaged: no new orders until it is released.",
  STRATEGY_KILL_SWITCH: "The kill switch of the order's strategy is engaged: no new orders from it until it is released.",
  UNKNOWN_INSTRUMENT: "The book has no multiplier, sector and asset class for the instrument (RegisterInstrument).",
  NO_REFERENCE_PRICE: "A market order, a price collar or an exposure limit needs a reference price and none is known.",
  DUPLICATE_ORDER: "An order with this clientOrderId is already approved here (open, or closed within the book's memory).",
  UNKNOWN_ORDER: "A replace names an order the book has no open approval for (a fill of such an order must carry its instrument).",
  REDUCE_ONLY: "Reduce-only mode (book or order): the order, with the pending ones, must not increase or flip the position.",
  MAX_ORDER_QUANTITY: "The order's quantity exceeds maxOrderQuantity (book or instrument).",
  MAX_ORDER_NOTIONAL: "The order's price × quantity × multiplier exceeds maxOrderNotional (book or instrument).",
  PRICE_COLLAR: "The limit price is further than priceCollarBps from the reference (last trade or mid).",
  ORDER_RATE: "The strategy already has orderRate.maxOrders approvals in the sliding window.",
  MAX_POSITION: "The absolute position after the order, if all pending orders fill too, exceeds maxPosition.",
  REGIME_LIMIT:
    "The instrument is in a regime change (regimeScale): the order fits maxPosition and maxOrderNotional but not those limits × regimeScale.factor.",
  MAX_GROSS_EXPOSURE: "Σ |exposure| after the order, worst case with pending orders, exceeds maxGrossExposure.hard.",
  MAX_NET_EXPOSURE: "|Σ exposure| after the order, worst case with pending orders, exceeds maxNetExposure.hard.",
  DAILY_LOSS: "The loss since StartOfDay exceeds maxDailyLoss.hard.",
  MAX_DRAWDOWN: "Equity is further below its high-water mark than maxDrawdown.hard.",
};

/** The Markdown reference table of deny reasons, generated from the enum. */
export function denyReasonTable(): string {
  const rows = denyReasons.map((r) => `| \`${r}\` | ${denyReasonDescriptions[r]} |`);
  return ["| Reason | Meaning |", "| --- | --- |", ...rows].join("\n");
}
