/** Why the order actor refused a command or an execution report. Callers branch on these codes. */
export const OrderReason = {
  /** a cancel, replace or report arrived for an order that was never submitted */
  UnknownOrder: "UNKNOWN_ORDER",
  /** the order is filled, canceled, rejected or expired */
  OrderClosed: "ORDER_CLOSED",
  CancelPending: "CANCEL_PENDING",
  ReplacePending: "REPLACE_PENDING",
  /** replace before the venue acknowledged the order */
  NotAcknowledged: "NOT_ACKNOWLEDGED",
  /** a fill would take cumQty above the order quantity */
  Overfill: "OVERFILL",
  ReplaceBelowFilled: "REPLACE_QTY_NOT_ABOVE_FILLED",
  ReplaceNoChange: "REPLACE_NO_CHANGE",
  ReplaceFieldNotAllowed: "REPLACE_FIELD_NOT_ALLOWED",
  /** the execution report does not fit the order's state (e.g. Replaced without a pending replace) */
  InvalidTransition: "INVALID_TRANSITION",
  /** the report names another order, instrument or side */
  ReportMismatch: "REPORT_MISMATCH",
  UnsupportedOrderType: "UNSUPPORTED_ORDER_TYPE",
  UnsupportedTimeInForce: "UNSUPPORTED_TIME_IN_FORCE",
  UnsupportedFlag: "UNSUPPORTED_FLAG",
  ExpiryInPast: "EXPIRY_IN_PAST",
  /** a SubmitOrder reused a clientOrderId of an order with different terms */
  ClientOrderIdReused: "CLIENT_ORDER_ID_REUSED",
  /** the venue rejected the order (its text is in the message) */
  VenueRejected: "VENUE_REJECTED",
} as const;
export type OrderReason = (typeof OrderReason)[keyof typeof OrderReason];
