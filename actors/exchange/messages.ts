import { z } from "zod";
import { ExecutionReport, schema } from "../domain/index.ts";
import { defineMessage, type MessageOf } from "../contract/index.ts";

/**
 * The adapter's answers to a venue connection (am.cmd.venue.<venue>), as wire messages. The connection machine
 * declares them as events (actors/venue/connection/adapter.ts); these schemas let the codec carry and check them.
 */
export const AdapterLoggedOn = defineMessage(
  "AdapterLoggedOn",
  1,
  z.object({ venue: z.string().min(1).max(32) }),
  "The venue session is open (transport and logon).",
);
export type AdapterLoggedOn = MessageOf<typeof AdapterLoggedOn>;

export const AdapterConnectFailed = defineMessage(
  "AdapterConnectFailed",
  1,
  z.object({ venue: z.string().min(1).max(32), reason: z.string().max(256) }),
  "The venue session could not be opened.",
);
export type AdapterConnectFailed = MessageOf<typeof AdapterConnectFailed>;

export const AdapterDisconnected = defineMessage(
  "AdapterDisconnected",
  1,
  z.object({ venue: z.string().min(1).max(32), reason: z.string().max(256) }),
  "The venue session dropped, or a command arrived at a venue that holds no session for it.",
);
export type AdapterDisconnected = MessageOf<typeof AdapterDisconnected>;

const openOrder = z.object({
  clientOrderId: z.string().min(1).max(64),
  venueOrderId: z.string().min(1).max(64),
  instrument: schema.instrumentId,
  side: schema.side,
  quantity: schema.positiveQuantity,
  cumQty: schema.nonNegativeQuantity,
  leavesQty: schema.nonNegativeQuantity,
  price: schema.positivePrice.optional(),
});

export const VenueStateSnapshot = defineMessage(
  "VenueStateSnapshot",
  1,
  z.object({
    venue: z.string().min(1).max(32),
    openOrders: z.array(openOrder),
    /** every execution after the sinceSeq of the request, in venue sequence order */
    executions: z.array(ExecutionReport.schema),
  }),
  "The venue's open orders and executions after a sequence: the answer to AdapterRequestState.",
);
export type VenueStateSnapshot = MessageOf<typeof VenueStateSnapshot>;

export const VenueOrderStatus = defineMessage(
  "VenueOrderStatus",
  1,
  z.object({
    venue: z.string().min(1).max(32),
    clientOrderId: z.string().min(1).max(64),
    /** the order is open at the venue (resting, or accepted and not yet closed) */
    open: z.boolean(),
    /** the order's executions the venue still remembers, in venue sequence order; none: the venue does not know it */
    reports: z.array(ExecutionReport.schema),
  }),
  "The venue's answer about one order: the answer to AdapterOrderStatusRequest.",
);
export type VenueOrderStatus = MessageOf<typeof VenueOrderStatus>;
