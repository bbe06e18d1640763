import { asQuantity, type Price, type Quantity } from "../domain/fixed.ts";
import { Side } from "../domain/trading.ts";

/** A side of a recorded book. */
export type BookSide = "BID" | "ASK";

/**
 * Recorded L2 market data, one event at a time in time order:
 * - `level`: the size shown at one price of one side as of `tsUs` (absolute, not a change; 0 removes the level);
 * - `trade`: a print of `size` at `price`; `aggressor` is the side that took liquidity where the data says.
 */
export type L2Event =
  | { type: "level"; tsUs: number; instrument: string; side: BookSide; price: Price; size: Quantity }
  | { type: "trade"; tsUs: number; instrument: string; price: Price; size: Quantity; aggressor?: Side };

/** A limit order of ours that rests in the recorded book's queue. */
export interface QueuedOrder {
  id: string;
  instrument: string;
  side: Side;
  price: Price;
  quantity: Quantity;
}

/** What the queue model did to our orders; the journal of a run is these events in order. */
export type L2QueueEvent =
  | { type: "Queued"; tsUs: number; id: string; ahead: Quantity }
  | { type: "QueueAdvanced"; tsUs: number; id: string; ahead: Quantity; by: "trade" | "cancel" }
  | {
      type: "Filled";
      tsUs: number;
      id: string;
      price: Price;
      quantity: Quantity;
      leaves: Quantity;
      /** taker: the order crossed the book when it arrived; maker: it filled from the queue */
      liquidity: "MAKER" | "TAKER";
    }
  | { type: "Cancelled"; tsUs: number; id: string; leaves: Quantity };

export class L2QueueError extends Error {
  override name = "L2QueueError";
}

interface Resting {
  order: QueuedOrder;
  /** the recorded size ahead of ours at its price, 1e-8 units */
  ahead: number;
  leaves: number;
  /** arrival rank among our orders: time priority between them */
  rank: number;
}

interface Level {
  size: number;
  /** volume printed at this price since the level's size was last recorded: a drop this size is trades, not cancels */
  tradedSinceUpdate: number;
}

const bookSide = (s: Side): BookSide => (s === Side.Buy ? "BID" : "ASK");

/**
 * Queue position from recorded L2 data (per-level sizes over time, and trade prints), for our limit orders that
 * the recorded market never saw:
 * - an order joining a price queues behind the size shown there at its arrival (nothing, where the level is empty);
 * - a print at its price consumes the queue of the side it took (the aggressor's opposite; without an aggressor,
 *   the side recorded at that price) in time priority: the recorded size ahead first, then our earlier orders at
 *   that price, then this order, which fills only from what is left of the print;
 * - a recorded size that drops by more than was printed there since its last update lost the rest to cancels,
 *   taken pro rata across the queue (the rule: a cancel is as likely anywhere in the queue, so the size ahead of us
 *   shrinks by the same fraction as the level, rounded up: never faster than the data shows); a size that grows
 *   joins behind us;
 * - a print beyond its price (a sell below our bid, a buy above our ask) swept the level: the order fills whole;
 * - an order whose price crosses the recorded opposite side on arrival takes the shown sizes, best price first, up
 *   to its limit, and rests the rest. Our fills do not change the recorded sizes (our impact is not modelled).
 * Prices and sizes are the platform's 1e-8 fixed point; the same events in the same order give the same journal.
 */
export class L2QueueSimulator {
  private readonly books = new Map<string, { BID: Map<number, Level>; ASK: Map<number, Level> }>();
  private readonly resting = new Map<string, Resting>();
  private rank = 0;
  private lastUs = Number.NEGATIVE_INFINITY;

  /** The size recorded at a price of a side (0 where none). */
  recordedSize(instrument: string, side: BookSide, price: Price): Quantity {
    return asQuantity(this.books.get(instrument)?.[side].get(price)?.size ?? 0);
  }

  /** Where an order of ours stands: the recorded size ahead of it and what is left to fill; undefined once done. */
  position(id: string): { ahead: Quantity; leaves: Quantity } | undefined {
    const r = this.resting.get(id);
    return r ? { ahead: asQuantity(r.ahead), leaves: asQuantity(r.leaves) } : undefined;
  }

  /** Our order arrives at `tsUs`: it takes what it crosses, and the rest joins the queue at its price. */
  place(order: QueuedOrder, tsUs: number): L2QueueEvent[] {
    if (this.resting.has(order.id)) throw new L2QueueError(`order ${order.id}: the id is already resting`);
    if (!(Number.isInteger(order.price) && order.price > 0))
      throw new L2QueueError(`order ${order.id}: price ${order.price} must be a positive 1e-8 integer`);
    if (!(Number.isInteger(order.quantity) && order.quantity > 0))
      throw new L2QueueError(`order ${order.id}: quantity ${order.quantity} must be a positive 1e-8 integer`);
    this.advanceClock(tsUs, `order ${order.id}`);
    const out: L2QueueEvent[] = [];
    let leaves: number = order.quantity;
    const book = this.book(order.instrument);
    const opposite = book[order.side === Side.Buy ? "ASK" : "BID"];
    const crossing = [...opposite.entries()]
      .filter(([p, l]) => l.size > 0 && (order.side === Side.Buy ? p <= order.price : p >= order.price))
      .sort(([a], [b]) => (order.side === Side.Buy ? a - b : b - a));
    for (const [p, l] of crossing) {
      if (leaves === 0) break;
      const take = Math.min(leaves, l.size);
      leaves -= take;
      out.push({
        type: "Filled",
        tsUs,
        id: order.id,
        price: p as Price,
        quantity: asQuantity(take),
        leaves: asQuantity(leaves),
        liquidity: "TAKER",
      });
    }
    if (leaves === 0) return out;
    const ahead = book[bookSide(order.side)].get(order.price)?.size ?? 0;
    this.resting.set(order.id, { order, ahead, leaves, rank: this.rank++ });
    out.push({ type: "Queued", tsUs, id: order.id, ahead: asQuantity(ahead) });
    return out;
  }

  /** Our cancel arrives at `tsUs`; unknown or done orders are an error naming the id. */
  cancel(id: string, tsUs: number): L2QueueEvent[] {
    const r = this.resting.get(id);
    if (!r) throw new L2QueueError(`cancel of ${id}: no such resting order`);
    this.advanceClock(tsUs, `cancel of ${id}`);
    this.resting.delete(id);
    return [{ type: "Cancelled", tsUs, id, leaves: asQuantity(r.leaves) }];
  }

  /** One recorded event: our queues move and our orders fill as it says. */
  apply(e: L2Event): L2QueueEvent[] {
    if (!(Number.isInteger(e.size) && e.size >= 0))
      throw new L2QueueError(`${e.type} of ${e.instrument} at ${e.tsUs}: size ${e.size} must be a non-negative 1e-8 integer`);
    if (!(Number.isInteger(e.price) && e.price > 0))
      throw new L2QueueError(`${e.type} of ${e.instrument} at ${e.tsUs}: price ${e.price} must be a positive 1e-8 integer`);
    this.advanceClock(e.tsUs, `${e.type} of ${e.instrument}`);
    return e.type === "level" ? this.onLevel(e) : this.onTrade(e);
  }

  private onLevel(e: Extract<L2Event, { type: "level" }>): L2QueueEvent[] {
    const levels = this.book(e.instrument)[e.side];
    const level = levels.get(e.price) ?? { size: 0, tradedSinceUpdate: 0 };
    // the queue left after the prints since the last record; what it lost beyond them was cancelled
    const queue = level.size - level.tradedSinceUpdate;
    const cancelled = queue - e.size;
    level.size = e.size;
    level.tradedSinceUpdate = 0;
    if (e.size === 0) levels.delete(e.price);
    else levels.set(e.price, level);
    if (cancelled <= 0) return [];
    const out: L2QueueEvent[] = [];
    for (const r of this.queueAt(e.instrument, e.side, e.price)) {
      if (r.ahead === 0) continue;
      // pro rata: ahead × size / queue, rounded up, and never more than the level now shows
      const share = (BigInt(r.ahead) * BigInt(e.size) + BigInt(queue) - 1n) / BigInt(queue);
      const kept = Math.min(Number(share), e.size);
      if (kept === r.ahead) continue;
      r.ahead = kept;
      out.push({ type: "QueueAdvanced", tsUs: e.tsUs, id: r.order.id, ahead: asQuantity(kept), by: "cancel" });
    }
    return out;
  }

  private onTrade(e: Extract<L2Event, { type: "trade" }>): L2QueueEvent[] {
    const out: L2QueueEvent[] = [];
    const book = this.book(e.instrument);
    for (const side of this.sidesTaken(e)) {
      const level = book[side].get(e.price);
      if (level) level.tradedSinceUpdate += e.size;
      // what is left of the print for each of our orders after the recorded size and our earlier orders ahead of it
      let oursAhead = 0;
      for (const r of this.queueAt(e.instrument, side, e.price)) {
        const left = Math.max(0, e.size - r.ahead - oursAhead);
        oursAhead += r.leaves;
        if (r.ahead > 0) {
          r.ahead = Math.max(0, r.ahead - e.size);
          out.push({ type: "QueueAdvanced", tsUs: e.tsUs, id: r.order.id, ahead: asQuantity(r.ahead), by: "trade" });
        }
        if (left > 0) this.fill(r, Math.min(left, r.leaves), e.tsUs, out);
      }
    }
    for (const side of ["BID", "ASK"] as const)
      for (const r of this.sweptBy(e.instrument, side, e.price)) this.fill(r, r.leaves, e.tsUs, out);
    return out;
  }

  /**
   * The side whose queue a print consumed: the aggressor's opposite; without one, the side recorded at its price
   * (both where both or neither are).
   */
  private sidesTaken(e: Extract<L2Event, { type: "trade" }>): readonly BookSide[] {
    if (e.aggressor !== undefined) return [e.aggressor === Side.Buy ? "ASK" : "BID"];
    const book = this.book(e.instrument);
    const bid = book.BID.has(e.price);
    const ask = book.ASK.has(e.price);
    return bid === ask ? ["BID", "ASK"] : bid ? ["BID"] : ["ASK"];
  }

  private fill(r: Resting, quantity: number, tsUs: number, out: L2QueueEvent[]): void {
    r.leaves -= quantity;
    if (r.leaves === 0) this.resting.delete(r.order.id);
    out.push({
      type: "Filled",
      tsUs,
      id: r.order.id,
      price: r.order.price,
      quantity: asQuantity(quantity),
      leaves: asQuantity(r.leaves),
      liquidity: "MAKER",
    });
  }

  /** Our orders resting at one price of one side, in time priority. */
  private queueAt(instrument: string, side: BookSide, price: number): Resting[] {
    const out: Resting[] = [];
    for (const r of this.resting.values())
      if (r.order.instrument === instrument && r.order.price === price && bookSide(r.order.side) === side) out.push(r);
    return out.sort((a, b) => a.rank - b.rank);
  }

  /** Our orders a print at `price` went through: bids above it, asks below it. */
  private sweptBy(instrument: string, side: BookSide, price: number): Resting[] {
    const out: Resting[] = [];
    for (const r of this.resting.values()) {
      if (r.order.instrument !== instrument || bookSide(r.order.side) !== side) continue;
      if (side === "BID" ? r.order.price > price : r.order.price < price) out.push(r);
    }
    return out.sort((a, b) => a.rank - b.rank);
  }

  private book(instrument: string): { BID: Map<number, Level>; ASK: Map<number, Level> } {
    let b = this.books.get(instrument);
    if (!b) {
      b = { BID: new Map(), ASK: new Map() };
      this.books.set(instrument, b);
    }
    return b;
  }

  private advanceClock(tsUs: number, what: string): void {
    if (!Number.isFinite(tsUs)) throw new L2QueueError(`${what}: time ${tsUs} is not a number of µs`);
    if (tsUs < this.lastUs) throw new L2QueueError(`${what} at ${tsUs} µs comes after ${this.lastUs} µs: events must be in time order`);
    this.lastUs = tsUs;
  }
}
