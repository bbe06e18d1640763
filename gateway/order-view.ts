import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { storedSubject, subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/index.ts";
import { dec, int, str, withPrefix } from "./validation.ts";

/** Order fields as the gateway's protos spell them (decimal strings, prefixed enums). */
export interface OrderSummary {
  clientOrderId: string;
  venueOrderId: string;
  instrument: string;
  side: string;
  orderType: string;
  quantity: string;
  price: string;
  stopPrice: string;
  timeInForce: string;
  strategy: string;
  book: string;
  status: string;
  cumQty: string;
  leavesQty: string;
  avgPx: string;
  updatedAtUs: number;
}

export interface ExecutionReportOut {
  clientOrderId: string;
  event: string;
  book: string;
  strategy: string;
  instrument: string;
  side: string;
  venueOrderId: string;
  execId: string;
  lastQty: string;
  lastPx: string;
  cumQty: string;
  leavesQty: string;
  avgPx: string;
  fee: string;
  liquidity: string;
  reason: string;
  message: string;
  tsEventUs: number;
  tsInitUs: number;
}

/** FIX OrdStatus, as the order actor (GetOrder) and the recorded `orders` table spell it. */
const statusOf: Record<string, string> = {
  OrderSubmitted: "PENDING_NEW",
  OrderAccepted: "NEW",
  OrderTriggered: "NEW",
  OrderCancelPending: "PENDING_CANCEL",
  OrderReplacePending: "PENDING_REPLACE",
  OrderReplaced: "NEW",
  OrderCanceled: "CANCELED",
  OrderRejected: "REJECTED",
  OrderExpired: "EXPIRED",
};
const finalStatuses = new Set(["FILLED", "CANCELED", "REJECTED", "EXPIRED"]);
export const isOpen = (o: OrderSummary): boolean => !finalStatuses.has(o.status);
export const newestFirst = (a: OrderSummary, b: OrderSummary): number => b.updatedAtUs - a.updatedAtUs;

/**
 * A projection of am.evt.order.> kept by the gateway: order events carry book, strategy and instrument only on
 * OrderSubmitted, so filtering a stream by them needs this memory. It holds every open order and the newest
 * `recentClosed` closed ones: memory follows the open orders, not the orders ever placed. Older closed orders are
 * history (the recorded `orders` table).
 */
export class OrderProjection {
  /** in submission order; bounded by `openCapacity` only as a guard (the risk books bound open orders) */
  private readonly open = new Map<string, OrderSummary>();
  /** in closing order, oldest first */
  private readonly closed = new Map<string, OrderSummary>();
  private readonly listeners = new Set<(r: ExecutionReportOut, o: OrderSummary | undefined) => void>();
  private sub: Subscription | undefined;

  constructor(
    private readonly recentClosed = 2_000,
    private readonly openCapacity = 100_000,
  ) {}

  start(nc: NatsConnection): void {
    this.sub = nc.subscribe(storedSubject(subjects.evtAll("order")), {
      callback: (err, msg) => {
        if (err) return;
        let event: Record<string, unknown> & { type: string };
        try {
          event = decodeMessage(msg.data, msg.headers, false).message;
        } catch {
          return; // not a codec message: the order actors' dead-letter path is theirs, not the gateway's
        }
        const type = event.type;
        this.apply(type, event);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.listeners.clear();
  }

  get(clientOrderId: string): OrderSummary | undefined {
    return this.open.get(clientOrderId) ?? this.closed.get(clientOrderId);
  }

  /** The orders held that pass `filter`, the most recently updated first. */
  list(filter: (o: OrderSummary) => boolean, limit: number): OrderSummary[] {
    const out: OrderSummary[] = [];
    for (const o of this.open.values()) if (filter(o)) out.push(o);
    for (const o of this.closed.values()) if (filter(o)) out.push(o);
    return out.sort(newestFirst).slice(0, limit);
  }

  private close(o: OrderSummary): void {
    this.open.delete(o.clientOrderId);
    this.closed.delete(o.clientOrderId);
    this.closed.set(o.clientOrderId, o);
    if (this.closed.size > this.recentClosed) this.closed.delete(this.closed.keys().next().value as string);
  }

  onReport(fn: (r: ExecutionReportOut, o: OrderSummary | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  apply(type: string, e: Record<string, unknown>): void {
    const id = str(e.clientOrderId);
    if (!id) return;
    let o = this.get(id);
    if (type === "OrderSubmitted" && !o) {
      if (this.open.size >= this.openCapacity) this.open.delete(this.open.keys().next().value as string);
      o = {
        clientOrderId: id,
        venueOrderId: "",
        instrument: str(e.instrument),
        side: withPrefix("SIDE_", e.side),
        orderType: withPrefix("ORDER_TYPE_", e.orderType),
        quantity: dec(e.quantity),
        price: dec(e.price),
        stopPrice: dec(e.stopPrice),
        timeInForce: withPrefix("TIME_IN_FORCE_", e.timeInForce),
        strategy: str(e.strategy),
        book: str(e.book),
        status: "PENDING_NEW",
        cumQty: "0",
        leavesQty: dec(e.quantity),
        avgPx: "",
        updatedAtUs: int(e.tsEvent),
      };
      this.open.set(id, o);
    }
    if (o) {
      if (type === "OrderFilled") o.status = e.leavesQty === 0 ? "FILLED" : "PARTIALLY_FILLED";
      // a refused cancel or replace: the order works on as it was
      else if (type === "OrderCancelRejected") o.status = o.cumQty && o.cumQty !== "0" ? "PARTIALLY_FILLED" : "NEW";
      else if (statusOf[type] && !(type === "OrderReplaced" && o.status === "PARTIALLY_FILLED")) o.status = statusOf[type]!;
      if (str(e.venueOrderId)) o.venueOrderId = str(e.venueOrderId);
      if (e.cumQty !== undefined) o.cumQty = dec(e.cumQty);
      if (e.leavesQty !== undefined) o.leavesQty = dec(e.leavesQty);
      if (e.avgPx !== undefined) o.avgPx = dec(e.avgPx);
      if (type === "OrderReplaced") {
        o.quantity = dec(e.quantity);
        o.price = dec(e.price);
        o.stopPrice = dec(e.stopPrice);
      }
      o.updatedAtUs = int(e.tsEvent) || o.updatedAtUs;
      if (!isOpen(o)) this.close(o);
    }
    if (this.listeners.size === 0) return;
    const report: ExecutionReportOut = {
      clientOrderId: id,
      event: type,
      book: o?.book ?? "",
      strategy: o?.strategy ?? "",
      instrument: o?.instrument ?? str(e.instrument),
      side: o?.side ?? withPrefix("SIDE_", e.side),
      venueOrderId: str(e.venueOrderId),
      execId: str(e.execId),
      lastQty: dec(e.lastQty),
      lastPx: dec(e.lastPx),
      cumQty: dec(e.cumQty),
      leavesQty: dec(e.leavesQty),
      avgPx: dec(e.avgPx),
      fee: dec(e.fee),
      liquidity: str(e.liquidity),
      reason: str(e.reason) || str(e.cause),
      message: str(e.message),
      tsEventUs: int(e.tsEvent),
      tsInitUs: int(e.tsInit),
    };
    for (const fn of this.listeners) fn(report, o);
  }
}
