import { type OrderEvent, OrderType, TimeInForce } from "../domain/index.ts";
import { routeOrder, type VenueCapabilities } from "./capabilities.ts";
import { type Decision, finish, ok, refuse, type SubmitOrderInput, type VenueCommand } from "./decision.ts";
import { evolve } from "./evolve.ts";
import type { OrderState } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/** SubmitOrder: a new order is routed (venue, or emulated locally) and validated; a resubmission is idempotent. */
export function decideSubmit(o: OrderState | null, cmd: SubmitOrderInput, caps: VenueCapabilities): Decision {
  if (o !== null) {
    if (o.instrument !== cmd.instrument || o.side !== cmd.side || o.orderType !== cmd.orderType) {
      return refuse(OrderReason.ClientOrderIdReused, `clientOrderId ${cmd.clientOrderId} already names a ${o.side} ${o.orderType} order on ${o.instrument}`);
    }
    return { events: [], commands: [], reply: ok(o, "existing order") };
  }
  const stamp = { tsEvent: cmd.nowUs, tsInit: cmd.nowUs };
  const route = routeOrder(cmd, caps);
  const submitted: OrderEvent = {
    type: "OrderSubmitted",
    clientOrderId: cmd.clientOrderId,
    instrument: cmd.instrument,
    side: cmd.side,
    orderType: cmd.orderType,
    quantity: cmd.quantity,
    ...(cmd.price !== undefined ? { price: cmd.price } : {}),
    ...(cmd.stopPrice !== undefined ? { stopPrice: cmd.stopPrice } : {}),
    timeInForce: cmd.timeInForce,
    ...(cmd.expireAtUs !== undefined ? { expireAtUs: cmd.expireAtUs } : {}),
    postOnly: cmd.postOnly,
    reduceOnly: cmd.reduceOnly,
    strategy: cmd.strategy,
    book: cmd.book,
    emulatedStop: route.ok && route.emulatedStop,
    emulatedGtd: route.ok && route.emulatedGtd,
    ...stamp,
  };
  const reject = (reason: OrderReason, message: string): Decision =>
    finish(null, [submitted, { type: "OrderRejected", clientOrderId: cmd.clientOrderId, reason, message, ...stamp }], []);
  if (!route.ok) return reject(route.reason, route.message);
  if (cmd.timeInForce === TimeInForce.Gtd && cmd.expireAtUs !== undefined && cmd.expireAtUs <= cmd.nowUs) {
    return reject(OrderReason.ExpiryInPast, `expireAtUs: ${cmd.expireAtUs} is not after now (${cmd.nowUs})`);
  }
  if (route.emulatedStop) {
    return finish(null, [submitted, { type: "OrderAccepted", clientOrderId: cmd.clientOrderId, local: true, ...stamp }], []);
  }
  const state = evolve(null, submitted)!;
  return finish(null, [submitted], [newOrderCommand(state, state.orderType, cmd.nowUs)]);
}

/** The order as the venue receives it: an emulated GTD rests as GTC there, since this actor enforces the expiry. */
export function newOrderCommand(o: OrderState, orderType: OrderType, nowUs: number): VenueCommand {
  const keepStop = orderType === OrderType.Stop || orderType === OrderType.StopLimit;
  const keepPrice = orderType === OrderType.Limit || orderType === OrderType.StopLimit;
  return {
    type: "VenueNewOrder",
    clientOrderId: o.clientOrderId,
    version: o.version,
    instrument: o.instrument,
    side: o.side,
    orderType,
    quantity: o.leavesQty,
    ...(keepPrice && o.price !== undefined ? { price: o.price } : {}),
    ...(keepStop && o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}),
    timeInForce: o.emulatedGtd ? TimeInForce.Gtc : o.timeInForce,
    ...(!o.emulatedGtd && o.expireAtUs !== undefined ? { expireAtUs: o.expireAtUs } : {}),
    postOnly: o.postOnly,
    reduceOnly: o.reduceOnly,
    tsEvent: nowUs,
    tsInit: nowUs,
  };
}
