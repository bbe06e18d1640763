import { type OrderEvent, OrderType, TimeInForce } from "../domain/index.ts";
import { routeOrder, type VenueCapabilities } from "./capabilities.ts";
import { type Decision, finish, ok, refuse, type SubmitOrderInput, type VenueCommand } from "./decision.ts";
import { evolve } from "./evolve.ts";
import type { OrderState } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/** The first term in which a SubmitOrder differs from the order its clientOrderId already names. */
function differingTerm(o: OrderState, cmd: SubmitOrderInput): string | undefined {
  const terms = [
    ["instrument", o.instrument, cmd.instrument],
    ["side", o.side, cmd.side],
    ["orderType", o.orderType, cmd.orderType],
    ["quantity", o.quantity, cmd.quantity],
    ["price", o.price, cmd.price],
    ["stopPrice", o.stopPrice, cmd.stopPrice],
    ["timeInForce", o.timeInForce, cmd.timeInForce],
  ] as const;
  for (const [field, was, now] of terms) if (was !== now) return `${field} is ${was ?? "unset"}, not ${now ?? "unset"}`;
  return undefined;
}

/**
 * SubmitOrder: a new order is routed (venue, or emulated locally) and validated; a resubmission with the same terms
 * is idempotent, one with other terms is refused naming the first term that differs (FIX refuses a reused ClOrdID).
 */
export function decideSubmit(o: OrderState | null, cmd: SubmitOrderInput, caps: VenueCapabilities): Decision {
  if (o !== null) {
    // the risk book sending an approved order again (it did not hear the answer) gets the order as it is
    const differs = cmd.redelivered ? undefined : differingTerm(o, cmd);
    if (differs)
      return refuse(OrderReason.ClientOrderIdReused, `clientOrderId ${cmd.clientOrderId} already names another order: ${differs}`);
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
    ...(cmd.list !== undefined ? { list: cmd.list } : {}),
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
    ...(o.list !== undefined ? { list: o.list } : {}),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
}
