import { z } from "zod";
import type { ExecutionReport, Price, Quantity, Side } from "../../domain/index.ts";
import { defineMessage, type MessageOf } from "../../contract/index.ts";

/**
 * What a venue connection expects of its adapter (the simulated exchange in-process, or a FIX session). The
 * machine asks through messages published on am.cmd.venue-adapter.<venue>; the adapter answers with the events
 * below, delivered to the machine by the runtime.
 */
export interface VenueOpenOrder {
  clientOrderId: string;
  venueOrderId: string;
  instrument: string;
  side: Side;
  quantity: Quantity;
  cumQty: Quantity;
  leavesQty: Quantity;
  price?: Price;
}

/** The venue's view after a (re)connect: its open orders and every execution after `sinceSeq`. */
export interface VenueView {
  openOrders: readonly VenueOpenOrder[];
  executions: readonly ExecutionReport[];
}

/** The venue's answer about one order: open there or not, and its executions the venue still remembers. */
export interface VenueOrderView {
  clientOrderId: string;
  open: boolean;
  reports: readonly ExecutionReport[];
}

export type AdapterEvent =
  | { type: "AdapterLoggedOn"; nowUs: number }
  | { type: "AdapterConnectFailed"; reason: string; nowUs: number }
  | { type: "AdapterDisconnected"; reason: string; nowUs: number }
  | ({ type: "VenueStateSnapshot"; nowUs: number } & VenueView)
  | ({ type: "VenueOrderStatus"; nowUs: number } & VenueOrderView);

/** The port an adapter implements; the runtime calls it when the machine publishes the matching message. */
export interface VenueAdapter {
  connect(): void;
  disconnect(reason: string): void;
  requestState(sinceSeq: number): void;
  requestOrderStatus(clientOrderId: string): void;
  send(command: { type: "VenueNewOrder" | "VenueCancelOrder" | "VenueReplaceOrder"; clientOrderId: string }): void;
}

export const AdapterConnect = defineMessage(
  "AdapterConnect",
  1,
  z.object({ venue: z.string() }),
  "Open the venue session (transport and logon).",
);
export type AdapterConnect = MessageOf<typeof AdapterConnect>;
export const AdapterDisconnect = defineMessage(
  "AdapterDisconnect",
  1,
  z.object({ venue: z.string(), reason: z.string() }),
  "Close the venue session.",
);
export type AdapterDisconnect = MessageOf<typeof AdapterDisconnect>;
export const AdapterRequestState = defineMessage(
  "AdapterRequestState",
  1,
  z.object({ venue: z.string(), sinceSeq: z.number().int().nonnegative() }),
  "Ask the venue for its open orders and the executions after sinceSeq (answered by VenueStateSnapshot).",
);
export type AdapterRequestState = MessageOf<typeof AdapterRequestState>;

export const AdapterOrderStatusRequest = defineMessage(
  "AdapterOrderStatusRequest",
  1,
  z.object({ venue: z.string(), clientOrderId: z.string().min(1).max(64) }),
  "Ask the venue about one order (FIX OrderStatusRequest): answered by VenueOrderStatus.",
);
export type AdapterOrderStatusRequest = MessageOf<typeof AdapterOrderStatusRequest>;
