/**
 * What the list does with each input: commands decide journaled events, the legs' orders (forwarded to the risk
 * book, as a strategy's are) and cancels; its legs' order events become fills and closes, after which the
 * contingency rules (contingency.ts) say what is sent, dropped or canceled next.
 */
import { type Decided, type Emitted, journaled, replyError, replyOk, subjects } from "../contract/index.ts";
import { asPrice, asQuantity, LegOutcome, type NativeListLeg } from "../domain/index.ts";
import { dueLegs, droppedLegs, legsOf, legsToCancel, outcomeOf, sentAtOnce, venueHoldsList } from "./contingency.ts";
import { evolve, type ListEvent } from "./evolve.ts";
import type { CancelOrderListInput, ForwardRefusedInput, LegReport, SubmitOrderListInput } from "./inputs.ts";
import { isDone, type LegState, type ListContext, ListStatus } from "./state.ts";

export const ListRejectCode = { InvalidState: "invalid-state", InvalidParameters: "invalid-parameters" } as const;
export type ListRejectCode = (typeof ListRejectCode)[keyof typeof ListRejectCode];

/** What one input decided: the resulting state and what to emit (journaled events first, in order). */
export type Step = Decided<ListContext>;

const refuse = (code: ListRejectCode, message: string): Emitted => replyError(code, message);

/** Journals `events` (each applied to the state as it is emitted), then the other emissions. */
const commit = (c: ListContext, events: ListEvent[], rest: Emitted[] = []): Step => journaled(evolve, c, events, rest);

const riskBook = (c: ListContext): string => subjects.cmd("risk-book", c.book);

/** The SubmitOrder of a leg, as the risk book takes it from any strategy; a native list's legs carry their tag. */
export function legOrder(
  c: ListContext,
  l: LegState,
  quantity: number,
  nowUs: number,
  redelivered = false,
): { type: "SubmitOrder"; [field: string]: unknown } {
  return {
    type: "SubmitOrder",
    clientOrderId: l.clientOrderId,
    instrument: l.instrument,
    side: l.side,
    orderType: l.orderType,
    quantity,
    ...(l.price !== undefined ? { price: l.price } : {}),
    ...(l.stopPrice !== undefined ? { stopPrice: l.stopPrice } : {}),
    timeInForce: l.timeInForce,
    ...(l.expireAtUs !== undefined ? { expireAtUs: l.expireAtUs } : {}),
    postOnly: l.postOnly,
    reduceOnly: l.reduceOnly,
    strategy: c.strategy,
    book: c.book,
    ...(c.native ? { list: nativeTag(c, l) } : {}),
    ...(redelivered ? { redelivered } : {}),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
}

/** What the venue needs to assemble the list from this leg. */
function nativeTag(c: ListContext, l: LegState): NativeListLeg {
  return {
    listId: c.listId,
    contingency: c.contingency!,
    leg: c.legs.findIndex((x) => x.clientOrderId === l.clientOrderId),
    legCount: c.legs.length,
    role: l.role,
    triggerOnPartial: c.triggerOnPartial,
  };
}

const cancelOf = (c: ListContext, leg: number, nowUs: number): Emitted => ({
  type: "publish",
  subject: riskBook(c),
  message: { type: "CancelOrder", clientOrderId: c.legs[leg]!.clientOrderId, tsEvent: nowUs, tsInit: nowUs },
});

/**
 * After a change: send the legs now due, drop those that never will be, cancel the working legs the rules newly
 * say must go (those already asked before the change are not asked twice), and close the list once every leg ended.
 */
function follow(before: ListContext, s: Step, nowUs: number): Step {
  let c = s.context;
  const events: ListEvent[] = [];
  const forwards: Emitted[] = [];
  const at = { tsEvent: nowUs, tsInit: nowUs };
  for (const { leg, quantity } of dueLegs(c)) {
    if (quantity <= 0) continue;
    const sent: ListEvent = {
      type: "OrderListLegSent",
      listId: c.listId,
      leg,
      clientOrderId: c.legs[leg]!.clientOrderId,
      quantity: asQuantity(quantity),
      ...at,
    };
    events.push(sent);
    c = evolve(c, sent);
    forwards.push({
      type: "forward",
      key: c.legs[leg]!.clientOrderId,
      subject: riskBook(c),
      message: legOrder(c, c.legs[leg]!, quantity, nowUs),
    });
  }
  for (const leg of droppedLegs(c)) {
    const closed: ListEvent = {
      type: "OrderListLegClosed",
      listId: c.listId,
      leg,
      cumQty: asQuantity(0),
      outcome: LegOutcome.Canceled,
      unsent: true,
      reason: c.cancelRequested ? "the list was canceled" : `leg 0 ended (${c.legs[0]?.outcome}) without releasing it`,
      ...at,
    };
    events.push(closed);
    c = evolve(c, closed);
  }
  const asked = new Set(legsToCancel(before));
  const cancels = legsToCancel(c)
    .filter((i) => !asked.has(i))
    .map((i) => cancelOf(c, i, nowUs));
  if (c.status === ListStatus.Working && c.legs.every((l) => l.closed)) {
    const done: ListEvent = { type: "OrderListDone", listId: c.listId, outcome: outcomeOf(c), ...at };
    events.push(done);
    c = evolve(c, done);
  }
  const journaled = events.map((event): Emitted => ({ type: "domain", event }));
  // the journaled events go first: a forward or cancel never leaves before the decision that made it is appended
  const [ownEvents, rest] = [s.emitted.filter((e) => e.type === "domain"), s.emitted.filter((e) => e.type !== "domain")];
  return { context: c, emitted: [...ownEvents, ...journaled, ...forwards, ...cancels, ...rest] };
}

export function decideSubmit(c: ListContext, m: SubmitOrderListInput): Step {
  if (c.status !== ListStatus.Idle)
    return commit(c, [], [refuse(ListRejectCode.InvalidState, `listId: list ${c.listId} is ${c.status}; pick a new list id`)]);
  const legs = legsOf(m);
  // a venue holding the list gets every leg at once, each through the risk book, so the book reserves the whole
  // list (its worst case: every leg filling) before the venue works any of it
  const native = venueHoldsList(m, legs, c.venues);
  const accepted: ListEvent = {
    type: "OrderListAccepted",
    listId: c.listId,
    contingency: m.contingency,
    legs,
    triggerOnPartial: m.contingency === "OTO" ? m.triggerOnPartial : false,
    book: m.book,
    strategy: m.strategy,
    ...(native ? { native } : {}),
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
  };
  const s = commit(c, [accepted]);
  const events: ListEvent[] = [];
  const forwards: Emitted[] = [];
  let next = s.context;
  next.legs.forEach((l, leg) => {
    if (!native && !sentAtOnce(l)) return;
    const sent: ListEvent = {
      type: "OrderListLegSent",
      listId: c.listId,
      leg,
      clientOrderId: l.clientOrderId,
      quantity: asQuantity(l.quantity),
      tsEvent: m.nowUs,
      tsInit: m.nowUs,
    };
    events.push(sent);
    forwards.push({ type: "forward", key: l.clientOrderId, subject: riskBook(next), message: legOrder(next, l, l.quantity, m.nowUs) });
  });
  const sent = commit(next, events);
  next = sent.context;
  const answer = replyOk(listView(next));
  return { context: next, emitted: [...s.emitted, ...sent.emitted, ...forwards, answer] };
}

export function decideCancel(c: ListContext, m: CancelOrderListInput): Step {
  if (isDone(c)) return commit(c, [], [replyOk({ status: c.status, outcome: c.outcome })]);
  if (c.status === ListStatus.Idle)
    return commit(c, [], [refuse(ListRejectCode.InvalidState, `CancelOrderList: list ${c.listId} was never submitted`)]);
  if (c.cancelRequested) return commit(c, [], [replyOk({ status: c.status })]);
  const requested: ListEvent = {
    type: "OrderListCancelRequested",
    listId: c.listId,
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
    ...(m.reason ? { reason: m.reason } : {}),
  };
  const s = follow(c, commit(c, [requested]), m.nowUs);
  return { context: s.context, emitted: [...s.emitted, replyOk({ status: s.context.status })] };
}

const outcomes = {
  OrderCanceled: LegOutcome.Canceled,
  OrderExpired: LegOutcome.Expired,
  OrderRejected: LegOutcome.Rejected,
  OrderDenied: LegOutcome.Denied,
} as const;

/**
 * An order event of one of the list's legs. Fills are taken by the leg's cumulative quantity and a closed leg
 * stays closed, so an event heard twice (live and again from the stream after a restart) changes nothing.
 */
export function decideLegReport(c: ListContext, r: LegReport): Step {
  const leg = c.legs.findIndex((l) => l.clientOrderId === r.clientOrderId);
  const l = c.legs[leg];
  if (!l?.sent || l.closed) return commit(c, []);
  const events: ListEvent[] = [];
  const base = { listId: c.listId, leg, tsEvent: r.nowUs, tsInit: r.nowUs };
  if (r.type === "OrderFilled" && r.cumQty !== undefined && r.lastPx !== undefined) {
    if (r.cumQty > l.cumQty) events.push({ ...base, type: "OrderListLegFilled", lastPx: asPrice(r.lastPx), cumQty: asQuantity(r.cumQty) });
    if (r.leavesQty === 0)
      events.push({ ...base, type: "OrderListLegClosed", cumQty: asQuantity(r.cumQty), outcome: LegOutcome.Filled, unsent: false });
  } else if (r.type !== "OrderAccepted" && r.type !== "OrderFilled") {
    const why = r.reason && r.message ? `${r.reason}: ${r.message}` : (r.reason ?? r.message);
    events.push({
      ...base,
      type: "OrderListLegClosed",
      cumQty: asQuantity(Math.max(r.cumQty ?? 0, l.cumQty)),
      outcome: outcomes[r.type],
      unsent: false,
      ...(why ? { reason: why.slice(0, 256) } : {}),
    });
  }
  if (events.length === 0) {
    // heard from the leg's order: nothing to journal, but a restored list need not forward it again
    if (l.acked) return commit(c, []);
    const legs = c.legs.slice();
    legs[leg] = { ...l, acked: true };
    return { context: { ...c, legs }, emitted: [] };
  }
  return follow(c, commit(c, events), r.nowUs);
}

export function decideRefused(c: ListContext, f: ForwardRefusedInput): Step {
  if (f.messageType !== "SubmitOrder") return commit(c, []);
  return decideLegReport(c, { type: "OrderDenied", clientOrderId: f.key, reason: f.error.code, message: f.error.message, nowUs: f.nowUs });
}

/** A restored list: cancels its state implies are sent again (CancelOrder of an order already gone changes nothing). */
export function decideResume(c: ListContext, nowUs: number): Step {
  if (c.status !== ListStatus.Working) return commit(c, []);
  return { context: c, emitted: legsToCancel(c).map((i) => cancelOf(c, i, nowUs)) };
}

/** What GetOrderList answers. */
export function listView(c: ListContext): Record<string, unknown> {
  return {
    listId: c.listId,
    status: c.status,
    contingency: c.contingency,
    outcome: c.outcome,
    cancelRequested: c.cancelRequested,
    native: c.native,
    legs: c.legs.map((l, leg) => ({
      leg,
      role: l.role,
      clientOrderId: l.clientOrderId,
      instrument: l.instrument,
      side: l.side,
      orderType: l.orderType,
      quantity: l.quantity,
      cumQty: l.cumQty,
      sent: l.sent,
      closed: l.closed,
      outcome: l.outcome,
    })),
  };
}
