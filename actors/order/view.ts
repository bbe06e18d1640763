import { type OrderReply, settleReplaced } from "./decision.ts";
import type { OrdStatus, OrderState } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/** What GetOrder answers: the order's terms and progress, without the actor's bookkeeping (execIds, timers). */
export interface OrderView {
  clientOrderId: string;
  venueOrderId?: string;
  instrument: string;
  side: OrderState["side"];
  orderType: OrderState["orderType"];
  quantity: number;
  price?: number;
  stopPrice?: number;
  timeInForce: OrderState["timeInForce"];
  expireAtUs?: number;
  strategy: string;
  book: string;
  status: OrdStatus;
  version: number;
  cumQty: number;
  leavesQty: number;
  avgPx: number;
  fees: number;
  /** event time of the order's last change */
  tsEvent: number;
}

export function orderView(o: OrderState): OrderView {
  return {
    clientOrderId: o.clientOrderId,
    ...(o.venueOrderId !== undefined ? { venueOrderId: o.venueOrderId } : {}),
    instrument: o.instrument,
    side: o.side,
    orderType: o.orderType,
    quantity: o.quantity,
    ...(o.price !== undefined ? { price: o.price } : {}),
    ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}),
    timeInForce: o.timeInForce,
    ...(o.expireAtUs !== undefined ? { expireAtUs: o.expireAtUs } : {}),
    strategy: o.strategy,
    book: o.book,
    status: settleReplaced(o).status,
    version: o.version,
    cumQty: o.cumQty,
    leavesQty: o.leavesQty,
    avgPx: o.avgPx,
    fees: o.feeTotal,
    tsEvent: o.updatedAtUs,
  };
}

/** GetOrder: a query, it changes nothing. An actor without an order (never submitted) says so by code. */
export function answerGetOrder(o: OrderState | null, clientOrderId: string): OrderReply | { type: "reply"; ok: true; result: OrderView } {
  if (o === null)
    return {
      type: "reply",
      ok: false,
      error: { code: OrderReason.UnknownOrder, message: `clientOrderId ${clientOrderId}: no order was submitted under this id` },
    };
  return { type: "reply", ok: true, result: orderView(o) };
}
