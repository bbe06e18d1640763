/**
 * Turns a target position into the orders that reach it, given what is already in flight. The rule that keeps it
 * from double-sending: orders still working count towards the target, nothing new is sent while a cancel is
 * unconfirmed (the order may still fill), and orders pointing the wrong way are canceled before anything new goes
 * out. So if every open order filled, the position would land on the target, never beyond it.
 */
import { asQuantity, type Quantity, type Side } from "../domain/index.ts";
import { type OpenOrderView, OrderStatus } from "./strategy.ts";

export type OrderAction = { kind: "submit"; side: Side; quantity: Quantity } | { kind: "cancel"; clientOrderId: string };

const signed = (o: OpenOrderView): number => (o.side === "BUY" ? o.leavesQty : -o.leavesQty);

export function targetToOrders(
  current: Quantity,
  target: Quantity,
  openOrders: readonly OpenOrderView[],
  lotSize: Quantity = asQuantity(1),
): OrderAction[] {
  const actions: OrderAction[] = [];
  for (const o of openOrders) if (o.status === OrderStatus.PendingCancel) return actions;
  const delta = target - current;
  let outstanding = 0;
  for (const o of openOrders) {
    const s = signed(o);
    // an order against the direction of travel (or any order when already on target) must go first
    if (delta === 0 || Math.sign(s) !== Math.sign(delta)) actions.push({ kind: "cancel", clientOrderId: o.clientOrderId });
    else outstanding += s;
  }
  if (actions.length > 0) return actions;
  if (Math.abs(outstanding) > Math.abs(delta)) {
    for (const o of openOrders) actions.push({ kind: "cancel", clientOrderId: o.clientOrderId });
    return actions;
  }
  const remaining = Math.abs(delta - outstanding);
  const quantity = asQuantity(Math.floor(remaining / lotSize) * lotSize);
  if (quantity > 0) actions.push({ kind: "submit", side: delta > 0 ? "BUY" : "SELL", quantity });
  return actions;
}
