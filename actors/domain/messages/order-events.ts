import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { ZERO_PRICE, ZERO_QUANTITY } from "../fixed.ts";
import { nativeListLeg } from "./order-list.ts";
import {
  instrumentId,
  stamped,
  micros,
  nonNegativePrice,
  nonNegativeQuantity,
  orderType,
  positivePrice,
  positiveQuantity,
  side,
  timeInForce,
  units,
} from "./schemas.ts";

/**
 * The order lifecycle vocabulary shared by order actors and venue connections: the venue's execution reports
 * (input to order actors), the commands an order actor sends to its venue connection, and the order domain
 * events (past tense, journaled on am.evt.order.<clientOrderId>.<Event>).
 */

/** FIX ExecType, the kind of an execution report. */
export const ExecType = {
  New: "NEW",
  PartialFill: "PARTIAL_FILL",
  Fill: "FILL",
  Canceled: "CANCELED",
  Replaced: "REPLACED",
  Rejected: "REJECTED",
  Expired: "EXPIRED",
  PendingCancel: "PENDING_CANCEL",
  PendingReplace: "PENDING_REPLACE",
  CancelRejected: "CANCEL_REJECTED",
} as const;
export type ExecType = (typeof ExecType)[keyof typeof ExecType];
export const execTypes = Object.values(ExecType);

/** Why an order was (or is being) canceled: by its owner, by a local GTD expiry, by a kill switch, by the venue. */
export const CancelCause = { User: "USER", Expired: "EXPIRED", KillSwitch: "KILL_SWITCH", Venue: "VENUE" } as const;
export type CancelCause = (typeof CancelCause)[keyof typeof CancelCause];
const cancelCause = z.enum(Object.values(CancelCause) as [CancelCause, ...CancelCause[]]);

const liquidity = z.enum(["MAKER", "TAKER"]);
const clientOrderId = z.string().min(1).max(64);
/** A signed amount in 1e-8 units (fees: negative is a rebate). */
const signedUnits = units;

export const ExecutionReport = defineMessage(
  "ExecutionReport",
  1,
  z
    .object({
      clientOrderId,
      /** absent only on a reject of an order the venue never accepted */
      venueOrderId: z.string().min(1).max(64).optional(),
      /** unique per venue; the idempotency key of fills */
      execId: z.string().min(1).max(128),
      execType: z.enum(execTypes as [ExecType, ...ExecType[]]),
      instrument: instrumentId,
      side,
      /** the order version the report refers to (the new version on Replaced) */
      orderVersion: z.number().int().positive().optional(),
      lastQty: nonNegativeQuantity,
      lastPx: nonNegativePrice,
      cumQty: nonNegativeQuantity,
      leavesQty: nonNegativeQuantity,
      avgPx: nonNegativePrice,
      fee: signedUnits,
      liquidity: liquidity.optional(),
      /** on Replaced: the order's new quantity and prices */
      quantity: positiveQuantity.optional(),
      price: positivePrice.optional(),
      stopPrice: positivePrice.optional(),
      /** monotonic per venue session; reconciliation asks for everything after the last one seen */
      venueSeq: z.number().int().nonnegative(),
      /** the venue's text on rejects and cancel rejects */
      text: z.string().max(256).optional(),
      ...stamped,
    })
    .superRefine((r, ctx) => {
      const fill = r.execType === ExecType.PartialFill || r.execType === ExecType.Fill;
      if (fill && r.lastQty <= 0) ctx.addIssue({ code: "custom", path: ["lastQty"], message: `must be positive on ${r.execType}` });
      if (fill && r.lastPx <= 0) ctx.addIssue({ code: "custom", path: ["lastPx"], message: `must be positive on ${r.execType}` });
      if (fill && r.liquidity === undefined) ctx.addIssue({ code: "custom", path: ["liquidity"], message: `required on ${r.execType}` });
    }),
  "What the venue says happened to an order: acks, fills, cancels, replaces, rejects.",
);
export type ExecutionReport = MessageOf<typeof ExecutionReport>;

/**
 * A report that executes nothing (a refusal, a close, an acknowledgement made up by reconciliation): no fill, no
 * quantity left. `over` sets what differs (text, cumQty, venueOrderId, ...).
 */
export function reportWithoutFill(
  order: { clientOrderId: string; instrument: string; side: ExecutionReport["side"]; venueOrderId?: string | undefined },
  execType: ExecType,
  execId: string,
  venueSeq: number,
  nowUs: number,
  over: Partial<ExecutionReport> = {},
): ExecutionReport {
  return {
    clientOrderId: order.clientOrderId,
    ...(order.venueOrderId !== undefined ? { venueOrderId: order.venueOrderId } : {}),
    execId,
    execType,
    instrument: order.instrument,
    side: order.side,
    lastQty: ZERO_QUANTITY,
    lastPx: ZERO_PRICE,
    cumQty: ZERO_QUANTITY,
    leavesQty: ZERO_QUANTITY,
    avgPx: ZERO_PRICE,
    fee: 0,
    venueSeq,
    tsEvent: nowUs,
    tsInit: nowUs,
    ...over,
  };
}

/* ---------- commands from an order actor to its venue connection (am.cmd.venue.<venue>) ---------- */

export const VenueNewOrder = defineMessage(
  "VenueNewOrder",
  1,
  z.object({
    clientOrderId,
    version: z.number().int().positive(),
    instrument: instrumentId,
    side,
    /** what the venue is asked to work (a triggered local stop goes as MARKET or LIMIT); not `type`, which names the message */
    orderType,
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    timeInForce,
    expireAtUs: micros.optional(),
    postOnly: z.boolean(),
    reduceOnly: z.boolean(),
    /** a leg of an order list the venue holds natively: it works the list once every leg has arrived */
    list: nativeListLeg.optional(),
    ...stamped,
  }),
  "Send a new order to the venue.",
);
export type VenueNewOrder = MessageOf<typeof VenueNewOrder>;

export const VenueCancelOrder = defineMessage(
  "VenueCancelOrder",
  1,
  z.object({
    clientOrderId,
    venueOrderId: z.string().min(1).max(64).optional(),
    instrument: instrumentId,
    side,
    cause: cancelCause,
    ...stamped,
  }),
  "Cancel an order at the venue.",
);
export type VenueCancelOrder = MessageOf<typeof VenueCancelOrder>;

export const VenueReplaceOrder = defineMessage(
  "VenueReplaceOrder",
  1,
  z.object({
    clientOrderId,
    venueOrderId: z.string().min(1).max(64).optional(),
    /** the version this replace creates */
    version: z.number().int().positive(),
    instrument: instrumentId,
    side,
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    ...stamped,
  }),
  "Change quantity or prices of an order at the venue (cancel/replace).",
);
export type VenueReplaceOrder = MessageOf<typeof VenueReplaceOrder>;

/* ---------- order domain events ---------- */

export const OrderSubmitted = defineMessage(
  "OrderSubmitted",
  1,
  z.object({
    clientOrderId,
    instrument: instrumentId,
    side,
    /** `orderType`, not `type`: `type` names the event */
    orderType,
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    timeInForce,
    expireAtUs: micros.optional(),
    postOnly: z.boolean(),
    reduceOnly: z.boolean(),
    strategy: z.string().min(1).max(64),
    book: z.string().min(1).max(64),
    /** the stop is held and triggered by this actor because the venue lacks the order type */
    emulatedStop: z.boolean(),
    /** the GTD expiry is enforced by this actor because the venue lacks GTD (sent as GTC) */
    emulatedGtd: z.boolean(),
    /** a leg of an order list its venue holds natively */
    list: nativeListLeg.optional(),
    ...stamped,
  }),
  "An order was accepted for routing by its order actor.",
);
export type OrderSubmitted = MessageOf<typeof OrderSubmitted>;

export const OrderAccepted = defineMessage(
  "OrderAccepted",
  1,
  z.object({
    clientOrderId,
    /** absent while an emulated stop is held locally */
    venueOrderId: z.string().min(1).max(64).optional(),
    /** true: accepted and held by the order actor (emulated stop), not yet at the venue */
    local: z.boolean(),
    ...stamped,
  }),
  "The order is working: acknowledged by the venue, or held locally as an emulated stop.",
);
export type OrderAccepted = MessageOf<typeof OrderAccepted>;

export const OrderRejected = defineMessage(
  "OrderRejected",
  1,
  z.object({ clientOrderId, reason: z.string().min(1).max(64), message: z.string().max(256), ...stamped }),
  "The order was refused, by the order actor (unsupported by the venue) or by the venue.",
);
export type OrderRejected = MessageOf<typeof OrderRejected>;

export const OrderTriggered = defineMessage(
  "OrderTriggered",
  1,
  z.object({
    clientOrderId,
    /** the market price that crossed the stop */
    triggerPx: positivePrice,
    /** what was sent to the venue: MARKET for STOP, LIMIT for STOP_LIMIT */
    venueType: orderType,
    ...stamped,
  }),
  "A locally emulated stop was triggered by market data and sent to the venue.",
);
export type OrderTriggered = MessageOf<typeof OrderTriggered>;

export const OrderFilled = defineMessage(
  "OrderFilled",
  1,
  z.object({
    clientOrderId,
    venueOrderId: z.string().min(1).max(64).optional(),
    execId: z.string().min(1).max(128),
    side,
    lastQty: positiveQuantity,
    lastPx: positivePrice,
    fee: signedUnits,
    liquidity,
    cumQty: positiveQuantity,
    leavesQty: nonNegativeQuantity,
    /** volume-weighted average fill price, rounded half up to 1e-8 units */
    avgPx: positivePrice,
    venueSeq: z.number().int().nonnegative(),
    ...stamped,
  }),
  "One fill of an order (one per execId).",
);
export type OrderFilled = MessageOf<typeof OrderFilled>;

export const OrderCancelPending = defineMessage(
  "OrderCancelPending",
  1,
  z.object({ clientOrderId, cause: cancelCause, ...stamped }),
  "A cancel was sent to the venue and is awaiting its answer.",
);
export type OrderCancelPending = MessageOf<typeof OrderCancelPending>;

export const OrderCanceled = defineMessage(
  "OrderCanceled",
  1,
  z.object({ clientOrderId, cause: cancelCause, cumQty: nonNegativeQuantity, ...stamped }),
  "The order is canceled; cumQty was filled before.",
);
export type OrderCanceled = MessageOf<typeof OrderCanceled>;

export const OrderCancelRejected = defineMessage(
  "OrderCancelRejected",
  1,
  z.object({
    clientOrderId,
    /** which request the venue refused: a cancel or a replace */
    request: z.enum(["CANCEL", "REPLACE"]),
    reason: z.string().max(256),
    ...stamped,
  }),
  "The venue refused a cancel or replace; the order goes on as before.",
);
export type OrderCancelRejected = MessageOf<typeof OrderCancelRejected>;

export const OrderReplacePending = defineMessage(
  "OrderReplacePending",
  1,
  z.object({
    clientOrderId,
    version: z.number().int().positive(),
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    ...stamped,
  }),
  "A replace was sent to the venue (or applied locally to a held stop) and awaits its answer.",
);
export type OrderReplacePending = MessageOf<typeof OrderReplacePending>;

export const OrderReplaced = defineMessage(
  "OrderReplaced",
  1,
  z.object({
    clientOrderId,
    venueOrderId: z.string().min(1).max(64).optional(),
    /** the new version; the order continues with these values */
    version: z.number().int().positive(),
    quantity: positiveQuantity,
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    leavesQty: nonNegativeQuantity,
    ...stamped,
  }),
  "The order was replaced: a new version with new quantity or prices.",
);
export type OrderReplaced = MessageOf<typeof OrderReplaced>;

export const OrderExpired = defineMessage(
  "OrderExpired",
  1,
  z.object({ clientOrderId, cumQty: nonNegativeQuantity, ...stamped }),
  "The order reached its time in force (venue expiry or local GTD).",
);
export type OrderExpired = MessageOf<typeof OrderExpired>;

export type OrderEvent =
  | ({ type: "OrderSubmitted" } & OrderSubmitted)
  | ({ type: "OrderAccepted" } & OrderAccepted)
  | ({ type: "OrderRejected" } & OrderRejected)
  | ({ type: "OrderTriggered" } & OrderTriggered)
  | ({ type: "OrderFilled" } & OrderFilled)
  | ({ type: "OrderCancelPending" } & OrderCancelPending)
  | ({ type: "OrderCanceled" } & OrderCanceled)
  | ({ type: "OrderCancelRejected" } & OrderCancelRejected)
  | ({ type: "OrderReplacePending" } & OrderReplacePending)
  | ({ type: "OrderReplaced" } & OrderReplaced)
  | ({ type: "OrderExpired" } & OrderExpired);
export type OrderEventType = OrderEvent["type"];
export const orderEventTypes: readonly OrderEventType[] = [
  "OrderSubmitted",
  "OrderAccepted",
  "OrderRejected",
  "OrderTriggered",
  "OrderFilled",
  "OrderCancelPending",
  "OrderCanceled",
  "OrderCancelRejected",
  "OrderReplacePending",
  "OrderReplaced",
  "OrderExpired",
];

/** The definitions of the order actor's events, for decoding one of them with its own type. */
export const orderEventDefs = [
  OrderSubmitted,
  OrderAccepted,
  OrderRejected,
  OrderTriggered,
  OrderFilled,
  OrderCancelPending,
  OrderCanceled,
  OrderCancelRejected,
  OrderReplacePending,
  OrderReplaced,
  OrderExpired,
] as const;
