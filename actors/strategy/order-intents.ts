/**
 * From intents to the commands the risk book receives. A malformed intent is a bug in strategy code: it throws
 * (naming the field) so the actor fails and its supervisor restarts it, instead of trading on a wrong order.
 */
import { type CancelOrder, isOnGrid, type SubmitOrder } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import type { ClientOrderIds } from "./client-order-ids.ts";
import type { StrategyLedger } from "./ledger.ts";
import type { StrategyInstrument, Intent, SubmitIntent } from "./strategy.ts";
import { targetToOrders } from "./target-to-orders.ts";

export class StrategyIntentError extends Error {
  override name = "StrategyIntentError";
}

export interface OrderRouting {
  strategyId: string;
  book: string;
  /** subject of the risk book's commands, built once */
  riskSubject: string;
  specs: ReadonlyMap<string, StrategyInstrument>;
  ids: ClientOrderIds;
  ledger: StrategyLedger;
}

export const riskBookSubject = (book: string): string => subjects.cmd("risk-book", book);

/** A SubmitOrder as a message: `type` names the message, the order's type is `orderType`. */
export function submitOrderMessage(order: SubmitOrder): { type: "SubmitOrder"; [field: string]: unknown } {
  return { ...order, type: "SubmitOrder" };
}

/** The SubmitOrder payload back from a message (the inverse of submitOrderMessage). */
export function submitOrderFromMessage(message: { [field: string]: unknown }): Record<string, unknown> {
  const { type: _messageType, ...rest } = message;
  return rest;
}

function spec(r: OrderRouting, instrument: string, where: string): StrategyInstrument {
  const s = r.specs.get(instrument);
  if (!s) throw new StrategyIntentError(`${where}.instrument: ${instrument} is not traded by strategy ${r.strategyId}`);
  return s;
}

function submit(r: OrderRouting, i: SubmitIntent, nowUs: number, out: Emitted[]): void {
  const s = spec(r, i.instrument, "submit");
  if (!(i.quantity > 0) || !isOnGrid(i.quantity, s.lotSize)) {
    throw new StrategyIntentError(
      `submit.quantity: ${i.quantity} must be positive and a multiple of lot size ${s.lotSize} (${i.instrument})`,
    );
  }
  if (i.price !== undefined && (!(i.price > 0) || !isOnGrid(i.price, s.tickSize))) {
    throw new StrategyIntentError(`submit.price: ${i.price} must be positive and a multiple of tick size ${s.tickSize} (${i.instrument})`);
  }
  if ((i.type === "LIMIT" || i.type === "STOP_LIMIT") && i.price === undefined) {
    throw new StrategyIntentError(`submit.price: required for a ${i.type} order (${i.instrument})`);
  }
  const clientOrderId = r.ids.next();
  const order: SubmitOrder = {
    clientOrderId,
    instrument: i.instrument,
    side: i.side,
    orderType: i.type,
    quantity: i.quantity,
    timeInForce: i.timeInForce,
    postOnly: i.postOnly ?? false,
    reduceOnly: i.reduceOnly ?? false,
    strategy: r.strategyId,
    book: r.book,
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  if (i.price !== undefined) order.price = i.price;
  if (i.stopPrice !== undefined) order.stopPrice = i.stopPrice;
  r.ledger.recordSubmitted({
    clientOrderId,
    instrument: i.instrument,
    side: i.side,
    type: i.type,
    quantity: i.quantity,
    price: i.price,
    submittedUs: nowUs,
    tag: i.tag,
  });
  out.push({
    type: "forward",
    key: `order:${clientOrderId}`,
    subject: r.riskSubject,
    message: submitOrderMessage(order),
    detached: true,
  });
}

/**
 * Sends a cancel unless one is already in flight or the order is gone. Orders and cancels are forwarded: asked
 * again until the book answers (it answers once the order has taken them), so one lost under a nats-server's death
 * is not lost for good; a cancel marked pending is never sent twice by the strategy, so it must arrive. They are
 * detached: a command that sends them (StopStrategy, ApproveProposal) is answered without waiting for the orders,
 * whose outcome the strategy hears from their events.
 */
export function cancel(r: OrderRouting, clientOrderId: string, nowUs: number, out: Emitted[]): void {
  if (!r.ledger.markCancelPending(clientOrderId)) return;
  const message: CancelOrder & { type: "CancelOrder" } = { type: "CancelOrder", clientOrderId, tsEvent: nowUs, tsInit: nowUs };
  out.push({ type: "forward", key: `cancel:${clientOrderId}`, subject: r.riskSubject, message, detached: true });
}

export function cancelAll(r: OrderRouting, instrument: string | undefined, nowUs: number, out: Emitted[]): void {
  // collect first: cancelling mutates nothing structural, but keep iteration independent of the ledger's lists
  const ids: string[] = [];
  for (const o of r.ledger.allOpenOrders()) if (instrument === undefined || o.instrument === instrument) ids.push(o.clientOrderId);
  for (const id of ids) cancel(r, id, nowUs, out);
}

export function routeIntents(r: OrderRouting, intents: readonly Intent[], nowUs: number, out: Emitted[]): void {
  for (const i of intents) {
    switch (i.kind) {
      case "submit":
        submit(r, i, nowUs, out);
        break;
      case "cancel":
        cancel(r, i.clientOrderId, nowUs, out);
        break;
      case "cancelAll":
        cancelAll(r, i.instrument, nowUs, out);
        break;
      case "target": {
        const s = spec(r, i.instrument, "target");
        if (!Number.isSafeInteger(i.quantity) || !isOnGrid(Math.abs(i.quantity), s.lotSize)) {
          throw new StrategyIntentError(`target.quantity: ${i.quantity} must be a multiple of lot size ${s.lotSize} (${i.instrument})`);
        }
        const actions = targetToOrders(r.ledger.position(i.instrument), i.quantity, r.ledger.openOrders(i.instrument), s.lotSize);
        for (const a of actions) {
          if (a.kind === "cancel") cancel(r, a.clientOrderId, nowUs, out);
          else if (i.price === undefined) {
            submit(
              r,
              { kind: "submit", instrument: i.instrument, side: a.side, type: "MARKET", quantity: a.quantity, timeInForce: "IOC" },
              nowUs,
              out,
            );
          } else {
            submit(
              r,
              {
                kind: "submit",
                instrument: i.instrument,
                side: a.side,
                type: "LIMIT",
                quantity: a.quantity,
                price: i.price,
                timeInForce: "DAY",
              },
              nowUs,
              out,
            );
          }
        }
        break;
      }
      case "propose":
        throw new StrategyIntentError("propose: a proposal is parked for an operator, never routed as an order");
    }
  }
}
