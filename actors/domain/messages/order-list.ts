import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { instrumentId, nonNegativeQuantity, orderType, positivePrice, positiveQuantity, side, stamped, timeInForce } from "./schemas.ts";

/**
 * Contingent orders: commands to an order list on am.cmd.order-list.<listId> (request/reply), and the events it
 * journals on am.evt.order-list.<listId>.<Event>. Each leg becomes an ordinary order (`list.<listId>.<leg>`) sent
 * through the risk book. Quantities and prices are 1e-8 units (fixed.ts).
 */
/** A list id: one subject token, and short enough that its legs' order ids (`list.<listId>.<leg>`) fit 64 characters. */
export const orderListId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "1-40 of A-Z a-z 0-9 _ -");
const listId = orderListId;
const leg = z.number().int().min(0).max(9);
const reason = z.string().max(256).optional();

export const Contingency = { Oco: "OCO", Oto: "OTO", Bracket: "BRACKET" } as const;
export type Contingency = (typeof Contingency)[keyof typeof Contingency];

/** What a leg is for: its place in the contingency decides when it is sent and what its fill does to the others. */
export const LegRole = {
  /** OCO member: its first fill cancels the other members */
  Member: "MEMBER",
  /** OTO primary: its fill sends the secondaries */
  Primary: "PRIMARY",
  Secondary: "SECONDARY",
  /** bracket entry: its fill sends both exits, sized to what it filled */
  Entry: "ENTRY",
  TakeProfit: "TAKE_PROFIT",
  StopLoss: "STOP_LOSS",
} as const;
export type LegRole = (typeof LegRole)[keyof typeof LegRole];

const legTermsShape = {
  instrument: instrumentId,
  side,
  orderType,
  quantity: positiveQuantity,
  /** limit price: required for LIMIT and STOP_LIMIT */
  price: positivePrice.optional(),
  /** trigger price: required for STOP and STOP_LIMIT */
  stopPrice: positivePrice.optional(),
  timeInForce,
  expireAtUs: z.number().int().positive().optional(),
  postOnly: z.boolean().default(false),
  reduceOnly: z.boolean().default(false),
};
type LegShape = { orderType: string; price?: unknown; stopPrice?: unknown; timeInForce: string; expireAtUs?: unknown; postOnly: boolean };

/** The checks SubmitOrder makes on one order, for a leg at `path` (the error names the leg's field). */
function checkLeg(o: LegShape, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const needsPrice = o.orderType === "LIMIT" || o.orderType === "STOP_LIMIT";
  const needsStop = o.orderType === "STOP" || o.orderType === "STOP_LIMIT";
  const issue = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [...path, field], message });
  if (needsPrice !== (o.price !== undefined)) issue("price", `${needsPrice ? "required" : "not allowed"} for ${o.orderType}`);
  if (needsStop !== (o.stopPrice !== undefined)) issue("stopPrice", `${needsStop ? "required" : "not allowed"} for ${o.orderType}`);
  if (o.timeInForce === "GTD" && o.expireAtUs === undefined) issue("expireAtUs", "required for GTD");
  if (o.postOnly && o.orderType !== "LIMIT") issue("postOnly", "only for LIMIT orders");
}

export const legTerms = z.object(legTermsShape);
export type LegTerms = z.output<typeof legTerms>;

const owner = {
  book: z.string().min(1).max(64),
  /** the owner the legs carry as their strategy */
  strategy: z.string().min(1).max(64),
};

export const SubmitOrderList = defineMessage(
  "SubmitOrderList",
  1,
  z
    .discriminatedUnion("contingency", [
      z.object({
        contingency: z.literal(Contingency.Oco),
        /** two to ten orders; the first fill of one (partial or full) cancels the others */
        orders: z.array(legTerms).min(2).max(10),
        ...owner,
        ...stamped,
      }),
      z.object({
        contingency: z.literal(Contingency.Oto),
        primary: legTerms,
        /** sent once the primary fills: in full, or at its first fill when triggerOnPartial */
        secondaries: z.array(legTerms).min(1).max(9),
        triggerOnPartial: z.boolean().default(false),
        ...owner,
        ...stamped,
      }),
      z.object({
        contingency: z.literal(Contingency.Bracket),
        entry: legTerms,
        /** LIMIT exit at this price, GTC, opposite side, sized to the entry's filled quantity */
        takeProfitPrice: positivePrice,
        /** STOP exit triggered at this price (STOP_LIMIT when stopLossLimitPrice is given), GTC */
        stopLossPrice: positivePrice,
        stopLossLimitPrice: positivePrice.optional(),
        ...owner,
        ...stamped,
      }),
    ])
    .superRefine((m, ctx) => {
      const legs: [LegShape, (string | number)[]][] = m.contingency === "OCO" ? m.orders.map((o, i) => [o, ["orders", i]]) : [];
      if (m.contingency === "OTO") {
        legs.push([m.primary, ["primary"]]);
        for (const [i, o] of m.secondaries.entries()) legs.push([o, ["secondaries", i]]);
      }
      if (m.contingency === "BRACKET") {
        legs.push([m.entry, ["entry"]]);
        const buying = m.entry.side === "BUY";
        // a take-profit below (buy) or above (sell) the stop-loss would exit at a loss on both sides
        if (buying ? m.takeProfitPrice <= m.stopLossPrice : m.takeProfitPrice >= m.stopLossPrice)
          ctx.addIssue({
            code: "custom",
            path: ["takeProfitPrice"],
            message: `must be ${buying ? "above" : "below"} stopLossPrice for a ${m.entry.side} entry`,
          });
      }
      for (const [o, path] of legs) checkLeg(o, ctx, path);
    }),
  "Submit a contingent order list (OCO, OTO or bracket); each leg goes through the risk book as an order.",
);
export type SubmitOrderList = MessageOf<typeof SubmitOrderList>;

export const CancelOrderList = defineMessage(
  "CancelOrderList",
  1,
  z.object({ reason, ...stamped }),
  "Cancel the list: its working legs are canceled and legs not sent yet never are.",
);
export type CancelOrderList = MessageOf<typeof CancelOrderList>;

export const GetOrderList = defineMessage(
  "GetOrderList",
  1,
  z.object({ ...stamped }),
  "The list's status and each leg's order id, role, quantity, fills and outcome (request/reply).",
);
export type GetOrderList = MessageOf<typeof GetOrderList>;

export const ResumeOrderList = defineMessage(
  "ResumeOrderList",
  1,
  z.object({}),
  "To an order list restored from its journal: cancels its state implies but that may have died with the old process are sent again.",
);
export type ResumeOrderList = MessageOf<typeof ResumeOrderList>;

/** One leg as the list journals it: its role and the order it becomes (an exit's quantity is set when sent). */
export const listLeg = z.object({ role: z.enum(Object.values(LegRole) as [LegRole, ...LegRole[]]), ...legTermsShape });
export type ListLeg = z.output<typeof listLeg>;

export const LegOutcome = { Filled: "FILLED", Canceled: "CANCELED", Expired: "EXPIRED", Rejected: "REJECTED", Denied: "DENIED" } as const;
export type LegOutcome = (typeof LegOutcome)[keyof typeof LegOutcome];

export const ListOutcome = { Completed: "COMPLETED", Canceled: "CANCELED", Rejected: "REJECTED" } as const;
export type ListOutcome = (typeof ListOutcome)[keyof typeof ListOutcome];

const contingency = z.enum(Object.values(Contingency) as [Contingency, ...Contingency[]]);

/**
 * The leg of a list its venue holds natively (AM_VENUE_CAPABILITIES `lists`): carried by the leg's SubmitOrder,
 * OrderSubmitted and VenueNewOrder, so the venue assembles the list from its legs and runs the contingency itself.
 */
export const nativeListLeg = z.object({
  listId,
  contingency,
  leg,
  /** how many legs the venue waits for before it works the list */
  legCount: z.number().int().min(2).max(10),
  role: z.enum(Object.values(LegRole) as [LegRole, ...LegRole[]]),
  triggerOnPartial: z.boolean(),
});
export type NativeListLeg = z.output<typeof nativeListLeg>;

export const OrderListAccepted = defineMessage(
  "OrderListAccepted",
  1,
  z.object({
    listId,
    contingency,
    legs: z.array(listLeg).min(2).max(10),
    triggerOnPartial: z.boolean(),
    /** the venue holds the list (its legs sent at once, tagged): the platform only cancels it */
    native: z.boolean().optional(),
    ...owner,
    ...stamped,
  }),
  "A contingent order list was accepted; its first legs are sent to the risk book with it.",
);
export type OrderListAccepted = MessageOf<typeof OrderListAccepted>;

export const OrderListLegSent = defineMessage(
  "OrderListLegSent",
  1,
  z.object({ listId, leg, clientOrderId: z.string().min(1).max(64), quantity: positiveQuantity, ...stamped }),
  "A leg's order was sent to the risk book.",
);
export type OrderListLegSent = MessageOf<typeof OrderListLegSent>;

export const OrderListLegFilled = defineMessage(
  "OrderListLegFilled",
  1,
  z.object({ listId, leg, lastPx: positivePrice, cumQty: positiveQuantity, ...stamped }),
  "A leg's order filled (cumQty is the leg's total).",
);
export type OrderListLegFilled = MessageOf<typeof OrderListLegFilled>;

export const OrderListLegClosed = defineMessage(
  "OrderListLegClosed",
  1,
  z.object({
    listId,
    leg,
    cumQty: nonNegativeQuantity,
    outcome: z.enum(Object.values(LegOutcome) as [LegOutcome, ...LegOutcome[]]),
    /** set for a leg closed by the list before it was sent (its contingency will never be met) */
    unsent: z.boolean(),
    reason,
    ...stamped,
  }),
  "A leg ended: filled, canceled, expired, rejected by the venue, denied by the risk book, or dropped unsent.",
);
export type OrderListLegClosed = MessageOf<typeof OrderListLegClosed>;

export const OrderListCancelRequested = defineMessage(
  "OrderListCancelRequested",
  1,
  z.object({ listId, reason, ...stamped }),
  "The list was asked to cancel: its working legs are being canceled.",
);
export type OrderListCancelRequested = MessageOf<typeof OrderListCancelRequested>;

export const OrderListDone = defineMessage(
  "OrderListDone",
  1,
  z.object({ listId, outcome: z.enum(Object.values(ListOutcome) as [ListOutcome, ...ListOutcome[]]), ...stamped }),
  "Every leg of the list has ended.",
);
export type OrderListDone = MessageOf<typeof OrderListDone>;
