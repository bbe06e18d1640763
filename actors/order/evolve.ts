import { type OrderEvent, subtractQuantity, ZERO_PRICE, ZERO_QUANTITY } from "../domain/index.ts";
import { parseInstrumentId } from "../contract/index.ts";
import { addFill } from "./fill.ts";
import { OrdStatus, type OrderState, workingStatus } from "./order-state.ts";

/**
 * Applies one domain event. Pure and total over the events `decide` produces; the same function serves live
 * processing and journal replay, which is what makes replay rebuild the identical state.
 */
export function evolve(o: OrderState | null, e: OrderEvent): OrderState | null {
  if (e.type === "OrderSubmitted") {
    return {
      clientOrderId: e.clientOrderId,
      instrument: e.instrument,
      venue: parseInstrumentId(e.instrument).venue,
      side: e.side,
      orderType: e.orderType,
      quantity: e.quantity,
      ...(e.price !== undefined ? { price: e.price } : {}),
      ...(e.stopPrice !== undefined ? { stopPrice: e.stopPrice } : {}),
      timeInForce: e.timeInForce,
      ...(e.expireAtUs !== undefined ? { expireAtUs: e.expireAtUs } : {}),
      postOnly: e.postOnly,
      reduceOnly: e.reduceOnly,
      strategy: e.strategy,
      book: e.book,
      emulatedStop: e.emulatedStop,
      emulatedGtd: e.emulatedGtd,
      ...(e.list !== undefined ? { list: e.list } : {}),
      version: 1,
      status: OrdStatus.PendingNew,
      atVenue: !e.emulatedStop,
      acked: false,
      triggered: false,
      cumQty: ZERO_QUANTITY,
      leavesQty: e.quantity,
      avgPx: ZERO_PRICE,
      pxQty: "0",
      feeTotal: 0,
      execIds: [],
      lastVenueSeq: 0,
      submittedAtUs: e.tsEvent,
      updatedAtUs: e.tsEvent,
    };
  }
  if (o === null) return null;
  const at = { updatedAtUs: e.tsEvent };
  switch (e.type) {
    case "OrderAccepted": {
      const status = o.status === OrdStatus.PendingNew ? OrdStatus.New : o.status;
      return { ...o, ...at, status, acked: !e.local, ...(e.venueOrderId !== undefined ? { venueOrderId: e.venueOrderId } : {}) };
    }
    case "OrderRejected":
      return { ...o, ...at, status: OrdStatus.Rejected, leavesQty: ZERO_QUANTITY, rejectReason: e.reason };
    case "OrderTriggered":
      return { ...o, ...at, triggered: true, atVenue: true, acked: false };
    case "OrderFilled": {
      const t = addFill(o, e.lastQty, e.lastPx);
      const leavesQty = subtractQuantity(o.quantity, t.cumQty);
      const pending = o.status === OrdStatus.PendingCancel || o.status === OrdStatus.PendingReplace;
      const status = leavesQty === 0 ? OrdStatus.Filled : pending ? o.status : OrdStatus.PartiallyFilled;
      return {
        ...o,
        ...at,
        ...t,
        leavesQty,
        status,
        acked: o.acked || o.atVenue,
        feeTotal: o.feeTotal + e.fee,
        execIds: [...o.execIds, e.execId],
        lastVenueSeq: Math.max(o.lastVenueSeq, e.venueSeq),
        ...(e.venueOrderId !== undefined ? { venueOrderId: e.venueOrderId } : {}),
        ...(leavesQty === 0 ? { pendingReplace: undefined, cancelCause: undefined } : {}),
      };
    }
    case "OrderCancelPending":
      return { ...o, ...at, status: OrdStatus.PendingCancel, cancelCause: e.cause };
    case "OrderCanceled":
      return { ...o, ...at, status: OrdStatus.Canceled, leavesQty: ZERO_QUANTITY, cancelCause: e.cause };
    case "OrderCancelRejected": {
      const { pendingReplace: _p, cancelCause: _c, ...rest } = o;
      return { ...rest, ...at, status: workingStatus(o) };
    }
    case "OrderReplacePending":
      return {
        ...o,
        ...at,
        status: OrdStatus.PendingReplace,
        pendingReplace: {
          version: e.version,
          quantity: e.quantity,
          ...(e.price !== undefined ? { price: e.price } : {}),
          ...(e.stopPrice !== undefined ? { stopPrice: e.stopPrice } : {}),
        },
      };
    case "OrderReplaced": {
      const { pendingReplace: _p, price: _pr, stopPrice: _sp, ...rest } = o;
      return {
        ...rest,
        ...at,
        status: OrdStatus.Replaced,
        version: e.version,
        quantity: e.quantity,
        ...(e.price !== undefined ? { price: e.price } : {}),
        ...(e.stopPrice !== undefined ? { stopPrice: e.stopPrice } : {}),
        leavesQty: subtractQuantity(e.quantity, o.cumQty),
        ...(e.venueOrderId !== undefined ? { venueOrderId: e.venueOrderId } : {}),
      };
    }
    case "OrderExpired":
      return { ...o, ...at, status: OrdStatus.Expired, leavesQty: ZERO_QUANTITY };
  }
}
