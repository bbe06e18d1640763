/**
 * What a strategy knows about its own trading: signed positions and the orders it has not seen finish. Updated
 * when the strategy sends an order (so an in-flight order counts at once) and from its order events.
 */
import {
  type OrderType,
  type Price,
  type Quantity,
  type Side,
  type StrategyOrderEvent,
  sideSign,
  asQuantity,
  subtractQuantity,
  ZERO_QUANTITY,
} from "../domain/index.ts";
import { type OpenOrderView, OrderStatus } from "./strategy.ts";

/** An open order as the ledger keeps it (plain data: it travels in the strategy's snapshot). */
export interface OpenOrder {
  clientOrderId: string;
  instrument: string;
  side: Side;
  type: OrderType;
  quantity: Quantity;
  leavesQty: Quantity;
  price: Price | undefined;
  status: OrderStatus;
  submittedUs: number;
  tag: string | undefined;
}

/** A ledger as plain data (fees as a decimal string of 1e-8 units: msgpack's bigint support is not assumed). */
export interface LedgerRecord {
  positions: Record<string, Quantity>;
  orders: OpenOrder[];
  feesPaid: string;
}

const none: readonly OpenOrderView[] = Object.freeze([]);

export class StrategyLedger {
  private readonly positions = new Map<string, Quantity>();
  private readonly orders = new Map<string, OpenOrder>();
  private readonly byInstrument = new Map<string, OpenOrder[]>();
  /** sum of fees of the fills seen, in 1e-8 units of the account currency */
  feesPaid = 0n;

  constructor(initialPositions: Readonly<Record<string, Quantity>> = {}) {
    for (const [instrument, qty] of Object.entries(initialPositions)) this.positions.set(instrument, qty);
  }

  position(instrument: string): Quantity {
    return this.positions.get(instrument) ?? ZERO_QUANTITY;
  }

  openOrders(instrument: string): readonly OpenOrderView[] {
    return this.byInstrument.get(instrument) ?? none;
  }

  order(clientOrderId: string): OpenOrderView | undefined {
    return this.orders.get(clientOrderId);
  }

  allOpenOrders(): IterableIterator<OpenOrderView> {
    return this.orders.values();
  }

  get openOrderCount(): number {
    return this.orders.size;
  }

  recordSubmitted(o: Omit<OpenOrder, "status" | "leavesQty">): void {
    const order: OpenOrder = { ...o, leavesQty: o.quantity, status: OrderStatus.PendingNew };
    this.orders.set(order.clientOrderId, order);
    const list = this.byInstrument.get(order.instrument);
    if (list) list.push(order);
    else this.byInstrument.set(order.instrument, [order]);
  }

  /** Marks a cancel as sent; false when the order is unknown or a cancel is already in flight. */
  markCancelPending(clientOrderId: string): boolean {
    const o = this.orders.get(clientOrderId);
    if (!o || o.status === OrderStatus.PendingCancel) return false;
    o.status = OrderStatus.PendingCancel;
    return true;
  }

  /** Applies an order event; returns false when it does not concern a known order or instrument. */
  apply(e: StrategyOrderEvent): boolean {
    const o = this.orders.get(e.clientOrderId);
    switch (e.type) {
      case "OrderAccepted":
        if (o && o.status === OrderStatus.PendingNew) o.status = OrderStatus.Working;
        return o !== undefined;
      case "OrderFilled": {
        const instrument = o?.instrument ?? e.instrument;
        const side = o?.side ?? e.side;
        const qty = e.lastQty ?? ZERO_QUANTITY;
        if (instrument === undefined || side === undefined) return false;
        this.positions.set(instrument, asQuantity(this.position(instrument) + sideSign(side) * qty));
        if (e.fee !== undefined) this.feesPaid += BigInt(e.fee);
        if (o) {
          o.leavesQty = e.leavesQty ?? subtractQuantity(o.leavesQty, qty);
          if (o.status === OrderStatus.PendingNew) o.status = OrderStatus.Working;
          if (o.leavesQty <= 0) this.remove(o);
        }
        return true;
      }
      default:
        // canceled, rejected, expired: the order is finished
        if (o) this.remove(o);
        return o !== undefined;
    }
  }

  /** Sets a position the strategy must believe (the book's, on reconciliation). */
  setPosition(instrument: string, qty: Quantity): void {
    this.positions.set(instrument, qty);
  }

  /** Takes in an order the strategy sent but does not remember (its book still holds it open). */
  adopt(o: Omit<OpenOrder, "status">): void {
    this.recordSubmitted(o);
    const adopted = this.orders.get(o.clientOrderId)!;
    adopted.leavesQty = o.leavesQty;
    adopted.status = OrderStatus.Working;
  }

  /** Drops an order the strategy remembers but its book no longer holds. */
  forget(clientOrderId: string): void {
    const o = this.orders.get(clientOrderId);
    if (o) this.remove(o);
  }

  /** Positions, open orders and fees as plain data, for the snapshot. */
  toPlain(): LedgerRecord {
    return {
      positions: Object.fromEntries(this.positions),
      orders: [...this.orders.values()].map((o) => ({ ...o })),
      feesPaid: this.feesPaid.toString(),
    };
  }

  /** Becomes the ledger a snapshot describes (in place: the session's views hold this object). */
  restore(r: LedgerRecord): void {
    this.positions.clear();
    this.orders.clear();
    this.byInstrument.clear();
    for (const [instrument, qty] of Object.entries(r.positions)) this.positions.set(instrument, qty);
    for (const o of r.orders) {
      this.recordSubmitted(o);
      const kept = this.orders.get(o.clientOrderId)!;
      kept.leavesQty = o.leavesQty;
      kept.status = o.status;
    }
    this.feesPaid = BigInt(r.feesPaid);
  }

  private remove(o: OpenOrder): void {
    this.orders.delete(o.clientOrderId);
    const list = this.byInstrument.get(o.instrument);
    if (!list) return;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
  }
}
