/**
 * The codes a caller branches on: event kinds, reject and cancel reasons, self-trade prevention modes.
 * Const objects so they exist at run time (docs tables, schemas) and as literal types.
 */

/** What the engine reports, one event per change, each with the engine's next sequence number. */
export const MatchEventKind = {
  Accepted: "ACCEPTED",
  Rejected: "REJECTED",
  PartiallyFilled: "PARTIALLY_FILLED",
  Filled: "FILLED",
  Canceled: "CANCELED",
  Expired: "EXPIRED",
  Triggered: "TRIGGERED",
  Replaced: "REPLACED",
  /** a cancel or replace request was refused; the order (if any) is unchanged */
  CancelRejected: "CANCEL_REJECTED",
} as const;
export type MatchEventKind = (typeof MatchEventKind)[keyof typeof MatchEventKind];
/** Index order of the kinds in the journal's Uint8 column. */
export const matchEventKinds: readonly MatchEventKind[] = Object.values(MatchEventKind);

/** Why a new order, a cancel or a replace was refused. */
export const MatchRejectReason = {
  InstrumentHalted: "INSTRUMENT_HALTED",
  /** status PRE_OPEN or CLOSED */
  MarketClosed: "MARKET_CLOSED",
  /** order type or time in force outside the enumerations */
  InvalidOrderType: "INVALID_ORDER_TYPE",
  InvalidQuantity: "INVALID_QUANTITY",
  QuantityOffLot: "QUANTITY_OFF_LOT",
  QuantityAboveMax: "QUANTITY_ABOVE_MAX",
  InvalidPrice: "INVALID_PRICE",
  PriceOffTick: "PRICE_OFF_TICK",
  PriceMissing: "PRICE_MISSING",
  PriceNotAllowed: "PRICE_NOT_ALLOWED",
  StopPriceNotAllowed: "STOP_PRICE_NOT_ALLOWED",
  StopPriceMissing: "STOP_PRICE_MISSING",
  PriceOutsideBand: "PRICE_OUTSIDE_BAND",
  ExpireTimeMissing: "EXPIRE_TIME_MISSING",
  ExpireTimeInPast: "EXPIRE_TIME_IN_PAST",
  PostOnlyNotLimit: "POST_ONLY_NOT_LIMIT",
  PostOnlyWouldTake: "POST_ONLY_WOULD_TAKE",
  FokCannotFill: "FOK_CANNOT_FILL",
  UnknownOrder: "UNKNOWN_ORDER",
  NotOwner: "NOT_OWNER",
  ReplaceQuantityNotAboveFilled: "REPLACE_QUANTITY_NOT_ABOVE_FILLED",
  ReplaceNotAllowed: "REPLACE_NOT_ALLOWED",
} as const;
export type MatchRejectReason = (typeof MatchRejectReason)[keyof typeof MatchRejectReason];
export const matchRejectReasons: readonly MatchRejectReason[] = Object.values(MatchRejectReason);

/** Why a live order left the book without filling. */
export const CancelReason = {
  Requested: "REQUESTED",
  /** IOC, FOK or MARKET remainder that found no more liquidity */
  Unfilled: "UNFILLED",
  SelfTradePrevention: "SELF_TRADE_PREVENTION",
  /** a triggered FOK stop that could not fill in full */
  FokCannotFill: "FOK_CANNOT_FILL",
  /** a replace that moved a post-only order through the book */
  PostOnlyWouldTake: "POST_ONLY_WOULD_TAKE",
  SessionClosed: "SESSION_CLOSED",
  Expired: "EXPIRED",
  /** another order of its one-cancels-other group traded first (a native order list) */
  OneCancelsOther: "ONE_CANCELS_OTHER",
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];
export const cancelReasons: readonly CancelReason[] = Object.values(CancelReason);

/**
 * Self-trade prevention when an incoming order meets a resting order of the same owner.
 * Default CancelNewest: the resting order keeps its queue position and the sender learns at once.
 */
export const StpMode = {
  /** cancel the rest of the incoming (aggressing) order */
  CancelNewest: "CANCEL_NEWEST",
  /** cancel the resting order and keep matching the incoming one */
  CancelOldest: "CANCEL_OLDEST",
  /** cancel both */
  CancelBoth: "CANCEL_BOTH",
  /** no prevention: an owner may trade with itself */
  None: "NONE",
} as const;
export type StpMode = (typeof StpMode)[keyof typeof StpMode];
