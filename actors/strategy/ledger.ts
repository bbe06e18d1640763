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

interface OpenOrder {
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

  private remove(o: OpenOrder): void {
    this.orders.delete(o.clientOrderId);
    const list = this.byInstrument.get(o.instrument);
    if (!list) return;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
  }
}
