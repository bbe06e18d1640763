import { z } from "zod";
import { schema } from "../../domain/index.ts";
import { defineMessage, type MessageOf } from "../../contract/index.ts";

/**
 * An order actor restored after a restart asks its venue connection what became of its order (FIX's
 * OrderStatusRequest): reports sent to it while it was down are lost, and it must not stay open forever.
 */
export const VenueOrderStatusRequest = defineMessage(
  "VenueOrderStatusRequest",
  1,
  z.object({
    clientOrderId: z.string().min(1).max(64),
    instrument: z.string().min(1),
    side: schema.side,
    cumQty: schema.nonNegativeQuantity,
    /** the venue had acknowledged the order */
    acknowledged: z.boolean(),
    /** what the order waits for the venue to answer: its new order, its cancel or its replace */
    awaiting: z.enum(["NEW", "CANCEL", "REPLACE"]).optional(),
    ...schema.stamped,
  }),
  "What became of an order: answered with the venue's reports, or a close with the reason when the venue does not know it.",
);
export type VenueOrderStatusRequest = MessageOf<typeof VenueOrderStatusRequest>;
