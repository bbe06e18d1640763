import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { CancelOrder, orderTypes, ReplaceOrder, SubmitOrder, sides, timesInForce } from "../../actors/domain/index.ts";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { GatewayError, invalidArgument } from "../errors.ts";
import type { HistoricalOrder } from "../history.ts";
import { isOpen, newestFirst, type OrderSummary } from "../order-view.ts";
import { serverStream, unary, type ServiceRpcs } from "../rpc.ts";
import { SlowClientPolicy, StreamSink } from "../stream-sink.ts";
import {
  actorId,
  dec,
  quantityDecimal,
  fieldError,
  instrument,
  int,
  limitOf,
  obj,
  optionalPrice,
  optionalQuantity,
  protoEnum,
  str,
  withPrefix,
} from "../validation.ts";
import type { Services } from "./context.ts";

/** The order actor's query (actors/domain/messages/orders.ts GetOrder). */
export const GET_ORDER = "GetOrder";

/**
 * How long GetOrder waits for the order entity. Its shard's owner activates it from its journal (a closed order
 * too), so silence past this bound (its shard between owners, no node up, a busy one) means "ask the history".
 */
export const liveOrderWaitMs = 1_500;

/** The live actor did not answer: retired (closed order), never existed, or no node is up. */
const unanswered = (e: unknown): boolean =>
  e instanceof GatewayError && (e.code === Status.UNAVAILABLE || e.code === Status.DEADLINE_EXCEEDED || e.code === Status.NOT_FOUND);

/** The recorded row in the shape of the actor's answer; leavesQty is what the row's quantity and fills leave. */
function recordedAnswer(r: HistoricalOrder): Record<string, unknown> {
  const closed = r.status !== undefined && ["FILLED", "CANCELED", "REJECTED", "EXPIRED"].includes(r.status);
  const leaves = closed ? 0 : r.quantity !== undefined && r.cumQty !== undefined ? r.quantity - r.cumQty : undefined;
  return Object.fromEntries(Object.entries({ ...r, leavesQty: leaves }).filter(([, v]) => v !== undefined && v !== ""));
}

const optionalFilter = z.string().max(64, "at most 64 characters");
const optionalInstrument = z.union([z.literal(""), instrument]);

/** An order's terms as the protos spell them (SubmitOrder, and each order of an order list). */
export const orderTerms = z.object({
  instrument,
  side: protoEnum("SIDE_", sides),
  orderType: protoEnum("ORDER_TYPE_", orderTypes),
  quantity: quantityDecimal,
  price: optionalPrice,
  stopPrice: optionalPrice,
  timeInForce: protoEnum("TIME_IN_FORCE_", timesInForce),
  expireAtUs: z.number().int().min(0, "must not be negative"),
  postOnly: z.boolean(),
  reduceOnly: z.boolean(),
});

const submitRequest = orderTerms.extend({
  clientOrderId: z.string().min(1, "required"),
  strategy: z.string().min(1, "required").max(64, "at most 64 characters"),
  book: actorId,
});

/** The domain schema has the last word (price required for LIMIT, GTD needs an expiry, ...). */
function domainCheck<T>(def: { schema: z.ZodType<T> }, message: unknown): T {
  const r = def.schema.safeParse(message);
  if (!r.success) throw invalidArgument(fieldError(r.error));
  return r.data;
}

/** Maps an order actor's answer to GetOrder (whatever subset it returns) onto the proto Order. */
function orderFrom(clientOrderId: string, result: unknown, known: OrderSummary | undefined): OrderSummary {
  const o = obj(result);
  const pick = (k: string, f: (v: unknown) => string, fallback: string) => (o[k] !== undefined ? f(o[k]) : fallback);
  return {
    clientOrderId,
    venueOrderId: pick("venueOrderId", str, known?.venueOrderId ?? ""),
    instrument: pick("instrument", str, known?.instrument ?? ""),
    side: o.side !== undefined ? withPrefix("SIDE_", o.side) : (known?.side ?? "SIDE_UNSPECIFIED"),
    orderType: o.orderType !== undefined ? withPrefix("ORDER_TYPE_", o.orderType) : (known?.orderType ?? "ORDER_TYPE_UNSPECIFIED"),
    quantity: pick("quantity", dec, known?.quantity ?? ""),
    price: pick("price", dec, known?.price ?? ""),
    stopPrice: pick("stopPrice", dec, known?.stopPrice ?? ""),
    timeInForce:
      o.timeInForce !== undefined ? withPrefix("TIME_IN_FORCE_", o.timeInForce) : (known?.timeInForce ?? "TIME_IN_FORCE_UNSPECIFIED"),
    strategy: pick("strategy", str, known?.strategy ?? ""),
    book: pick("book", str, known?.book ?? ""),
    status: pick(
      "status",
      (v) => str(v).toUpperCase(),
      pick("state", (v) => str(v).toUpperCase(), known?.status ?? ""),
    ),
    cumQty: pick("cumQty", dec, known?.cumQty ?? ""),
    leavesQty: pick("leavesQty", dec, known?.leavesQty ?? ""),
    avgPx: pick("avgPx", dec, known?.avgPx ?? ""),
    updatedAtUs: o.tsEvent !== undefined ? int(o.tsEvent) : (known?.updatedAtUs ?? 0),
  };
}

/** Cancel and replace of an order this gateway saw close fail at once, instead of waiting on a retired actor. */
function refuseClosed(known: OrderSummary | undefined, what: string): void {
  if (known && !isOpen(known))
    throw new GatewayError(Status.FAILED_PRECONDITION, `ORDER_CLOSED: ${what}: order ${known.clientOrderId} is ${known.status}`);
}

export function tradingRpcs(s: Services): ServiceRpcs {
  /** The book an order belongs to: from the gateway's view, else from its live order actor. */
  const bookOf = async (id: string, remainingMs: number): Promise<string> => {
    const known = s.orders.get(id)?.book;
    if (known) return known;
    const ts = Date.now() * 1000;
    try {
      const o = obj(
        await s.bus.command(
          subjects.cmd("order", id),
          { type: GET_ORDER, clientOrderId: id, tsEvent: ts, tsInit: ts },
          Math.min(remainingMs, liveOrderWaitMs),
        ),
      );
      if (typeof o.book === "string" && o.book) return o.book;
    } catch (e) {
      if (!unanswered(e)) throw e;
    }
    throw new GatewayError(Status.NOT_FOUND, `order ${id}: no open order with this clientOrderId (no live order actor answered)`);
  };
  return {
    SubmitOrder: unary({
      role: Role.Trader,
      request: submitRequest,
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const { expireAtUs, price, stopPrice, ...rest } = req;
        const cmd = domainCheck(SubmitOrder, {
          ...rest,
          ...(price !== undefined ? { price } : {}),
          ...(stopPrice !== undefined ? { stopPrice } : {}),
          ...(expireAtUs > 0 ? { expireAtUs } : {}),
          tsEvent: ts,
          tsInit: ts,
        });
        await s.bus.command(subjects.cmd("risk-book", req.book), { type: SubmitOrder.type, ...cmd }, ctx.remainingMs());
        return { clientOrderId: req.clientOrderId, accepted: true };
      },
    }),
    CancelOrder: unary({
      role: Role.Trader,
      request: z.object({ clientOrderId: actorId }),
      async handle(req, ctx) {
        refuseClosed(s.orders.get(req.clientOrderId), "cancel");
        const ts = ctx.nowUs();
        const cmd = domainCheck(CancelOrder, { clientOrderId: req.clientOrderId, tsEvent: ts, tsInit: ts });
        await s.bus.command(subjects.cmd("order", req.clientOrderId), { type: CancelOrder.type, ...cmd }, ctx.remainingMs());
        return { clientOrderId: req.clientOrderId };
      },
    }),
    ReplaceOrder: unary({
      role: Role.Trader,
      request: z
        .object({ clientOrderId: actorId, quantity: optionalQuantity, price: optionalPrice, stopPrice: optionalPrice })
        .refine((r) => r.quantity !== undefined || r.price !== undefined || r.stopPrice !== undefined, {
          message: "set at least one of quantity, price, stop_price",
          path: ["quantity"],
        }),
      async handle(req, ctx) {
        refuseClosed(s.orders.get(req.clientOrderId), "replace");
        const ts = ctx.nowUs();
        const cmd = domainCheck(ReplaceOrder, {
          clientOrderId: req.clientOrderId,
          ...(req.quantity !== undefined ? { quantity: req.quantity } : {}),
          ...(req.price !== undefined ? { price: req.price } : {}),
          ...(req.stopPrice !== undefined ? { stopPrice: req.stopPrice } : {}),
          tsEvent: ts,
          tsInit: ts,
        });
        // A replace is a new risk decision (more quantity, another price): it goes through the order's risk book,
        // which checks it and, approved, passes it on to the order actor, as it does for SubmitOrder.
        const book = await bookOf(req.clientOrderId, ctx.remainingMs());
        await s.bus.command(subjects.cmd("risk-book", book), { type: ReplaceOrder.type, ...cmd }, ctx.remainingMs());
        return { clientOrderId: req.clientOrderId };
      },
    }),
    GetOrder: unary({
      role: Role.Viewer,
      request: z.object({ clientOrderId: actorId }),
      async handle(req, ctx) {
        const id = req.clientOrderId;
        const known = s.orders.get(id);
        // The live actor is the truth for an open order; a closed one (known closed here, or silent) is history.
        if (!known || isOpen(known)) {
          const ts = ctx.nowUs();
          try {
            const result = await s.bus.command(
              subjects.cmd("order", id),
              { type: GET_ORDER, clientOrderId: id, tsEvent: ts, tsInit: ts },
              Math.min(ctx.remainingMs(), liveOrderWaitMs),
            );
            return orderFrom(id, result, known);
          } catch (e) {
            if (!unanswered(e)) throw e;
          }
        }
        let recorded: HistoricalOrder | undefined;
        let historyFailure = "";
        if (s.history?.latestOrder) {
          try {
            recorded = await s.history.latestOrder(id);
          } catch (e) {
            historyFailure = errorMessage(e);
          }
        } else historyFailure = "no order history is configured";
        if (recorded) return orderFrom(id, recordedAnswer(recorded), known);
        // The recorder may lag the event stream by a moment: what this gateway saw is the next best answer.
        if (known) return known;
        if (historyFailure)
          throw new GatewayError(
            Status.UNAVAILABLE,
            `order ${id}: no live order actor answered and order history failed: ${historyFailure}`,
          );
        throw new GatewayError(Status.NOT_FOUND, `order ${id}: no live order actor and no recorded order with this clientOrderId`);
      },
    }),
    ListOrders: unary({
      role: Role.Viewer,
      request: z.object({
        book: optionalFilter,
        strategy: optionalFilter,
        instrument: optionalInstrument,
        openOnly: z.boolean(),
        limit: limitOf(100, 1000),
      }),
      async handle(req) {
        const held = s.orders.list(
          (o) =>
            (!req.book || o.book === req.book) &&
            (!req.strategy || o.strategy === req.strategy) &&
            (!req.instrument || o.instrument === req.instrument) &&
            (!req.openOnly || isOpen(o)),
          req.limit,
        );
        // The gateway holds the open orders and the recently closed ones; older closed orders are history.
        if (req.openOnly || !s.history?.closedOrders) return { orders: held };
        let recorded: HistoricalOrder[];
        try {
          recorded = await s.history.closedOrders({
            ...(req.book ? { book: req.book } : {}),
            ...(req.strategy ? { strategy: req.strategy } : {}),
            ...(req.instrument ? { instrument: req.instrument } : {}),
            limit: req.limit,
          });
        } catch (e) {
          throw new GatewayError(
            Status.UNAVAILABLE,
            `ListOrders: order history failed: ${errorMessage(e)} (open_only lists the open orders without it)`,
          );
        }
        const ids = new Set(held.map((o) => o.clientOrderId));
        const older = recorded
          .filter((r) => !ids.has(r.clientOrderId))
          .map((r) => orderFrom(r.clientOrderId, recordedAnswer(r), undefined));
        return { orders: [...held, ...older].sort(newestFirst).slice(0, req.limit) };
      },
    }),
    StreamExecutionReports: serverStream({
      role: Role.Viewer,
      request: z.object({ book: optionalFilter, strategy: optionalFilter, instrument: optionalInstrument }),
      open(req, ctx, call) {
        const sink = new StreamSink(
          call,
          s.streams.executionReportQueue,
          SlowClientPolicy.End,
          `execution reports for ${ctx.principal.subject}`,
        );
        const off = s.orders.onReport((r) => {
          if (req.book && r.book !== req.book) return;
          if (req.strategy && r.strategy !== req.strategy) return;
          if (req.instrument && r.instrument !== req.instrument) return;
          sink.push(r);
        });
        s.sinks.add(sink as StreamSink<unknown>);
        sink.onEnd(() => {
          off();
          s.sinks.delete(sink as StreamSink<unknown>);
        });
        return sink;
      },
    }),
  };
}
