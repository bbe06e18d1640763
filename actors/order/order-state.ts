import type { CancelCause, NativeListLeg, OrderType, Price, Quantity, Side, TimeInForce } from "../domain/index.ts";

/** FIX OrdStatus. REPLACED is transient: the order continues as NEW or PARTIALLY_FILLED with its new version. */
export const OrdStatus = {
  PendingNew: "PENDING_NEW",
  New: "NEW",
  PartiallyFilled: "PARTIALLY_FILLED",
  Filled: "FILLED",
  PendingCancel: "PENDING_CANCEL",
  Canceled: "CANCELED",
  PendingReplace: "PENDING_REPLACE",
  Replaced: "REPLACED",
  Rejected: "REJECTED",
  Expired: "EXPIRED",
} as const;
export type OrdStatus = (typeof OrdStatus)[keyof typeof OrdStatus];
export const ordStatuses = Object.values(OrdStatus);

const terminal: ReadonlySet<OrdStatus> = new Set([OrdStatus.Filled, OrdStatus.Canceled, OrdStatus.Rejected, OrdStatus.Expired]);
export const isTerminal = (s: OrdStatus): boolean => terminal.has(s);

/** The order as the journal defines it: every field is set from domain events only, so replay rebuilds it. */
export interface OrderState {
  clientOrderId: string;
  instrument: string;
  venue: string;
  side: Side;
  orderType: OrderType;
  quantity: Quantity;
  price?: Price;
  stopPrice?: Price;
  timeInForce: TimeInForce;
  expireAtUs?: number;
  postOnly: boolean;
  reduceOnly: boolean;
  strategy: string;
  book: string;
  emulatedStop: boolean;
  emulatedGtd: boolean;
  /** a leg of an order list its venue holds natively: sent with its tag, and the venue may restate its size */
  list?: NativeListLeg;
  /** 1 at submit, +1 per replace */
  version: number;
  status: OrdStatus;
  venueOrderId?: string;
  /** the order has been sent to the venue (an emulated stop only once triggered) */
  atVenue: boolean;
  /** the venue acknowledged it */
  acked: boolean;
  triggered: boolean;
  cumQty: Quantity;
  leavesQty: Quantity;
  avgPx: Price;
  pxQty: string;
  feeTotal: number;
  /** ids of applied fills, the idempotency keys */
  execIds: string[];
  lastVenueSeq: number;
  pendingReplace?: { version: number; quantity: Quantity; price?: Price; stopPrice?: Price };
  cancelCause?: CancelCause;
  rejectReason?: string;
  submittedAtUs: number;
  updatedAtUs: number;
}

/** NEW or PARTIALLY_FILLED, from what has been filled. */
export const workingStatus = (o: OrderState): OrdStatus => (o.cumQty > 0 ? OrdStatus.PartiallyFilled : OrdStatus.New);
