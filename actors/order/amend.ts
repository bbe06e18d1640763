import { type CancelCause, CancelCause as Cause, type OrderEvent, OrderType, subtractQuantity } from "../domain/index.ts";
import { type Decision, finish, type ReplaceOrderInput, refuse } from "./decision.ts";
import { isTerminal, OrdStatus, type OrderState } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/* Cancel and replace: refused with a reason while the order cannot be amended; a stop held locally changes at once. */

/** Closed orders and orders already waiting on the venue refuse cancel and replace, with the reason. */
function amendable(o: OrderState | null, what: string): Decision | OrderState {
  if (o === null) return refuse(OrderReason.UnknownOrder, `${what}: no order was submitted under this clientOrderId`);
  if (isTerminal(o.status)) return refuse(OrderReason.OrderClosed, `${what}: order ${o.clientOrderId} is ${o.status}`);
  if (o.status === OrdStatus.PendingCancel)
    return refuse(OrderReason.CancelPending, `${what}: order ${o.clientOrderId} has a cancel pending`);
  if (o.status === OrdStatus.PendingReplace)
    return refuse(OrderReason.ReplacePending, `${what}: order ${o.clientOrderId} has a replace pending`);
  return o;
}

/** A stop held locally that has not been triggered: it exists only in this actor. */
const heldLocally = (o: OrderState): boolean => !o.atVenue;

export function decideCancel(o: OrderState | null, cmd: { nowUs: number }, cause: CancelCause = Cause.User): Decision {
  const a = amendable(o, "cancel");
  if ("events" in a) return a;
  const stamp = { tsEvent: cmd.nowUs, tsInit: cmd.nowUs };
  if (heldLocally(a)) {
    const e: OrderEvent =
      cause === Cause.Expired
        ? { type: "OrderExpired", clientOrderId: a.clientOrderId, cumQty: a.cumQty, ...stamp }
        : { type: "OrderCanceled", clientOrderId: a.clientOrderId, cause, cumQty: a.cumQty, ...stamp };
    return finish(a, [e], []);
  }
  return finish(
    a,
    [{ type: "OrderCancelPending", clientOrderId: a.clientOrderId, cause, ...stamp }],
    [
      {
        type: "VenueCancelOrder",
        clientOrderId: a.clientOrderId,
        ...(a.venueOrderId !== undefined ? { venueOrderId: a.venueOrderId } : {}),
        instrument: a.instrument,
        side: a.side,
        cause,
        ...stamp,
      },
    ],
  );
}

export function decideReplace(o: OrderState | null, cmd: ReplaceOrderInput): Decision {
  const a = amendable(o, "replace");
  if ("events" in a) return a;
  if (a.status === OrdStatus.PendingNew || (a.atVenue && !a.acked)) {
    return refuse(OrderReason.NotAcknowledged, `replace: order ${a.clientOrderId} is not yet acknowledged by the venue`);
  }
  const hasPrice = a.orderType === OrderType.Limit || a.orderType === OrderType.StopLimit;
  const hasStop = (a.orderType === OrderType.Stop || a.orderType === OrderType.StopLimit) && !a.triggered;
  if (cmd.price !== undefined && !hasPrice)
    return refuse(OrderReason.ReplaceFieldNotAllowed, `price: a ${a.orderType} order has no limit price`);
  if (cmd.stopPrice !== undefined && !hasStop)
    return refuse(OrderReason.ReplaceFieldNotAllowed, `stopPrice: order ${a.clientOrderId} has no untriggered stop`);
  const quantity = cmd.quantity ?? a.quantity;
  if (quantity <= a.cumQty) return refuse(OrderReason.ReplaceBelowFilled, `quantity: ${quantity} must be above the filled ${a.cumQty}`);
  const price = cmd.price ?? a.price;
  const stopPrice = cmd.stopPrice ?? a.stopPrice;
  if (quantity === a.quantity && price === a.price && stopPrice === a.stopPrice) {
    return refuse(OrderReason.ReplaceNoChange, "replace: quantity, price and stopPrice are unchanged");
  }
  const stamp = { tsEvent: cmd.nowUs, tsInit: cmd.nowUs };
  const terms = {
    version: a.version + 1,
    quantity,
    ...(price !== undefined ? { price } : {}),
    ...(stopPrice !== undefined ? { stopPrice } : {}),
  };
  const pending: OrderEvent = { type: "OrderReplacePending", clientOrderId: a.clientOrderId, ...terms, ...stamp };
  if (heldLocally(a)) {
    const replaced: OrderEvent = {
      type: "OrderReplaced",
      clientOrderId: a.clientOrderId,
      ...terms,
      leavesQty: subtractQuantity(quantity, a.cumQty),
      ...stamp,
    };
    return finish(a, [pending, replaced], []);
  }
  return finish(
    a,
    [pending],
    [
      {
        type: "VenueReplaceOrder",
        clientOrderId: a.clientOrderId,
        ...(a.venueOrderId !== undefined ? { venueOrderId: a.venueOrderId } : {}),
        instrument: a.instrument,
        side: a.side,
        ...terms,
        ...stamp,
      },
    ],
  );
}
