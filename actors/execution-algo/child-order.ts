/** A child order as the algorithm sends it: a SubmitOrder forwarded to the parent's risk book. */
import { type Forward, subjects } from "../contract/index.ts";
import type { AlgoContext, ChildOrder, ParentOrder } from "./state.ts";

/** Where a parent's children and their cancels go: its book, which checks each as it does a strategy's order. */
export const riskBook = (p: ParentOrder): string => subjects.cmd("risk-book", p.book);

/**
 * A child's SubmitOrder, forwarded to the risk book as a strategy's order is: a routed child trades its own listing
 * at the venue's touch, the others the parent's instrument at its limit (MARKET without one). `redelivered` marks a
 * child sent again after a restart, which the risk book takes as the same order.
 */
export function childForward(p: ParentOrder, id: string, child: ChildOrder, nowUs: number, redelivered = false): Forward {
  const price = child.price ?? p.limitPrice;
  const message = {
    type: "SubmitOrder",
    clientOrderId: id,
    instrument: child.instrument ?? p.instrument,
    side: p.side,
    orderType: price === undefined ? "MARKET" : "LIMIT",
    ...(price !== undefined ? { price } : {}),
    quantity: child.quantity,
    // an unfilled remainder goes back to the parent at once, except an iceberg's slice, which rests
    timeInForce: p.params.algo === "ICEBERG" ? "DAY" : "IOC",
    postOnly: false,
    reduceOnly: false,
    strategy: p.strategy,
    book: p.book,
    ...(redelivered ? { redelivered } : {}),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return { type: "forward", key: id, subject: riskBook(p), message };
}

/**
 * Cancels of every open child of the parent (a pause, a cancel, a refused child), forwarded to its book: asked again
 * until the book answers (it answers once the order has taken the cancel), and detached, so the command that sent
 * them is answered at once.
 */
export function childCancels(c: AlgoContext, nowUs: number): Forward[] {
  const p = c.parent;
  if (!p) return [];
  return Object.keys(c.children).map((clientOrderId) => ({
    type: "forward",
    key: `cancel:${clientOrderId}`,
    subject: riskBook(p),
    message: { type: "CancelOrder", clientOrderId, tsEvent: nowUs, tsInit: nowUs },
    detached: true,
  }));
}
