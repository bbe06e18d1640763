import type {
  CancelOrder,
  ExecutionReport,
  OrderEvent,
  Quote,
  ReplaceOrder,
  Side,
  SubmitOrder,
  Trade,
  VenueCancelOrder,
  VenueNewOrder,
  VenueReplaceOrder,
} from "../domain/index.ts";
import type { ReplyError } from "../contract/index.ts";
import { evolve } from "./evolve.ts";
import { OrdStatus, type OrderState, workingStatus } from "./order-state.ts";
import type { OrderReason } from "./reasons.ts";

/*
 * What every decision of the order actor speaks: the inputs it is given, the venue commands and replies it
 * produces, and the two ways a decision ends (a refusal with its reason, or events folded into the reply).
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

/** FIX's OrderStatusRequest to the venue connection (VenueOrderStatusRequest, defined by actors/venue). */
export type VenueStatusRequest = {
  type: "VenueOrderStatusRequest";
  clientOrderId: string;
  instrument: string;
  side: Side;
  cumQty: number;
  /** the venue had acknowledged the order */
  acknowledged: boolean;
  /** what the order waits for the venue to answer */
  awaiting?: "NEW" | "CANCEL" | "REPLACE";
  tsEvent: number;
  tsInit: number;
};

export type VenueCommand =
  | ({ type: "VenueNewOrder" } & VenueNewOrder)
  | ({ type: "VenueCancelOrder" } & VenueCancelOrder)
  | ({ type: "VenueReplaceOrder" } & VenueReplaceOrder)
  | VenueStatusRequest;

export type OrderReply =
  | { type: "reply"; ok: true; result: { clientOrderId: string; status: OrdStatus; note?: string } }
  | { type: "reply"; ok: false; error: ReplyError };

export interface Decision {
  events: OrderEvent[];
  commands: VenueCommand[];
  reply?: OrderReply;
}

/** Builds the SubmitOrder machine event from the command message. */
export function submitInput(cmd: SubmitOrder, nowUs: number): SubmitOrderInput {
  return { ...cmd, type: "SubmitOrder", nowUs };
}

export const refuse = (code: OrderReason, message: string): Decision => ({
  events: [],
  commands: [],
  reply: { type: "reply", ok: false, error: { code, message } },
});
export const ok = (o: OrderState, note?: string): OrderReply => ({
  type: "reply",
  ok: true,
  result: { clientOrderId: o.clientOrderId, status: o.status, ...(note ? { note } : {}) },
});

/** REPLACED is a transition, not a resting state: the order continues as NEW or PARTIALLY_FILLED. */
export const settleReplaced = (o: OrderState): OrderState => (o.status === OrdStatus.Replaced ? { ...o, status: workingStatus(o) } : o);

export function fold(o: OrderState | null, events: readonly OrderEvent[]): OrderState | null {
  let s = o;
  for (const e of events) s = evolve(s, e);
  return s;
}

/** Events and commands of a decision, with the reply showing the order as the events leave it. */
export function finish(o: OrderState | null, events: OrderEvent[], commands: VenueCommand[]): Decision {
  const after = fold(o, events);
  return { events, commands, ...(after ? { reply: ok(settleReplaced(after)) } : {}) };
}
