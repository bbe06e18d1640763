import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { nativeListLeg } from "./order-list.ts";
import { instrumentId, stamped, orderType, positivePrice, positiveQuantity, side, timeInForce } from "./schemas.ts";

/** The command that opens an order; strategies and the gateway send it, the risk book checks it first. */
export const SubmitOrder = defineMessage(
  "SubmitOrder",
  1,
  z
    .object({
      clientOrderId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "1-64 of A-Z a-z 0-9 . _ : -"),
      instrument: instrumentId,
      side,
      orderType,
      quantity: positiveQuantity,
      /** limit price: required for LIMIT and STOP_LIMIT */
      price: positivePrice.optional(),
      /** trigger price: required for STOP and STOP_LIMIT */
      stopPrice: positivePrice.optional(),
      timeInForce,
      /** for GTD: expiry in microseconds since the epoch */
      expireAtUs: z.number().int().positive().optional(),
      postOnly: z.boolean().default(false),
      reduceOnly: z.boolean().default(false),
      strategy: z.string().min(1).max(64),
      book: z.string().min(1).max(64),
      /** sent again by the risk book until the order answers: an existing order takes it as already done */
      redelivered: z.boolean().optional(),
      /** a leg of an order list its venue holds natively */
      list: nativeListLeg.optional(),
      ...stamped,
    })
    .superRefine((o, ctx) => {
      const needsPrice = o.orderType === "LIMIT" || o.orderType === "STOP_LIMIT";
      const needsStop = o.orderType === "STOP" || o.orderType === "STOP_LIMIT";
      if (needsPrice && o.price === undefined) ctx.addIssue({ code: "custom", path: ["price"], message: `required for ${o.orderType}` });
      if (!needsPrice && o.price !== undefined)
        ctx.addIssue({ code: "custom", path: ["price"], message: `not allowed for ${o.orderType}` });
      if (needsStop && o.stopPrice === undefined)
        ctx.addIssue({ code: "custom", path: ["stopPrice"], message: `required for ${o.orderType}` });
      if (!needsStop && o.stopPrice !== undefined)
        ctx.addIssue({ code: "custom", path: ["stopPrice"], message: `not allowed for ${o.orderType}` });
      if (o.timeInForce === "GTD" && o.expireAtUs === undefined)
        ctx.addIssue({ code: "custom", path: ["expireAtUs"], message: "required for GTD" });
      if (o.postOnly && o.orderType !== "LIMIT") ctx.addIssue({ code: "custom", path: ["postOnly"], message: "only for LIMIT orders" });
    }),
  "Open a new order.",
);
export type SubmitOrder = MessageOf<typeof SubmitOrder>;

export const CancelOrder = defineMessage(
  "CancelOrder",
  1,
  z.object({ clientOrderId: z.string().min(1).max(64), ...stamped }),
  "Cancel an open order.",
);
export type CancelOrder = MessageOf<typeof CancelOrder>;

export const ReplaceOrder = defineMessage(
  "ReplaceOrder",
  1,
  z.object({
    clientOrderId: z.string().min(1).max(64),
    quantity: positiveQuantity.optional(),
    price: positivePrice.optional(),
    stopPrice: positivePrice.optional(),
    ...stamped,
  }),
  "Change quantity or prices of an open order (cancel/replace).",
);
export type ReplaceOrder = MessageOf<typeof ReplaceOrder>;

export const GetOrder = defineMessage(
  "GetOrder",
  1,
  z.object({ clientOrderId: z.string().min(1).max(64), ...stamped }),
  "The order's current state (request/reply to its order actor; a closed order's actor has retired: ask the history).",
);
export type GetOrder = MessageOf<typeof GetOrder>;

export const ResumeOrder = defineMessage(
  "ResumeOrder",
  1,
  z.object({}),
  "To an order entity restored from its journal, or whose process's NATS connection came back: reports sent meanwhile may be lost, so an order open at the venue asks it for its status.",
);
export type ResumeOrder = MessageOf<typeof ResumeOrder>;
