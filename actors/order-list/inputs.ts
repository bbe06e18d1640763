/** What the machine receives: its commands, its legs' order events, refusals of its forwards, its own events. */
import type { Delivered, ForwardRefused } from "../contract/index.ts";
import type {
  CancelOrderList as CancelOrderListMessage,
  GetOrderList as GetOrderListMessage,
  SubmitOrderList as SubmitOrderListMessage,
} from "../domain/index.ts";
import type { ListEvent } from "./evolve.ts";

export type SubmitOrderListInput = SubmitOrderListMessage & Delivered & { type: "SubmitOrderList" };
export type CancelOrderListInput = CancelOrderListMessage & Delivered & { type: "CancelOrderList" };
export type GetOrderListInput = GetOrderListMessage & Delivered & { type: "GetOrderList" };
export type ResumeOrderListInput = Delivered & { type: "ResumeOrderList" };
export type ForwardRefusedInput = ForwardRefused & Delivered;

/** An order event of a leg, reduced to what the list needs (OrderDenied: the risk book refused the leg). */
export interface LegReport {
  type: "OrderAccepted" | "OrderFilled" | "OrderCanceled" | "OrderExpired" | "OrderRejected" | "OrderDenied";
  clientOrderId: string;
  lastPx?: number;
  cumQty?: number;
  leavesQty?: number;
  reason?: string;
  message?: string;
  nowUs: number;
}

/** a journaled event fed back on replay */
export type JournalInput = ListEvent & { nowUs?: number; replay?: boolean };

export type ListInput =
  | SubmitOrderListInput
  | CancelOrderListInput
  | GetOrderListInput
  | ResumeOrderListInput
  | ForwardRefusedInput
  | LegReport
  | JournalInput;
