import { asQuantity, CancelCause, ExecType, type ExecutionReport, ZERO_PRICE, ZERO_QUANTITY } from "../../domain/index.ts";
import type { Emitted } from "../../contract/index.ts";
import type { VenueOrderView } from "./adapter.ts";
import { cancelCommand, forward, refusedAmend, refusedNew, stamp, toAdapter } from "./emit.ts";
import { trackReport, withOrder } from "./evolve.ts";
import { VenueReason } from "./reasons.ts";
import type { LocalOrder } from "./reconcile.ts";
import type { OrderStatusRequest, Outcome, VenueConnectionContext, VenueConnectionInput } from "./state.ts";

/* The venue connection's answers when an order actor asks after its order (FIX's OrderStatusRequest). Pure. */

/**
 * An order actor asks after its order. In the view: the venue's reports reach it as they come, nothing to say.
 * Not in the view once reconciled: the venue does not have it open (what it executed was forwarded by
 * reconciliation), so the order is closed, rejected if the venue never acknowledged it, with the reason.
 */
function answerStatus(c: VenueConnectionContext, q: OrderStatusRequest): Emitted[] {
  if (c.orders[q.clientOrderId]) return [];
  const now = c.nowUs;
  const seq = c.lastVenueSeq;
  const report: ExecutionReport = {
    clientOrderId: q.clientOrderId,
    execId: `recon:${q.clientOrderId}:status:${seq}`,
    execType: q.acknowledged ? ExecType.Canceled : ExecType.Rejected,
    instrument: q.instrument,
    side: q.side,
    lastQty: ZERO_QUANTITY,
    lastPx: ZERO_PRICE,
    cumQty: q.cumQty,
    leavesQty: ZERO_QUANTITY,
    avgPx: ZERO_PRICE,
    fee: 0,
    venueSeq: seq,
    text: q.acknowledged
      ? `${VenueReason.UnknownOrder}: not open at venue ${c.config.venue} after a restart`
      : `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received the order (lost in a restart)`,
    ...stamp(now),
  };
  return [forward(report)];
}

type StatusInput = Extract<VenueConnectionInput, { type: "VenueOrderStatusRequest" }>;
const requestOf = ({ clientOrderId, instrument, side, cumQty, acknowledged }: StatusInput): OrderStatusRequest => ({
  clientOrderId,
  instrument,
  side,
  cumQty,
  acknowledged,
});

/**
 * In `ready`: every order is asked of the venue, whose answer (VenueOrderStatus) settles it. One in the view (its new
 * order, cancel or replace sent, or working): what the order waits for travels with the ask, so that a cancel or
 * replace lost before it reached us is found too. One not in the view: the view let it go once the venue closed it,
 * and the order may have lost what was forwarded (its journal refused the fill, and it restarted): the venue's
 * executions of it go to it again (applied once, by execId) before its close.
 */
export function decideStatus(c: VenueConnectionContext, e: StatusInput): Outcome {
  const o = c.orders[e.clientOrderId];
  const ask = toAdapter(c, { type: "AdapterOrderStatusRequest", venue: c.config.venue, clientOrderId: e.clientOrderId });
  if (!o) return { patch: { statusUnknown: { ...unknownOf(c), [e.clientOrderId]: requestOf(e) } }, emitted: [ask] };
  const amend = e.awaiting === "CANCEL" || e.awaiting === "REPLACE" ? e.awaiting : undefined;
  return {
    patch: amend ? { statusAwaiting: { ...awaitingOf(c), [e.clientOrderId]: amend } } : {},
    emitted: [ask],
  };
}

/** a snapshot saved before the field existed has none */
const awaitingOf = (c: VenueConnectionContext): Record<string, "CANCEL" | "REPLACE"> => c.statusAwaiting ?? {};
const unknownOf = (c: VenueConnectionContext): Record<string, OrderStatusRequest> => c.statusUnknown ?? {};

const amendAnswers: ReadonlySet<string> = new Set([ExecType.Replaced, ExecType.CancelRejected]);
const isFill = (r: ExecutionReport): boolean => r.execType === ExecType.Fill || r.execType === ExecType.PartialFill;
const closes = (r: ExecutionReport): boolean =>
  r.execType === ExecType.Canceled ||
  r.execType === ExecType.Expired ||
  r.execType === ExecType.Rejected ||
  (isFill(r) && r.leavesQty === 0);

/** Closes an order the venue does not have open and remembers no close of: rejected if never acknowledged. */
function closedUnknown(c: VenueConnectionContext, o: LocalOrder): ExecutionReport {
  const never = o.state === "IN_FLIGHT";
  return {
    ...refusedNew(c, { ...o, version: 0 }, VenueReason.UnknownOrder, c.nowUs),
    execId: `status:${c.config.venue}:${o.clientOrderId}:unknown`,
    execType: never ? ExecType.Rejected : ExecType.Canceled,
    text: never
      ? `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received order ${o.clientOrderId}`
      : `${VenueReason.UnknownOrder}: venue ${c.config.venue} no longer has order ${o.clientOrderId} open`,
  };
}

/**
 * The venue's answer about one order in the view. Not open there: its fills and its close go to the order (the
 * close synthesised with the reason when the venue remembers none: rejected if never acknowledged), and it leaves
 * the view. Open: its acknowledgement, fills and last answer to a cancel or replace go to the order (applied once,
 * by execId and state); an answer the venue never gave is settled here: a cancel it never received is sent again,
 * a replace it never received is refused (the order stands on its earlier terms, as at the venue).
 */
export function decideOrderStatus(c: VenueConnectionContext, v: VenueOrderView): Outcome {
  const o = c.orders[v.clientOrderId];
  const { [v.clientOrderId]: awaited, ...restAwaiting } = awaitingOf(c);
  const patch: Partial<VenueConnectionContext> = awaited ? { statusAwaiting: restAwaiting } : {};
  const acks = v.reports.filter((r) => r.execType === ExecType.New);
  const fills = v.reports.filter(isFill);
  if (!o) {
    const { [v.clientOrderId]: asked, ...restUnknown } = unknownOf(c);
    if (!asked) return { patch, emitted: [] };
    return { patch: { ...patch, statusUnknown: restUnknown }, emitted: answerUnknown(c, asked, v, acks, fills) };
  }
  const now = c.nowUs;
  if (!v.open) {
    const close = v.reports.findLast(closes) ?? closedUnknown(c, o);
    const sent = [...acks, ...fills.filter((r) => r !== close), close];
    const { [o.clientOrderId]: _gone, ...orders } = c.orders;
    return { patch: { ...patch, orders }, emitted: sent.map(forward) };
  }
  const lastAmend = v.reports.findLast((r) => amendAnswers.has(r.execType));
  const sent = [...acks, ...fills, ...(lastAmend ? [lastAmend] : [])].sort((a, b) => a.venueSeq - b.venueSeq);
  const emitted = sent.map(forward);
  // the view takes what it lacks: the ack of an order in flight, fills it has not seen, the last amend answer
  let orders = c.orders;
  for (const r of sent) {
    const known = orders[o.clientOrderId];
    if (!known || (isFill(r) && known.execIds.includes(r.execId)) || (r.execType === ExecType.New && known.state !== "IN_FLIGHT")) continue;
    orders = trackReport(orders, r);
  }
  const still = orders[o.clientOrderId];
  if (still && !lastAmend && awaited === "CANCEL") {
    orders = withOrder(orders, { ...still, state: "PENDING_CANCEL" });
    emitted.push(toAdapter(c, { ...cancelCommand(still, now), cause: CancelCause.User }));
  } else if (still && !lastAmend && awaited === "REPLACE") {
    orders = withOrder(orders, { ...still, state: "OPEN" });
    emitted.push(
      forward({
        ...refusedAmend(c, { ...still, cause: CancelCause.User, tsEvent: now, tsInit: now }, VenueReason.UnknownOrder, now),
        execId: `status:${c.config.venue}:${o.clientOrderId}:replace:${now}`,
        text: `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received the replace; the order stands on its earlier terms`,
      }),
    );
  }
  return { patch: { ...patch, orders }, emitted };
}

/**
 * The venue's answer about an order not in the view: its acknowledgement and fills, then its close: the venue's, or
 * one made here as before (with the quantity the venue filled) when the venue remembers none. Open there (the view
 * lost it): its reports only; the venue's next ones reach the order as they come.
 */
function answerUnknown(
  c: VenueConnectionContext,
  asked: OrderStatusRequest,
  v: VenueOrderView,
  acks: ExecutionReport[],
  fills: ExecutionReport[],
): Emitted[] {
  const close = v.open ? undefined : v.reports.findLast(closes);
  const sent = [...acks, ...fills.filter((r) => r !== close), ...(close ? [close] : [])].map(forward);
  if (v.open || close) return sent;
  const filled = fills.at(-1)?.cumQty ?? ZERO_QUANTITY;
  const answer = fills.length ? { ...asked, acknowledged: true, cumQty: asQuantity(Math.max(filled, asked.cumQty)) } : asked;
  return [...sent, ...answerStatus(c, answer)];
}

/** Before the session is reconciled: held, so that reconciliation's reports go first. */
export const holdStatus = (c: VenueConnectionContext, e: StatusInput): Outcome => ({
  patch: { statusRequests: [...c.statusRequests.filter((q) => q.clientOrderId !== e.clientOrderId), requestOf(e)] },
  emitted: [],
});

/** Entering `ready`: the held requests, answered against the reconciled view. */
export const answerHeldStatus = (c: VenueConnectionContext): Outcome =>
  c.statusRequests.length === 0
    ? { patch: {}, emitted: [] }
    : { patch: { statusRequests: [] }, emitted: c.statusRequests.flatMap((q) => answerStatus(c, q)) };
