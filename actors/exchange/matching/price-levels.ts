import { type Price, type Quantity, asPrice, asQuantity } from "../../domain/fixed.ts";
import { Side } from "../../domain/trading.ts";
import { BUY, F_ID, F_LEAVES, F_PRICE, I_LEVEL, I_NEXT, I_PREV, I_SIDE, I_STATE, type OrderPool, S_RESTING } from "./order-pool.ts";

export interface BookLevel {
  price: Price;
  quantity: Quantity;
  orders: number;
}

export interface L2Book {
  bids: BookLevel[];
  asks: BookLevel[];
}

/** Best prices and sizes; a missing side has price 0 and quantity 0. */
export interface TopOfBook {
  bidPrice: Price;
  bidQuantity: Quantity;
  askPrice: Price;
  askQuantity: Quantity;
}

/**
 * The price levels of both sides. Each level is a FIFO doubly linked list threaded through the order records
 * (`next`/`prev`), with its total and count in a level pool of typed arrays. Each side keeps its live levels in a
 * plain array sorted so the best level is LAST (bids ascending, asks descending): the top is `arr[arr.length - 1]`,
 * and levels born or dying near the top move few elements. `Map`s from tick index give price → level.
 */
export class PriceLevels {
  price = new Float64Array(0);
  qty = new Float64Array(0);
  head = new Int32Array(0);
  tail = new Int32Array(0);
  count = new Int32Array(0);
  /** level indices, best last: bids ascending by price, asks descending */
  readonly bids: number[] = [];
  readonly asks: number[] = [];
  /** tick index (price / tick: a small integer, cheap to hash) → level */
  readonly bidAt = new Map<number, number>();
  readonly askAt = new Map<number, number>();
  private cap = 0;
  private readonly freeLevels: number[] = [];
  private usedLevels = 0;

  constructor(
    private readonly pool: OrderPool,
    readonly tick: number,
    initialCapacity: number,
  ) {
    this.grow(initialCapacity);
  }

  /** Appends slot `s` to the back of the queue at its price, creating the level if needed. */
  rest(s: number): void {
    const pool = this.pool;
    const buy = pool.oi[s * 8 + I_SIDE] === BUY;
    const price = pool.of[s * 8 + F_PRICE]!;
    const at = buy ? this.bidAt : this.askAt;
    let lv = at.get(price / this.tick);
    if (lv === undefined) {
      lv = this.alloc(price);
      at.set(price / this.tick, lv);
      this.insert(buy ? this.bids : this.asks, lv, price, buy);
    }
    const oi = pool.oi;
    const tail = this.tail[lv]!;
    oi[s * 8 + I_PREV] = tail;
    oi[s * 8 + I_NEXT] = -1;
    if (tail === -1) this.head[lv] = s;
    else oi[tail * 8 + I_NEXT] = s;
    this.tail[lv] = s;
    this.count[lv] = this.count[lv]! + 1;
    this.qty[lv] = this.qty[lv]! + pool.of[s * 8 + F_LEAVES]!;
    oi[s * 8 + I_LEVEL] = lv;
    oi[s * 8 + I_STATE] = S_RESTING;
    pool.ids.set(pool.of[s * 8 + F_ID]!, s);
  }

  /** Takes slot `s` out of level `lv`'s queue and total (the level stays, even if empty). */
  unlink(s: number, lv: number): void {
    const oi = this.pool.oi;
    const prev = oi[s * 8 + I_PREV]!;
    const next = oi[s * 8 + I_NEXT]!;
    if (prev === -1) this.head[lv] = next;
    else oi[prev * 8 + I_NEXT] = next;
    if (next === -1) this.tail[lv] = prev;
    else oi[next * 8 + I_PREV] = prev;
    this.count[lv] = this.count[lv]! - 1;
    this.qty[lv] = this.qty[lv]! - this.pool.of[s * 8 + F_LEAVES]!;
  }

  /** Removes an empty level from its side, wherever it sits. */
  remove(buy: boolean, lv: number): void {
    const arr = buy ? this.bids : this.asks;
    const price = this.price[lv]!;
    let i = arr.length - 1;
    if (arr[i] !== lv) {
      let lo = 0;
      let hi = arr.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = this.price[arr[mid]!]!;
        if (buy ? p < price : p > price) lo = mid + 1;
        else hi = mid;
      }
      for (i = lo; i < arr.length - 1; i++) arr[i] = arr[i + 1]!;
    }
    arr.pop();
    (buy ? this.bidAt : this.askAt).delete(price / this.tick);
    this.freeLevels.push(lv);
  }

  /** Removes the best level of one side (the match loop emptied it). */
  dropBest(book: number[], at: Map<number, number>, lv: number): void {
    book.pop();
    at.delete(this.price[lv]! / this.tick);
    this.freeLevels.push(lv);
  }

  bestBid(): Price {
    const n = this.bids.length;
    return asPrice(n === 0 ? 0 : this.price[this.bids[n - 1]!]!);
  }

  bestAsk(): Price {
    const n = this.asks.length;
    return asPrice(n === 0 ? 0 : this.price[this.asks[n - 1]!]!);
  }

  /** Would a limit order at `price` on `side` take liquidity now? */
  crosses(side: number, price: number): boolean {
    if (side === BUY) {
      const a = this.bestAsk();
      return a > 0 && price >= a;
    }
    const b = this.bestBid();
    return b > 0 && price <= b;
  }

  top(): TopOfBook {
    const b = this.bids.length === 0 ? -1 : this.bids[this.bids.length - 1]!;
    const a = this.asks.length === 0 ? -1 : this.asks[this.asks.length - 1]!;
    return {
      bidPrice: asPrice(b < 0 ? 0 : this.price[b]!),
      bidQuantity: asQuantity(b < 0 ? 0 : this.qty[b]!),
      askPrice: asPrice(a < 0 ? 0 : this.price[a]!),
      askQuantity: asQuantity(a < 0 ? 0 : this.qty[a]!),
    };
  }

  /** Aggregated levels, best first, at most `depth` per side. */
  l2(depth: number): L2Book {
    const side = (arr: number[]): BookLevel[] => {
      const out: BookLevel[] = [];
      for (let i = arr.length - 1; i >= 0 && out.length < depth; i--) {
        const lv = arr[i]!;
        out.push({ price: asPrice(this.price[lv]!), quantity: asQuantity(this.qty[lv]!), orders: this.count[lv]! });
      }
      return out;
    };
    return { bids: side(this.bids), asks: side(this.asks) };
  }

  /** Resting order ids of one level in queue order. */
  queueAt(side: Side, price: Price): number[] {
    const lv = (side === Side.Buy ? this.bidAt : this.askAt).get(price / this.tick);
    const out: number[] = [];
    if (lv === undefined) return out;
    for (let s = this.head[lv]!; s !== -1; s = this.pool.oi[s * 8 + I_NEXT]!) out.push(this.pool.of[s * 8 + F_ID]!);
    return out;
  }

  /** Best level last: bids ascending (`ascending` true), asks descending. Binary search, then shift the tail. */
  private insert(arr: number[], lv: number, price: number, ascending: boolean): void {
    const lvPrice = this.price;
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = lvPrice[arr[mid]!]!;
      if (ascending ? p < price : p > price) lo = mid + 1;
      else hi = mid;
    }
    arr.push(lv);
    for (let i = arr.length - 1; i > lo; i--) arr[i] = arr[i - 1]!;
    arr[lo] = lv;
  }

  private alloc(price: number): number {
    let lv: number;
    if (this.freeLevels.length > 0) lv = this.freeLevels.pop()!;
    else {
      if (this.usedLevels === this.cap) this.grow(this.cap * 2);
      lv = this.usedLevels++;
    }
    this.price[lv] = price;
    this.qty[lv] = 0;
    this.head[lv] = -1;
    this.tail[lv] = -1;
    this.count[lv] = 0;
    return lv;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.price = f64(this.price);
    this.qty = f64(this.qty);
    this.head = i32(this.head);
    this.tail = i32(this.tail);
    this.count = i32(this.count);
    this.cap = cap;
  }
}
