import {
  asPrice,
  asQuantity,
  ExecType,
  type ExecutionReport,
  Liquidity,
  OrderType,
  type Price,
  type Quantity,
  type RecordedBookEvent,
  reportWithoutFill,
  Side,
  TimeInForce,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../domain/index.ts";
import type { VenueOpenOrder } from "../venue/index.ts";
import { type SlippageModel, slippedPrice } from "./fill-model.ts";
import { type L2Event, type L2QueueEvent, L2QueueSimulator } from "./l2-queue.ts";
import { executionFee } from "./matching/fees.ts";

/** One of our orders the L2 queue works. */
interface QueueOrder {
  cmd: VenueNewOrder;
  venueOrderId: string;
  version: number;
  quantity: number;
  price: Price;
  cumQty: number;
  /** Σ price × quantity of its fills, for the average price */
  notional: bigint;
  grid: Grid;
}

/** An instrument's tick and lot, 1e-8 units. */
interface Grid {
  tickSize: number;
  lotSize: number;
}

export interface L2QueueOrdersConfig {
  /** execution ids are `<prefix>:l2:<n>`: the session's own prefix keeps them apart from its engines' */
  execIdPrefix: string;
  makerFeeCbps: number;
  takerFeeCbps: number;
  slippage: SlippageModel;
}

/**
 * The simulated exchange's `l2` fill model: our resting limit orders queue in the recorded book (l2-queue.ts), fed
 * the recorded levels and prints (RecordedBookEvent), and fill as their queue says, at their price (maker) or, where
 * they cross the recorded book on arrival, at the shown levels (taker, with the slippage model). Orders the recorded
 * book cannot queue (market, IOC, FOK, GTD, stops, post-only, list legs) stay with the matching engine. Time is the
 * session's clock at delivery, so orders and recorded events meet in the order the run delivers them.
 */
export class L2QueueOrders {
  private readonly queue = new L2QueueSimulator();
  private readonly orders = new Map<string, QueueOrder>();
  private execs = 0;
  private placed = 0;

  constructor(private readonly config: L2QueueOrdersConfig) {}

  /**
   * Whether the recorded book's queue works this order: a plain limit order that rests (DAY or GTC), on the
   * instrument's tick and lot grids (the matching engine refuses one off them, naming the grid).
   */
  static takes(cmd: VenueNewOrder, grid: Grid): boolean {
    return (
      cmd.orderType === OrderType.Limit &&
      cmd.price !== undefined &&
      cmd.price % grid.tickSize === 0 &&
      cmd.quantity % grid.lotSize === 0 &&
      (cmd.timeInForce === TimeInForce.Day || cmd.timeInForce === TimeInForce.Gtc) &&
      !cmd.postOnly &&
      cmd.list === undefined
    );
  }

  has(clientOrderId: string): boolean {
    return this.orders.has(clientOrderId);
  }

  get size(): number {
    return this.orders.size;
  }

  /** Our orders resting in the recorded book's queue, for a state request. */
  open(): VenueOpenOrder[] {
    return [...this.orders.values()].map((o) => ({
      clientOrderId: o.cmd.clientOrderId,
      venueOrderId: o.venueOrderId,
      instrument: o.cmd.instrument,
      side: o.cmd.side,
      quantity: asQuantity(o.quantity),
      cumQty: asQuantity(o.cumQty),
      leavesQty: asQuantity(o.quantity - o.cumQty),
      price: o.price,
    }));
  }

  place(cmd: VenueNewOrder, grid: Grid, nowUs: number): ExecutionReport[] {
    const o: QueueOrder = {
      grid: { tickSize: grid.tickSize, lotSize: grid.lotSize },
      cmd,
      venueOrderId: `L2-${++this.placed}`,
      version: cmd.version,
      quantity: cmd.quantity,
      price: cmd.price!,
      cumQty: 0,
      notional: 0n,
    };
    this.orders.set(cmd.clientOrderId, o);
    const out = [this.bare(o, ExecType.New, nowUs, {})];
    return this.reportsOf(this.enqueue(o, nowUs), nowUs, out);
  }

  cancel(cmd: VenueCancelOrder, nowUs: number): ExecutionReport[] {
    const o = this.orders.get(cmd.clientOrderId);
    if (!o) return [];
    this.queue.cancel(o.cmd.clientOrderId, nowUs);
    this.orders.delete(o.cmd.clientOrderId);
    return [this.bare(o, ExecType.Canceled, nowUs, {})];
  }

  /** A replace loses the order's place: it joins the back of the queue at its (new) price with what is left. */
  replace(cmd: VenueReplaceOrder, nowUs: number): ExecutionReport[] {
    const o = this.orders.get(cmd.clientOrderId);
    if (!o) return [];
    const why =
      cmd.stopPrice !== undefined
        ? "a limit order in the L2 queue takes no stop price"
        : cmd.quantity <= o.cumQty
          ? `quantity is not above the filled ${o.cumQty}`
          : cmd.quantity % o.grid.lotSize !== 0
            ? `quantity ${cmd.quantity} is not a multiple of the lot ${o.grid.lotSize}`
            : cmd.price !== undefined && cmd.price % o.grid.tickSize !== 0
              ? `price ${cmd.price} is not a multiple of the tick ${o.grid.tickSize}`
              : undefined;
    if (why !== undefined) {
      return [this.bare(o, ExecType.CancelRejected, nowUs, { text: `INVALID_REPLACE: ${why}` })];
    }
    this.queue.cancel(o.cmd.clientOrderId, nowUs);
    o.version = cmd.version;
    o.quantity = cmd.quantity;
    if (cmd.price !== undefined) o.price = cmd.price;
    const out = [this.bare(o, ExecType.Replaced, nowUs, { orderVersion: o.version, quantity: asQuantity(o.quantity), price: o.price })];
    return this.reportsOf(this.enqueue(o, nowUs), nowUs, out);
  }

  /** A recorded level or print: our queues move, and the orders it reaches fill. */
  apply(e: RecordedBookEvent, nowUs: number): ExecutionReport[] {
    const event: L2Event =
      e.event === "level"
        ? { type: "level", tsUs: nowUs, instrument: e.instrument, side: e.side === "BID" ? "BID" : "ASK", price: e.price, size: e.size }
        : {
            type: "trade",
            tsUs: nowUs,
            instrument: e.instrument,
            price: e.price,
            size: e.size,
            ...(e.side === "BUY" ? { aggressor: Side.Buy } : e.side === "SELL" ? { aggressor: Side.Sell } : {}),
          };
    return this.reportsOf(this.queue.apply(event), nowUs, []);
  }

  private enqueue(o: QueueOrder, nowUs: number): L2QueueEvent[] {
    const leaves = o.quantity - o.cumQty;
    return this.queue.place(
      { id: o.cmd.clientOrderId, instrument: o.cmd.instrument, side: o.cmd.side, price: o.price, quantity: asQuantity(leaves) },
      nowUs,
    );
  }

  private reportsOf(events: readonly L2QueueEvent[], nowUs: number, out: ExecutionReport[]): ExecutionReport[] {
    for (const e of events) {
      if (e.type !== "Filled") continue;
      const o = this.orders.get(e.id);
      if (!o) continue;
      const taker = e.liquidity === "TAKER";
      const price = taker ? slippedPrice(this.config.slippage, o.cmd.side, e.price, e.quantity, o.price) : e.price;
      o.cumQty += e.quantity;
      o.notional += BigInt(price) * BigInt(e.quantity);
      const leaves = o.quantity - o.cumQty;
      if (leaves === 0) this.orders.delete(e.id);
      out.push(
        this.bare(o, leaves === 0 ? ExecType.Fill : ExecType.PartialFill, nowUs, {
          lastQty: e.quantity,
          lastPx: price,
          leavesQty: asQuantity(leaves),
          avgPx: asPrice(Number((o.notional + BigInt(Math.floor(o.cumQty / 2))) / BigInt(o.cumQty))),
          fee: Number(executionFee(price, e.quantity, taker ? this.config.takerFeeCbps : this.config.makerFeeCbps)),
          liquidity: taker ? Liquidity.Taker : Liquidity.Maker,
        }),
      );
    }
    return out;
  }

  private bare(o: QueueOrder, execType: ExecType, nowUs: number, over: Partial<ExecutionReport>): ExecutionReport {
    const open = execType === ExecType.New || execType === ExecType.Replaced || execType === ExecType.CancelRejected;
    const avgPx = o.cumQty > 0 ? asPrice(Number(o.notional / BigInt(o.cumQty))) : asPrice(0);
    return reportWithoutFill(
      { clientOrderId: o.cmd.clientOrderId, instrument: o.cmd.instrument, side: o.cmd.side, venueOrderId: o.venueOrderId },
      execType,
      `${this.config.execIdPrefix}:l2:${++this.execs}`,
      0,
      nowUs,
      {
        cumQty: asQuantity(o.cumQty),
        leavesQty: (open ? asQuantity(o.quantity - o.cumQty) : asQuantity(0)) as Quantity,
        avgPx,
        ...over,
      },
    );
  }
}
