import { type Price, type Quantity, asPrice, asQuantity } from "../../domain/fixed.ts";
import { OrderType, Side, TimeInForce } from "../../domain/trading.ts";

// Integer codes of the record fields (kept in typed arrays).
export const BUY = 0;
export const T_MARKET = 0;
export const T_LIMIT = 1;
export const T_STOP = 2;
export const T_STOP_LIMIT = 3;
export const TIF_DAY = 0;
export const TIF_IOC = 2;
export const TIF_FOK = 3;
export const TIF_GTD = 4;
/** slot states: free, resting on a level, waiting for its stop, being matched */
export const S_FREE = 0;
export const S_RESTING = 1;
export const S_STOP = 2;
export const S_ACTIVE = 3;
export const POST_ONLY = 1;
export const REDUCE_ONLY = 2;

// Field offsets in the order records: `of` (floats) and `oi` (integers), 8 of each per slot.
export const F_ID = 0;
export const F_PRICE = 1;
export const F_STOP = 2;
export const F_QTY = 3;
export const F_LEAVES = 4;
export const F_CUM = 5;
export const F_EXPIRE = 6;
export const I_NEXT = 0;
export const I_PREV = 1;
export const I_LEVEL = 2;
export const I_STATE = 3;
export const I_SIDE = 4;
export const I_TYPE = 5;
export const I_TIF = 6;
export const I_FLAGS = 7;

const TYPES: readonly OrderType[] = [OrderType.Market, OrderType.Limit, OrderType.Stop, OrderType.StopLimit];
const TIFS: readonly TimeInForce[] = [TimeInForce.Day, TimeInForce.Gtc, TimeInForce.Ioc, TimeInForce.Fok, TimeInForce.Gtd];

/** The record code of an order type; -1 outside the enumeration. */
export const typeCode = (t: OrderType): number =>
  t === OrderType.Limit
    ? T_LIMIT
    : t === OrderType.Market
      ? T_MARKET
      : t === OrderType.Stop
        ? T_STOP
        : t === OrderType.StopLimit
          ? T_STOP_LIMIT
          : -1;
/** The record code of a time in force; -1 outside the enumeration. */
export const tifCode = (t: TimeInForce): number =>
  t === TimeInForce.Gtc
    ? 1
    : t === TimeInForce.Day
      ? 0
      : t === TimeInForce.Ioc
        ? 2
        : t === TimeInForce.Fok
          ? 3
          : t === TimeInForce.Gtd
            ? 4
            : -1;

export interface OpenOrder {
  orderId: number;
  clientOrderId: string | undefined;
  owner: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  price: Price;
  stopPrice: Price;
  quantity: Quantity;
  leaves: Quantity;
  cum: Quantity;
  postOnly: boolean;
  reduceOnly: boolean;
  expireAtUs: number;
  /** true while it waits for its stop price */
  pendingStop: boolean;
  /** its one-cancels-other group, if any */
  ocoGroup?: string;
}

/**
 * The engine's orders as records of 8 numbers in two typed arrays, indexed by slot; a free list reuses slots.
 * Array of structs, one 64-byte line per order for the float fields: a random cancel or a fill then touches two
 * cache lines instead of one per field.
 * of: id, price, stop, qty, leaves, cum, expireAt, (spare); oi: next, prev, level, state, side, type, tif, flags.
 * The arrays are replaced when the pool grows: read `of`/`oi` from the pool, never keep them across an `alloc`.
 */
export class OrderPool {
  of = new Float64Array(0);
  oi = new Int32Array(0);
  readonly owner: string[] = [];
  readonly client: (string | undefined)[] = [];
  /** order id → slot of every open order (resting or pending stop): O(1) cancel */
  readonly ids = new Map<number, number>();
  private cap = 0;
  private readonly freeSlots: number[] = [];
  private usedSlots = 0;

  constructor(initialCapacity: number) {
    this.grow(initialCapacity);
  }

  alloc(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    if (this.usedSlots === this.cap) this.grow(this.cap * 2);
    return this.usedSlots++;
  }

  /** Owner and client id references stay until the slot is reused: bounded by the pool size, and two fewer stores. */
  release(s: number): void {
    this.oi[s * 8 + I_STATE] = S_FREE;
    this.freeSlots.push(s);
  }

  /** A new total quantity (filled part included): leaves follow. */
  setQuantity(s: number, qty: number): void {
    this.of[s * 8 + F_LEAVES] = qty - this.of[s * 8 + F_CUM]!;
    this.of[s * 8 + F_QTY] = qty;
  }

  leavesAt(s: number): Quantity {
    return asQuantity(this.of[s * 8 + F_LEAVES]!);
  }

  describe(s: number): OpenOrder {
    const of = this.of;
    const oi = this.oi;
    return {
      orderId: of[s * 8 + F_ID]!,
      clientOrderId: this.client[s],
      owner: this.owner[s]!,
      side: oi[s * 8 + I_SIDE] === BUY ? Side.Buy : Side.Sell,
      type: TYPES[oi[s * 8 + I_TYPE]!]!,
      timeInForce: TIFS[oi[s * 8 + I_TIF]!]!,
      price: asPrice(of[s * 8 + F_PRICE]!),
      stopPrice: asPrice(of[s * 8 + F_STOP]!),
      quantity: asQuantity(of[s * 8 + F_QTY]!),
      leaves: asQuantity(of[s * 8 + F_LEAVES]!),
      cum: asQuantity(of[s * 8 + F_CUM]!),
      postOnly: (oi[s * 8 + I_FLAGS]! & POST_ONLY) !== 0,
      reduceOnly: (oi[s * 8 + I_FLAGS]! & REDUCE_ONLY) !== 0,
      expireAtUs: of[s * 8 + F_EXPIRE]!,
      pendingStop: oi[s * 8 + I_STATE] === S_STOP,
    };
  }

  private grow(cap: number): void {
    const of = new Float64Array(cap * 8);
    of.set(this.of);
    const oi = new Int32Array(cap * 8);
    oi.set(this.oi);
    this.of = of;
    this.oi = oi;
    for (let i = this.cap; i < cap; i++) {
      this.owner.push("");
      this.client.push(undefined);
    }
    this.cap = cap;
  }
}
