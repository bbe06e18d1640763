import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { CancelOrderList, GetOrderList, orderListId, SubmitOrderList } from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { GatewayError, invalidArgument } from "../errors.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { arr, dec, fieldError, int, obj, optionalPrice, protoEnum, reason, str, withPrefix } from "../validation.ts";
import type { Services } from "./context.ts";
import { orderTerms } from "./trading.ts";

/**
 * Contingent order lists (OCO, OTO, bracket), part of the Trading service: a list goes to its list entity
 * (am.cmd.order-list.<listId>), which sends each leg through the risk book as an order. The proto carries the
 * legs as one `orders` list whatever the contingency; errors name the proto's field (`orders.1.price`).
 */

const contingencies = ["OCO", "OTO", "BRACKET"] as const;
const listIdField = z.string().min(1, "required").pipe(orderListId);

const submitRequest = z.object({
  listId: listIdField,
  contingency: protoEnum("CONTINGENCY_", contingencies),
  orders: z.array(orderTerms),
  triggerOnPartial: z.boolean(),
  takeProfitPrice: optionalPrice,
  stopLossPrice: optionalPrice,
  stopLossLimitPrice: optionalPrice,
  strategy: z.string().min(1, "required").max(64, "at most 64 characters"),
  book: z.string().min(1, "required").max(64, "at most 64 characters"),
});
type SubmitRequest = z.output<typeof submitRequest>;

/** A leg as the domain message takes it: proto3's empty fields dropped. */
function legOf(o: z.output<typeof orderTerms>): Record<string, unknown> {
  const { price, stopPrice, expireAtUs, ...rest } = o;
  return {
    ...rest,
    ...(price !== undefined ? { price } : {}),
    ...(stopPrice !== undefined ? { stopPrice } : {}),
    ...(expireAtUs > 0 ? { expireAtUs } : {}),
  };
}

/** The domain message of a request, or the first thing wrong with it, named as the proto names it. */
function domainList(req: SubmitRequest, ts: number): Record<string, unknown> {
  const legs = req.orders.map(legOf);
  const owner = { book: req.book, strategy: req.strategy, tsEvent: ts, tsInit: ts };
  const bracketOnly = (["takeProfitPrice", "stopLossPrice", "stopLossLimitPrice"] as const).find((k) => req[k] !== undefined);
  if (req.contingency !== "BRACKET" && bracketOnly) throw invalidArgument(fieldError(issue([bracketOnly], "only for CONTINGENCY_BRACKET")));
  let message: Record<string, unknown>;
  // the domain message names a leg by its role; the proto by its place in `orders`
  let toProto: (path: PropertyKey[]) => PropertyKey[];
  switch (req.contingency) {
    case "OCO":
      message = { contingency: "OCO", orders: legs, ...owner };
      toProto = (p) => p;
      break;
    case "OTO":
      if (legs.length < 2) throw invalidArgument(fieldError(issue(["orders"], "OTO takes the primary and 1-9 secondaries")));
      message = { contingency: "OTO", primary: legs[0], secondaries: legs.slice(1), triggerOnPartial: req.triggerOnPartial, ...owner };
      toProto = (p) =>
        p[0] === "primary" ? ["orders", 0, ...p.slice(1)] : p[0] === "secondaries" ? ["orders", Number(p[1]) + 1, ...p.slice(2)] : p;
      break;
    case "BRACKET":
      if (legs.length !== 1) throw invalidArgument(fieldError(issue(["orders"], "BRACKET takes exactly one order, the entry")));
      if (req.takeProfitPrice === undefined)
        throw invalidArgument(fieldError(issue(["takeProfitPrice"], "required for CONTINGENCY_BRACKET")));
      if (req.stopLossPrice === undefined) throw invalidArgument(fieldError(issue(["stopLossPrice"], "required for CONTINGENCY_BRACKET")));
      message = {
        contingency: "BRACKET",
        entry: legs[0],
        takeProfitPrice: req.takeProfitPrice,
        stopLossPrice: req.stopLossPrice,
        ...(req.stopLossLimitPrice !== undefined ? { stopLossLimitPrice: req.stopLossLimitPrice } : {}),
        ...owner,
      };
      toProto = (p) => (p[0] === "entry" ? ["orders", 0, ...p.slice(1)] : p);
      break;
  }
  const r = SubmitOrderList.schema.safeParse(message);
  if (r.success) return r.data as Record<string, unknown>;
  const first = r.error.issues[0];
  throw invalidArgument(fieldError(issue(toProto(first?.path ?? []), first?.message ?? "invalid")));
}

/** A one-issue error at `path`, so it reads as the schema's errors do. */
function issue(path: PropertyKey[], message: string): z.ZodError {
  return new z.ZodError([{ code: "custom", path, message, input: undefined }]);
}

/** The list entity's view (actors/order-list listView) as the proto OrderList. */
function orderListFrom(result: unknown): Record<string, unknown> {
  const v = obj(result);
  return {
    listId: str(v.listId),
    contingency: withPrefix("CONTINGENCY_", v.contingency),
    status: str(v.status).toUpperCase(),
    outcome: str(v.outcome),
    cancelRequested: v.cancelRequested === true,
    legs: arr(v.legs).map((raw) => {
      const l = obj(raw);
      return {
        leg: int(l.leg),
        role: str(l.role),
        clientOrderId: str(l.clientOrderId),
        instrument: str(l.instrument),
        side: withPrefix("SIDE_", l.side),
        orderType: withPrefix("ORDER_TYPE_", l.orderType),
        quantity: dec(l.quantity),
        cumQty: dec(l.cumQty),
        sent: l.sent === true,
        closed: l.closed === true,
        outcome: str(l.outcome),
      };
    }),
  };
}

export function orderListRpcs(s: Services): ServiceRpcs {
  return {
    SubmitOrderList: unary({
      role: Role.Trader,
      request: submitRequest,
      async handle(req, ctx) {
        const message = domainList(req, ctx.nowUs());
        const result = await s.bus.command(
          subjects.cmd("order-list", req.listId),
          { type: SubmitOrderList.type, ...message },
          ctx.remainingMs(),
        );
        return orderListFrom(result);
      },
    }),
    CancelOrderList: unary({
      role: Role.Trader,
      request: z.object({ listId: listIdField, reason }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const message = CancelOrderList.schema.parse({ ...(req.reason ? { reason: req.reason } : {}), tsEvent: ts, tsInit: ts });
        const subject = subjects.cmd("order-list", req.listId);
        await s.bus.command(subject, { type: CancelOrderList.type, ...message }, ctx.remainingMs());
        return orderListFrom(await s.bus.command(subject, { type: GetOrderList.type, tsEvent: ts, tsInit: ts }, ctx.remainingMs()));
      },
    }),
    GetOrderList: unary({
      role: Role.Viewer,
      request: z.object({ listId: listIdField }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const result = await s.bus.command(
          subjects.cmd("order-list", req.listId),
          { type: GetOrderList.type, tsEvent: ts, tsInit: ts },
          ctx.remainingMs(),
        );
        // a list entity answers for any id: one never submitted is idle
        if (obj(result).status === "idle") throw new GatewayError(Status.NOT_FOUND, `list_id: no order list ${req.listId} was submitted`);
        return orderListFrom(result);
      },
    }),
  };
}
