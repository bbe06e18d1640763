import {
  type CancelCause,
  CancelCause as Cause,
  type CancelOrder,
  ExecType,
  type ExecutionReport,
  type OrderEvent,
  OrderType,
  type Quote,
  type ReplaceOrder,
  type ReplyError,
  type SubmitOrder,
  TimeInForce,
  type Trade,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../domain/index.ts";
import { routeOrder, type VenueCapabilities } from "./capabilities.ts";
import { addFill } from "./fill.ts";
import { evolve, isTerminal, OrdStatus, type OrderState, workingStatus } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/*
 * The decision half of the order actor: given the journaled state and one input, which domain events happen,
 * which venue commands go out, and what the sender is told. Pure; the machine applies the events with `evolve`.
 */

type Delivered<T> = T & { nowUs: number };
/** SubmitOrder as a machine event: its order type travels as `orderType`, since `type` names the event. */
export type SubmitOrderInput = Delivered<SubmitOrder & { type: "SubmitOrder" }>;
export type CancelOrderInput = Delivered<CancelOrder & { type: "CancelOrder" }>;
export type ReplaceOrderInput = Delivered<ReplaceOrder & { type: "ReplaceOrder" }>;
export type ExecutionReportInput = Delivered<ExecutionReport & { type: "ExecutionReport" }>;
export type QuoteInput = Delivered<Quote & { type: "Quote" }>;
export type TradeInput = Delivered<Trade & { type: "Trade" }>;
export type OrderCommandInput = SubmitOrderInput | CancelOrderInput | ReplaceOrderInput | ExecutionReportInput | QuoteInput | TradeInput;

export type VenueCommand =
  | ({ type: "VenueNewOrder" } & VenueNewOrder)
  | ({ type: "VenueCancelOrder" } & VenueCancelOrder)
  | ({ type: "VenueReplaceOrder" } & VenueReplaceOrder);

export type OrderReply = { type: "reply"; ok: true; result: { clientOrderId: string; status: OrdStatus; note?: string } } | { type: "reply"; ok: false; error: ReplyError };

export interface Decision {
  events: OrderEvent[];
  commands: VenueCommand[];
  reply?: OrderReply;
}

/** Builds the SubmitOrder machine event from the command message. */
export function submitInput(cmd: SubmitOrder, nowUs: number): SubmitOrderInput {
  return { ...cmd, type: "SubmitOrder", nowUs };
}

const refuse = (code: OrderReason, message: string): Decision => ({ events: [], commands: [], reply: { type: "reply", ok: false, error: { code, message } } });
const ok = (o: OrderState, note?: string): OrderReply => ({ type: "reply", ok: true, result: { clientOrderId: o.clientOrderId, status: o.status, ...(note ? { note } : {}) } });

/** REPLACED is a transition, not a resting state: the order continues as NEW or PARTIALLY_FILLED. */
export const settleReplaced = (o: OrderState): OrderState => (o.status === OrdStatus.Replaced ? { ...o, status: workingStatus(o) } : o);

export function fold(o: OrderState | null, events: readonly OrderEvent[]): OrderState | null {
  let s = o;
  for (const e of events) s = evolve(s, e);
  return s;
}

function finish(o: OrderState | null, events: OrderEvent[], commands: VenueCommand[]): Decision {
  const after = fold(o, events);
  return { events, commands, ...(after ? { reply: ok(settleReplaced(after)) } : {}) };
}

/** Closed orders and orders already waiting on the venue refuse cancel and replace, with the reason. */
function amendable(o: OrderState | null, what: string): Decision | OrderState {
  if (o === null) return refuse(OrderReason.UnknownOrder, `${what}: no order was submitted under this clientOrderId`);
  if (isTerminal(o.status)) return refuse(OrderReason.OrderClosed, `${what}: order ${o.clientOrderId} is ${o.status}`);
  if (o.status === OrdStatus.PendingCancel) return refuse(OrderReason.CancelPending, `${what}: order ${o.clientOrderId} has a cancel pending`);
  if (o.status === OrdStatus.PendingReplace) return refuse(OrderReason.ReplacePending, `${what}: order ${o.clientOrderId} has a replace pending`);
  return o;
}

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

export function decideSubmit(o: OrderState | null, cmd: SubmitOrderInput, caps: VenueCapabilities): Decision {
  if (o !== null) {
    // the risk book sending an approved order again (it did not hear the answer) gets the order as it is
    const differs = cmd.redelivered ? undefined : differingTerm(o, cmd);
    if (differs) return refuse(OrderReason.ClientOrderIdReused, `clientOrderId ${cmd.clientOrderId} already names another order: ${differs}`);
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

function newOrderCommand(o: OrderState, orderType: OrderType, nowUs: number): VenueCommand {
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
        : { type: "OrderCancelled", clientOrderId: a.clientOrderId, cause, cumQty: a.cumQty, ...stamp };
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
  if (cmd.price !== undefined && !hasPrice) return refuse(OrderReason.ReplaceFieldNotAllowed, `price: a ${a.orderType} order has no limit price`);
  if (cmd.stopPrice !== undefined && !hasStop) return refuse(OrderReason.ReplaceFieldNotAllowed, `stopPrice: order ${a.clientOrderId} has no untriggered stop`);
  const quantity = cmd.quantity ?? a.quantity;
  if (quantity <= a.cumQty) return refuse(OrderReason.ReplaceBelowFilled, `quantity: ${quantity} must be above the filled ${a.cumQty}`);
  const price = cmd.price ?? a.price;
  const stopPrice = cmd.stopPrice ?? a.stopPrice;
  if (quantity === a.quantity && price === a.price && stopPrice === a.stopPrice) {
    return refuse(OrderReason.ReplaceNoChange, "replace: quantity, price and stopPrice are unchanged");
  }
  const stamp = { tsEvent: cmd.nowUs, tsInit: cmd.nowUs };
  const terms = { version: a.version + 1, quantity, ...(price !== undefined ? { price } : {}), ...(stopPrice !== undefined ? { stopPrice } : {}) };
  const pending: OrderEvent = { type: "OrderReplacePending", clientOrderId: a.clientOrderId, ...terms, ...stamp };
  if (heldLocally(a)) {
    const replaced: OrderEvent = { type: "OrderReplaced", clientOrderId: a.clientOrderId, ...terms, leavesQty: quantity - a.cumQty, ...stamp };
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

export function decideReport(o: OrderState | null, r: ExecutionReportInput): Decision {
  if (o === null) return refuse(OrderReason.UnknownOrder, `execution report ${r.execId}: no order ${r.clientOrderId}`);
  if (r.clientOrderId !== o.clientOrderId || r.instrument !== o.instrument || r.side !== o.side) {
    return refuse(OrderReason.ReportMismatch, `execution report ${r.execId}: ${r.clientOrderId} ${r.side} ${r.instrument} is not order ${o.clientOrderId} ${o.side} ${o.instrument}`);
  }
  const stamp = { tsEvent: r.tsEvent, tsInit: r.nowUs };
  const id = o.clientOrderId;
  const invalid = () => refuse(OrderReason.InvalidTransition, `execution report ${r.execId}: ${r.execType} does not apply to an order in ${o.status}`);
  const ignored = (note: string): Decision => ({ events: [], commands: [], reply: ok(o, note) });
  const unacked = o.atVenue && !o.acked;
  const accepted = (): OrderEvent => ({ type: "OrderAccepted", clientOrderId: id, ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}), local: false, ...stamp });
  switch (r.execType) {
    case ExecType.PartialFill:
    case ExecType.Fill: {
      if (o.execIds.includes(r.execId)) return ignored(`duplicate execId ${r.execId}`);
      if (isTerminal(o.status)) return refuse(OrderReason.OrderClosed, `fill ${r.execId}: order ${id} is ${o.status}`);
      if (!o.atVenue) return invalid();
      if (o.cumQty + r.lastQty > o.quantity) {
        return refuse(OrderReason.Overfill, `fill ${r.execId}: lastQty ${r.lastQty} on cumQty ${o.cumQty} exceeds quantity ${o.quantity}`);
      }
      const t = addFill(o, r.lastQty, r.lastPx);
      const filled: OrderEvent = {
        type: "OrderFilled",
        clientOrderId: id,
        ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
        execId: r.execId,
        side: o.side,
        lastQty: r.lastQty,
        lastPx: r.lastPx,
        fee: r.fee,
        liquidity: r.liquidity ?? "TAKER",
        cumQty: t.cumQty,
        leavesQty: o.quantity - t.cumQty,
        avgPx: t.avgPx,
        venueSeq: r.venueSeq,
        ...stamp,
      };
      // A fill before the ack acknowledges the order implicitly (venues may skip the New report).
      return finish(o, unacked ? [accepted(), filled] : [filled], []);
    }
    case ExecType.New:
      if (unacked && !isTerminal(o.status)) return finish(o, [accepted()], []);
      if (o.acked && !isTerminal(o.status)) return ignored("duplicate acknowledgement");
      return invalid();
    case ExecType.Rejected:
      if (unacked && !isTerminal(o.status)) {
        return finish(o, [{ type: "OrderRejected", clientOrderId: id, reason: OrderReason.VenueRejected, message: r.text ?? "rejected by the venue", ...stamp }], []);
      }
      return invalid();
    case ExecType.Canceled:
      if (o.status === OrdStatus.Cancelled) return ignored("already cancelled");
      if (isTerminal(o.status) || !o.atVenue) return invalid();
      if (o.cancelCause === Cause.Expired) return finish(o, [{ type: "OrderExpired", clientOrderId: id, cumQty: o.cumQty, ...stamp }], []);
      return finish(o, [{ type: "OrderCancelled", clientOrderId: id, cause: o.cancelCause ?? Cause.Venue, cumQty: o.cumQty, ...stamp }], []);
    case ExecType.Expired:
      if (o.status === OrdStatus.Expired) return ignored("already expired");
      if (isTerminal(o.status) || !o.atVenue) return invalid();
      return finish(o, [{ type: "OrderExpired", clientOrderId: id, cumQty: o.cumQty, ...stamp }], []);
    case ExecType.PendingCancel:
      if (o.status === OrdStatus.PendingCancel) return ignored("cancel already pending");
      if ((o.status === OrdStatus.New || o.status === OrdStatus.PartiallyFilled) && o.atVenue) {
        return finish(o, [{ type: "OrderCancelPending", clientOrderId: id, cause: Cause.Venue, ...stamp }], []);
      }
      return invalid();
    case ExecType.PendingReplace:
      return o.status === OrdStatus.PendingReplace ? ignored("replace already pending") : invalid();
    case ExecType.Replaced: {
      const p = o.pendingReplace;
      if (o.status !== OrdStatus.PendingReplace || p === undefined) return invalid();
      const quantity = r.quantity ?? p.quantity;
      if (quantity <= o.cumQty) return refuse(OrderReason.InvalidTransition, `replace ${r.execId}: quantity ${quantity} is not above the filled ${o.cumQty}`);
      const price = r.price ?? p.price;
      const stopPrice = r.stopPrice ?? p.stopPrice;
      return finish(
        o,
        [
          {
            type: "OrderReplaced",
            clientOrderId: id,
            ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
            version: p.version,
            quantity,
            ...(price !== undefined ? { price } : {}),
            ...(stopPrice !== undefined ? { stopPrice } : {}),
            leavesQty: quantity - o.cumQty,
            ...stamp,
          },
        ],
        [],
      );
    }
    case ExecType.CancelRejected:
      if (o.status === OrdStatus.PendingCancel || o.status === OrdStatus.PendingReplace) {
        const request = o.status === OrdStatus.PendingCancel ? "CANCEL" : "REPLACE";
        return finish(o, [{ type: "OrderCancelRejected", clientOrderId: id, request, reason: r.text ?? "refused by the venue", ...stamp }], []);
      }
      // A late answer to a request that a fill or cancel overtook.
      if (isTerminal(o.status)) return ignored(`cancel reject after ${o.status}`);
      return invalid();
  }
}

/** The price an emulated stop compares with its trigger: last trade, or the side of the quote it would take. */
function triggerPrice(o: OrderState, input: QuoteInput | TradeInput): number {
  if (input.type === "Trade") return input.price;
  return o.side === "BUY" ? input.ask : input.bid;
}

export function decideMarketData(o: OrderState | null, input: QuoteInput | TradeInput): Decision {
  if (o === null || !o.emulatedStop || o.triggered || o.status !== OrdStatus.New || input.instrument !== o.instrument || o.stopPrice === undefined) {
    return { events: [], commands: [] };
  }
  const px = triggerPrice(o, input);
  const crossed = o.side === "BUY" ? px >= o.stopPrice : px <= o.stopPrice;
  if (!crossed) return { events: [], commands: [] };
  const venueType = o.orderType === OrderType.StopLimit ? OrderType.Limit : OrderType.Market;
  const stamp = { tsEvent: input.tsEvent, tsInit: input.nowUs };
  return {
    events: [{ type: "OrderTriggered", clientOrderId: o.clientOrderId, triggerPx: px, venueType, ...stamp }],
    commands: [newOrderCommand(o, venueType, input.nowUs)],
  };
}

/** Whether a locally enforced GTD expiry is due and can act now (not while a cancel or replace is pending). */
export function expiryDue(o: OrderState | null, nowUs: number): o is OrderState {
  return (
    o?.emulatedGtd === true &&
    o.expireAtUs !== undefined &&
    nowUs >= o.expireAtUs &&
    (o.status === OrdStatus.PendingNew || o.status === OrdStatus.New || o.status === OrdStatus.PartiallyFilled)
  );
}

/** A local GTD expiry: a held stop expires at once; an order at the venue is cancelled with cause EXPIRED. */
export function decideExpiry(o: OrderState | null, nowUs: number): Decision {
  if (!expiryDue(o, nowUs)) return { events: [], commands: [] };
  const d = decideCancel(o, { nowUs }, Cause.Expired);
  const { reply: _r, ...rest } = d;
  return rest;
}

/** One delivered input: first any due local expiry (on the delivered clock), then the input itself. */
export function decide(o: OrderState | null, input: OrderCommandInput, caps: VenueCapabilities): Decision {
  const exp = decideExpiry(o, input.nowUs);
  const base = exp.events.length > 0 ? settleReplaced(fold(o, exp.events)!) : o;
  let main: Decision;
  switch (input.type) {
    case "SubmitOrder":
      main = decideSubmit(base, input, caps);
      break;
    case "CancelOrder":
      main = decideCancel(base, input);
      break;
    case "ReplaceOrder":
      main = decideReplace(base, input);
      break;
    case "ExecutionReport":
      main = decideReport(base, input);
      break;
    case "Quote":
    case "Trade":
      main = decideMarketData(base, input);
      break;
  }
  if (exp.events.length === 0) return main;
  return { events: [...exp.events, ...main.events], commands: [...exp.commands, ...main.commands], ...(main.reply ? { reply: main.reply } : {}) };
}

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
  if (o === null) return { type: "reply", ok: false, error: { code: OrderReason.UnknownOrder, message: `clientOrderId ${clientOrderId}: no order was submitted under this id` } };
  return { type: "reply", ok: true, result: orderView(o) };
}
