import type { Price, Quantity } from "../../domain/fixed.ts";
import { OrderType, Side, TimeInForce, TradingStatus } from "../../domain/trading.ts";
import { CancelReason, RejectReason, StpMode } from "./codes.ts";
import { feeRateCbps } from "./fees.ts";
import {
  KIND_ACCEPTED,
  KIND_CANCEL_REJECTED,
  KIND_CANCELLED,
  KIND_EXPIRED,
  KIND_REJECTED,
  KIND_REPLACED,
  KIND_TRIGGERED,
  LIQ_MAKER,
  LIQ_TAKER,
  type MatchEvent,
  MatchJournal,
} from "./journal.ts";

export interface MatchingEngineConfig {
  /** `SYMBOL.VENUE` */
  instrument: string;
  /** price increment in 1e-8 units; every price must be a multiple */
  tickSize: Price;
  /** quantity increment in 1e-8 units; every quantity must be a multiple */
  lotSize: Quantity;
  maxQuantity?: Quantity;
  /** basis points, at most two decimals; negative is a rebate. Default 0. */
  makerFeeBps?: number;
  takerFeeBps?: number;
  /** limit prices further than this from the reference price are rejected; 0 or absent: no band */
  priceBandBps?: number;
  /** the band's centre; absent: the last trade price (no band before the first trade) */
  referencePrice?: Price;
  /** default CANCEL_NEWEST */
  stpMode?: StpMode;
  /** events kept for `eventsSince` (a power of two); default 2^18 (about 25 MB once full) */
  journalCapacity?: number;
}

/**
 * A new order. `reduceOnly` is carried and reported but not enforced here: whether an order reduces a position is
 * known to the order/risk layer that holds positions, not to the book.
 */
export interface OrderRequest {
  side: Side;
  type: OrderType;
  quantity: Quantity;
  /** LIMIT and STOP_LIMIT only */
  price?: Price;
  /** STOP and STOP_LIMIT only: buy stops trigger when a trade prints at or above it, sell stops at or below */
  stopPrice?: Price;
  timeInForce: TimeInForce;
  /** GTD only: expiry, µs since the epoch */
  expireAtUs?: number;
  postOnly?: boolean;
  reduceOnly?: boolean;
  /** account for self-trade prevention */
  owner: string;
  clientOrderId?: string;
}

/** Amend: `quantity` is the new total order quantity (filled part included), as in FIX OrderQty. */
export interface ReplaceRequest {
  quantity?: Quantity;
  price?: Price;
  stopPrice?: Price;
}

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
}

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

// Integer codes of the columns (kept in Uint8Arrays).
const BUY = 0;
const T_MARKET = 0;
const T_LIMIT = 1;
const T_STOP = 2;
const T_STOP_LIMIT = 3;
const TIF_DAY = 0;
const TIF_IOC = 2;
const TIF_FOK = 3;
const TIF_GTD = 4;
const S_FREE = 0;
const S_RESTING = 1;
const S_STOP = 2;
const S_ACTIVE = 3;
const POST_ONLY = 1;
const REDUCE_ONLY = 2;

// Field offsets in the order records (see `of` and `oi` in MatchingEngine).
const F_ID = 0;
const F_PRICE = 1;
const F_STOP = 2;
const F_QTY = 3;
const F_LEAVES = 4;
const F_CUM = 5;
const F_EXPIRE = 6;
const I_NEXT = 0;
const I_PREV = 1;
const I_LEVEL = 2;
const I_STATE = 3;
const I_SIDE = 4;
const I_TYPE = 5;
const I_TIF = 6;
const I_FLAGS = 7;

const TYPES: readonly OrderType[] = [OrderType.Market, OrderType.Limit, OrderType.Stop, OrderType.StopLimit];
const TIFS: readonly TimeInForce[] = [TimeInForce.Day, TimeInForce.Gtc, TimeInForce.Ioc, TimeInForce.Fok, TimeInForce.Gtd];
const typeCode = (t: OrderType): number =>
  t === OrderType.Limit ? T_LIMIT : t === OrderType.Market ? T_MARKET : t === OrderType.Stop ? T_STOP : t === OrderType.StopLimit ? T_STOP_LIMIT : -1;
const tifCode = (t: TimeInForce): number =>
  t === TimeInForce.Gtc ? 1 : t === TimeInForce.Day ? 0 : t === TimeInForce.Ioc ? 2 : t === TimeInForce.Fok ? 3 : t === TimeInForce.Gtd ? 4 : -1;
const validUnits = (v: number): boolean => Number.isSafeInteger(v) && v > 0;

/**
 * A price-time priority limit order book for one instrument, with its matching engine.
 *
 * Layout, for speed: orders live in a pool of fixed-size records in two typed arrays, indexed by slot (a free list
 * reuses slots); each price level is a FIFO doubly linked list threaded through the records (`next`/`prev`), with
 * its total and count in a level pool. Each side keeps its live levels in a plain array sorted so the best level is LAST
 * (bids ascending, asks descending): the top is `arr[arr.length - 1]`, and levels born or dying near the top
 * move few elements. `Map`s give price → level and order id → slot (O(1) cancel). The match loop allocates
 * nothing: events go to a columnar journal (see journal.ts).
 *
 * Rules (documented where a venue could choose otherwise):
 * - The execution price is the resting (maker) order's price.
 * - MARKET orders and IOC/FOK remainders never rest; what does not fill is cancelled (reason UNFILLED).
 * - FOK is checked all-or-nothing before any fill, counting only liquidity it could really take (STP included).
 * - Post-only orders that would take liquidity are rejected (a replace that would make them take is refused).
 * - Stops wait off-book and trigger on a trade at or through the stop price (buy: trade ≥ stop, sell: trade ≤
 *   stop), earliest stop price first, then time; a stop submitted already through the last trade triggers at
 *   once. STOP becomes MARKET, STOP_LIMIT becomes LIMIT, both keep their id and time in force.
 * - GTD orders leave at `expire(nowUs)` once `expireAtUs ≤ nowUs`; DAY orders at `closeSession(nowUs)`.
 * - Replace: a smaller quantity at the same price keeps the queue position; a price change or a larger quantity
 *   goes to the back of the queue (and may trade at once if the new price crosses).
 * - Halted: new orders and replaces are rejected; cancels are accepted.
 */
export class MatchingEngine {
  readonly instrument: string;
  readonly journal: MatchJournal;
  private readonly tick: number;
  private readonly lot: number;
  private readonly maxQty: number;
  private makerRate: number;
  private takerRate: number;
  private readonly bandBps: number;
  private refPrice: number;
  private bandLow = 0;
  private bandHigh = Number.MAX_VALUE;
  private bandFor = -1;
  readonly stpMode: StpMode;
  private readonly stp: boolean;
  status: TradingStatus = TradingStatus.Open;
  /** price of the last trade, 0 before the first */
  lastTradePrice = 0;

  // order pool
  private cap = 0;
  /**
   * Orders as records of 8 numbers (array of structs, one 64-byte line per order for the float fields): a random
   * cancel or a fill then touches two cache lines instead of one per field.
   * of: id, price, stop, qty, leaves, cum, expireAt, (spare); oi: next, prev, level, state, side, type, tif, flags.
   */
  private of = new Float64Array(0);
  private oi = new Int32Array(0);
  private oOwner: string[] = [];
  private oClient: (string | undefined)[] = [];
  private freeSlots: number[] = [];
  private usedSlots = 0;
  private readonly ids = new Map<number, number>();
  private nextOrderId = 1;
  private nextTradeId = 1;

  // level pool
  private lvCap = 0;
  private lvPrice = new Float64Array(0);
  private lvQty = new Float64Array(0);
  private lvHead = new Int32Array(0);
  private lvTail = new Int32Array(0);
  private lvCount = new Int32Array(0);
  private freeLevels: number[] = [];
  private usedLevels = 0;
  /** level indices, best last: bids ascending by price, asks descending */
  private readonly bids: number[] = [];
  private readonly asks: number[] = [];
  /** tick index (price / tick: a small integer, cheap to hash) → level */
  private readonly bidAt = new Map<number, number>();
  private readonly askAt = new Map<number, number>();

  /** stop slots, next to trigger last: buy stops by stop price descending, sell stops ascending */
  private readonly buyStops: number[] = [];
  private readonly sellStops: number[] = [];
  /** GTD orders as (slot, id) pairs; an entry whose slot no longer holds that id is dropped at expiry */
  private gtdSlots: number[] = [];
  private gtdIds: number[] = [];
  /** earliest expiry among them (a lower bound once some have left), so `expire` is O(1) until then */
  private gtdNextUs = Number.POSITIVE_INFINITY;

  constructor(config: MatchingEngineConfig) {
    this.instrument = config.instrument;
    if (!validUnits(config.tickSize)) throw new RangeError(`tickSize ${config.tickSize} must be a positive integer of 1e-8 units`);
    if (!validUnits(config.lotSize)) throw new RangeError(`lotSize ${config.lotSize} must be a positive integer of 1e-8 units`);
    this.tick = config.tickSize;
    this.lot = config.lotSize;
    this.maxQty = config.maxQuantity ?? Number.MAX_SAFE_INTEGER;
    this.makerRate = feeRateCbps(config.makerFeeBps ?? 0, "makerFeeBps");
    this.takerRate = feeRateCbps(config.takerFeeBps ?? 0, "takerFeeBps");
    const band = config.priceBandBps ?? 0;
    if (!(band >= 0 && Number.isInteger(band))) throw new RangeError(`priceBandBps ${band} must be a non-negative integer`);
    this.bandBps = band;
    this.refPrice = config.referencePrice ?? 0;
    this.stpMode = config.stpMode ?? StpMode.CancelNewest;
    this.stp = this.stpMode !== StpMode.None;
    this.journal = new MatchJournal(config.journalCapacity);
    this.growOrders(1024);
    this.growLevels(256);
  }

  get tickSize(): Price {
    return this.tick;
  }

  get lotSize(): Quantity {
    return this.lot;
  }

  /** Trades so far. */
  get tradeCount(): number {
    return this.nextTradeId - 1;
  }

  /** Sequence number of the last event; events after it are the next command's. */
  get lastSeq(): number {
    return this.journal.lastSeq;
  }

  /** The id the next submitted order will get (ids are assigned to every submission, rejected ones included). */
  get nextId(): number {
    return this.nextOrderId;
  }

  setStatus(status: TradingStatus): void {
    this.status = status;
  }

  /** Centre of the price band from now on (the simulated exchange sets it from its reference quote). */
  setReferencePrice(price: Price): void {
    this.refPrice = price;
  }

  setFees(makerFeeBps: number, takerFeeBps: number): void {
    this.makerRate = feeRateCbps(makerFeeBps, "makerFeeBps");
    this.takerRate = feeRateCbps(takerFeeBps, "takerFeeBps");
  }

  // ---------------------------------------------------------------- commands

  /** Submits a new order; returns its order id. The outcome is in the journal (Accepted/Rejected, fills...). */
  submit(r: OrderRequest, nowUs: number): number {
    const id = this.nextOrderId++;
    const side = r.side === Side.Buy ? 0 : 1;
    const type = typeCode(r.type);
    const tif = tifCode(r.timeInForce);
    const reason = this.check(r, side, type, tif, nowUs);
    if (reason !== undefined) {
      this.journal.order(KIND_REJECTED, nowUs, id, r.clientOrderId, r.owner, side, r.price ?? 0, r.quantity, 0, 0, reason);
      return id;
    }
    const s = this.allocOrder();
    this.of[s * 8 + F_ID] = id;
    this.oi[s * 8 + I_SIDE] = side;
    this.oi[s * 8 + I_TYPE] = type;
    this.oi[s * 8 + I_TIF] = tif;
    this.oi[s * 8 + I_FLAGS] = (r.postOnly ? POST_ONLY : 0) | (r.reduceOnly ? REDUCE_ONLY : 0);
    this.of[s * 8 + F_PRICE] = r.price ?? 0;
    this.of[s * 8 + F_STOP] = r.stopPrice ?? 0;
    this.of[s * 8 + F_QTY] = r.quantity;
    this.of[s * 8 + F_LEAVES] = r.quantity;
    this.of[s * 8 + F_CUM] = 0;
    this.of[s * 8 + F_EXPIRE] = tif === TIF_GTD ? r.expireAtUs! : 0;
    this.oOwner[s] = r.owner;
    this.oClient[s] = r.clientOrderId;
    this.oi[s * 8 + I_STATE] = S_ACTIVE;
    this.journal.order(KIND_ACCEPTED, nowUs, id, r.clientOrderId, r.owner, side, this.of[s * 8 + F_PRICE]!, r.quantity, r.quantity, 0, undefined);
    if (tif === TIF_GTD) {
      this.gtdSlots.push(s);
      this.gtdIds.push(id);
      if (r.expireAtUs! < this.gtdNextUs) this.gtdNextUs = r.expireAtUs!;
    }
    if (type >= T_STOP) {
      this.oi[s * 8 + I_STATE] = S_STOP;
      this.ids.set(id, s);
      this.insertStop(s);
    } else {
      this.execute(s, nowUs);
    }
    this.runStops(nowUs);
    return id;
  }

  /** Cancels an open order (resting or pending stop). With `owner`, only that owner's order. */
  cancel(orderId: number, nowUs: number, owner?: string): boolean {
    const s = this.ids.get(orderId);
    if (s === undefined) {
      this.journal.order(KIND_CANCEL_REJECTED, nowUs, orderId, undefined, owner ?? "", 0, 0, 0, 0, 0, RejectReason.UnknownOrder);
      return false;
    }
    if (owner !== undefined && owner !== this.oOwner[s]) {
      this.journal.order(KIND_CANCEL_REJECTED, nowUs, orderId, undefined, owner, this.oi[s * 8 + I_SIDE]!, 0, 0, 0, 0, RejectReason.NotOwner);
      return false;
    }
    this.unlinkLive(s);
    this.finish(s, KIND_CANCELLED, nowUs, CancelReason.Requested);
    return true;
  }

  /** Amends an open order; see the class comment for the priority rules. */
  replace(orderId: number, r: ReplaceRequest, nowUs: number, owner?: string): boolean {
    const s = this.ids.get(orderId);
    if (s === undefined) return this.refuse(orderId, -1, owner, nowUs, RejectReason.UnknownOrder);
    if (owner !== undefined && owner !== this.oOwner[s]) return this.refuse(orderId, s, owner, nowUs, RejectReason.NotOwner);
    const statusReason = this.statusReason();
    if (statusReason !== undefined) return this.refuse(orderId, s, owner, nowUs, statusReason);
    const type = this.oi[s * 8 + I_TYPE]!;
    const isStop = this.oi[s * 8 + I_STATE] === S_STOP;
    const qty = r.quantity ?? this.of[s * 8 + F_QTY]!;
    const price = r.price ?? this.of[s * 8 + F_PRICE]!;
    const stop = r.stopPrice ?? this.of[s * 8 + F_STOP]!;
    if (r.quantity !== undefined) {
      if (!validUnits(qty)) return this.refuse(orderId, s, owner, nowUs, RejectReason.InvalidQuantity);
      if (qty % this.lot !== 0) return this.refuse(orderId, s, owner, nowUs, RejectReason.QuantityOffLot);
      if (qty > this.maxQty) return this.refuse(orderId, s, owner, nowUs, RejectReason.QuantityAboveMax);
      if (qty <= this.of[s * 8 + F_CUM]!) return this.refuse(orderId, s, owner, nowUs, RejectReason.ReplaceQuantityNotAboveFilled);
    }
    if (r.price !== undefined) {
      if (type !== T_LIMIT && type !== T_STOP_LIMIT) return this.refuse(orderId, s, owner, nowUs, RejectReason.PriceNotAllowed);
      const pr = this.priceReason(price);
      if (pr !== undefined) return this.refuse(orderId, s, owner, nowUs, pr);
    }
    if (r.stopPrice !== undefined) {
      if (!isStop) return this.refuse(orderId, s, owner, nowUs, RejectReason.StopPriceNotAllowed);
      if (!validUnits(stop)) return this.refuse(orderId, s, owner, nowUs, RejectReason.InvalidPrice);
      if (stop % this.tick !== 0) return this.refuse(orderId, s, owner, nowUs, RejectReason.PriceOffTick);
    }
    const side = this.oi[s * 8 + I_SIDE]!;
    if (isStop) {
      this.removeStop(s);
      this.setQuantity(s, qty);
      this.of[s * 8 + F_PRICE] = price;
      this.of[s * 8 + F_STOP] = stop;
      this.insertStop(s);
      this.replaced(s, nowUs);
      this.runStops(nowUs);
      return true;
    }
    if (price === this.of[s * 8 + F_PRICE] && qty <= this.of[s * 8 + F_QTY]!) {
      // smaller or same quantity at the same price: keep the queue position
      const lv = this.oi[s * 8 + I_LEVEL]!;
      this.lvQty[lv] = this.lvQty[lv]! - (this.of[s * 8 + F_QTY]! - qty);
      this.setQuantity(s, qty);
      this.replaced(s, nowUs);
      return true;
    }
    if ((this.oi[s * 8 + I_FLAGS]! & POST_ONLY) !== 0 && this.crosses(side, price)) return this.refuse(orderId, s, owner, nowUs, RejectReason.PostOnlyWouldTake);
    this.unlinkLive(s);
    this.setQuantity(s, qty);
    this.of[s * 8 + F_PRICE] = price;
    this.oi[s * 8 + I_STATE] = S_ACTIVE;
    this.replaced(s, nowUs);
    this.execute(s, nowUs);
    this.runStops(nowUs);
    return true;
  }

  /** Journals a refused replace; the order (if any) is unchanged. */
  private refuse(orderId: number, s: number, owner: string | undefined, nowUs: number, reason: RejectReason): false {
    this.journal.order(KIND_CANCEL_REJECTED, nowUs, orderId, undefined, owner ?? "", s < 0 ? 0 : this.oi[s * 8 + I_SIDE]!, 0, 0, 0, 0, reason);
    return false;
  }

  /** Expires GTD orders whose time has come. Returns how many expired. */
  expire(nowUs: number): number {
    if (nowUs < this.gtdNextUs) return 0;
    let next = Number.POSITIVE_INFINITY;
    let n = 0;
    let w = 0;
    const slots = this.gtdSlots;
    const ids = this.gtdIds;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const id = ids[i]!;
      if (this.oi[s * 8 + I_STATE] === S_FREE || this.of[s * 8 + F_ID] !== id) continue;
      if (this.of[s * 8 + F_EXPIRE]! <= nowUs) {
        this.unlinkLive(s);
        this.finish(s, KIND_EXPIRED, nowUs, CancelReason.Expired);
        n++;
        continue;
      }
      if (this.of[s * 8 + F_EXPIRE]! < next) next = this.of[s * 8 + F_EXPIRE]!;
      slots[w] = s;
      ids[w++] = id;
    }
    slots.length = w;
    ids.length = w;
    this.gtdNextUs = next;
    return n;
  }

  /** End of the trading day: DAY orders (resting and pending stops) expire. Returns how many. */
  closeSession(nowUs: number): number {
    const day: number[] = [];
    for (const s of this.ids.values()) if (this.oi[s * 8 + I_TIF] === TIF_DAY) day.push(s);
    day.sort((a, b) => this.of[a * 8 + F_ID]! - this.of[b * 8 + F_ID]!);
    for (const s of day) {
      this.unlinkLive(s);
      this.finish(s, KIND_EXPIRED, nowUs, CancelReason.SessionClosed);
    }
    return day.length;
  }

  // ---------------------------------------------------------------- queries

  bestBid(): Price {
    const n = this.bids.length;
    return n === 0 ? 0 : this.lvPrice[this.bids[n - 1]!]!;
  }

  bestAsk(): Price {
    const n = this.asks.length;
    return n === 0 ? 0 : this.lvPrice[this.asks[n - 1]!]!;
  }

  top(): TopOfBook {
    const b = this.bids.length === 0 ? -1 : this.bids[this.bids.length - 1]!;
    const a = this.asks.length === 0 ? -1 : this.asks[this.asks.length - 1]!;
    return {
      bidPrice: b < 0 ? 0 : this.lvPrice[b]!,
      bidQuantity: b < 0 ? 0 : this.lvQty[b]!,
      askPrice: a < 0 ? 0 : this.lvPrice[a]!,
      askQuantity: a < 0 ? 0 : this.lvQty[a]!,
    };
  }

  /** Aggregated levels, best first, at most `depth` per side. */
  l2(depth = 10): L2Book {
    const side = (arr: number[]): BookLevel[] => {
      const out: BookLevel[] = [];
      for (let i = arr.length - 1; i >= 0 && out.length < depth; i--) {
        const lv = arr[i]!;
        out.push({ price: this.lvPrice[lv]!, quantity: this.lvQty[lv]!, orders: this.lvCount[lv]! });
      }
      return out;
    };
    return { bids: side(this.bids), asks: side(this.asks) };
  }

  /** Resting order ids of one level in queue order (tests and diagnostics). */
  queueAt(side: Side, price: Price): number[] {
    const lv = (side === Side.Buy ? this.bidAt : this.askAt).get(price / this.tick);
    const out: number[] = [];
    if (lv === undefined) return out;
    for (let s = this.lvHead[lv]!; s !== -1; s = this.oi[s * 8 + I_NEXT]!) out.push(this.of[s * 8 + F_ID]!);
    return out;
  }

  order(orderId: number): OpenOrder | undefined {
    const s = this.ids.get(orderId);
    return s === undefined ? undefined : this.describe(s);
  }

  /** Open orders (resting and pending stops), oldest first, of one owner or of all. */
  openOrders(owner?: string): OpenOrder[] {
    const out: OpenOrder[] = [];
    for (const s of this.ids.values()) if (owner === undefined || this.oOwner[s] === owner) out.push(this.describe(s));
    return out.sort((a, b) => a.orderId - b.orderId);
  }

  get openOrderCount(): number {
    return this.ids.size;
  }

  eventsSince(seq: number): MatchEvent[] {
    return this.journal.since(seq);
  }

  /** Executions (both sides of each fill) with sequence number > seq. */
  executionsSince(seq: number): MatchEvent[] {
    return this.journal.since(seq, true);
  }

  // ---------------------------------------------------------------- validation

  private statusReason(): RejectReason | undefined {
    if (this.status === TradingStatus.Open) return undefined;
    return this.status === TradingStatus.Halted ? RejectReason.InstrumentHalted : RejectReason.MarketClosed;
  }

  private priceReason(price: number): RejectReason | undefined {
    if (!validUnits(price)) return RejectReason.InvalidPrice;
    if (price % this.tick !== 0) return RejectReason.PriceOffTick;
    if (this.bandBps > 0) {
      const ref = this.refPrice > 0 ? this.refPrice : this.lastTradePrice;
      if (ref > 0) {
        if (ref !== this.bandFor) {
          // exact bounds; recomputed only when the reference moves
          const width = Number((BigInt(ref) * BigInt(this.bandBps)) / 10_000n);
          this.bandLow = ref - width;
          this.bandHigh = ref + width;
          this.bandFor = ref;
        }
        if (price < this.bandLow || price > this.bandHigh) return RejectReason.PriceOutsideBand;
      }
    }
    return undefined;
  }

  private check(r: OrderRequest, side: number, type: number, tif: number, nowUs: number): RejectReason | undefined {
    const st = this.statusReason();
    if (st !== undefined) return st;
    if (type < 0 || tif < 0) return RejectReason.InvalidOrderType;
    const q = r.quantity;
    if (!validUnits(q)) return RejectReason.InvalidQuantity;
    if (q % this.lot !== 0) return RejectReason.QuantityOffLot;
    if (q > this.maxQty) return RejectReason.QuantityAboveMax;
    const hasLimit = type === T_LIMIT || type === T_STOP_LIMIT;
    if (hasLimit) {
      if (r.price === undefined) return RejectReason.PriceMissing;
      const pr = this.priceReason(r.price);
      if (pr !== undefined) return pr;
    } else if (r.price !== undefined) return RejectReason.PriceNotAllowed;
    if (type >= T_STOP) {
      if (r.stopPrice === undefined) return RejectReason.StopPriceMissing;
      if (!validUnits(r.stopPrice)) return RejectReason.InvalidPrice;
      if (r.stopPrice % this.tick !== 0) return RejectReason.PriceOffTick;
    } else if (r.stopPrice !== undefined) return RejectReason.StopPriceNotAllowed;
    if (tif === TIF_GTD) {
      if (r.expireAtUs === undefined) return RejectReason.ExpireTimeMissing;
      if (r.expireAtUs <= nowUs) return RejectReason.ExpireTimeInPast;
    }
    if (r.postOnly) {
      if (type !== T_LIMIT) return RejectReason.PostOnlyNotLimit;
      if (this.crosses(side, r.price!)) return RejectReason.PostOnlyWouldTake;
    }
    if (tif === TIF_FOK && type < T_STOP && !this.canFill(side, type === T_MARKET ? -1 : r.price!, q, r.owner)) {
      return RejectReason.FokCannotFill;
    }
    return undefined;
  }

  /** Would a limit order at `price` on `side` take liquidity now? */
  private crosses(side: number, price: number): boolean {
    if (side === BUY) {
      const a = this.bestAsk();
      return a > 0 && price >= a;
    }
    const b = this.bestBid();
    return b > 0 && price <= b;
  }

  /** FOK check: is there `qty` this order could take at `limit` (-1: market), given self-trade prevention? */
  private canFill(side: number, limit: number, qty: number, owner: string): boolean {
    const book = side === BUY ? this.asks : this.bids;
    let sum = 0;
    for (let i = book.length - 1; i >= 0; i--) {
      const lv = book[i]!;
      const p = this.lvPrice[lv]!;
      if (limit >= 0 && (side === BUY ? p > limit : p < limit)) return false;
      if (!this.stp) {
        sum += this.lvQty[lv]!;
        if (sum >= qty) return true;
        continue;
      }
      for (let m = this.lvHead[lv]!; m !== -1; m = this.oi[m * 8 + I_NEXT]!) {
        if (this.oOwner[m] === owner) {
          if (this.stpMode !== StpMode.CancelOldest) return false; // matching would stop here
          continue;
        }
        sum += this.of[m * 8 + F_LEAVES]!;
        if (sum >= qty) return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- matching

  /** Runs an accepted (or triggered, or re-priced) order against the book, then rests or cancels the rest. */
  private execute(s: number, nowUs: number): void {
    const type = this.oi[s * 8 + I_TYPE]!;
    const tif = this.oi[s * 8 + I_TIF]!;
    const side = this.oi[s * 8 + I_SIDE]!;
    if (tif === TIF_FOK && !this.canFill(side, type === T_MARKET ? -1 : this.of[s * 8 + F_PRICE]!, this.of[s * 8 + F_LEAVES]!, this.oOwner[s]!)) {
      this.finish(s, KIND_CANCELLED, nowUs, CancelReason.FokCannotFill);
      return;
    }
    if (!this.match(s, nowUs)) return; // done: filled or cancelled by self-trade prevention
    if (type === T_MARKET || tif === TIF_IOC || tif === TIF_FOK) {
      this.finish(s, KIND_CANCELLED, nowUs, CancelReason.Unfilled);
      return;
    }
    this.rest(s);
  }

  /**
   * Matches slot `t` against the opposite side. Returns true if it still has quantity and is live, false if it is
   * finished (filled, or cancelled by self-trade prevention; its slot is then freed).
   */
  private match(t: number, nowUs: number): boolean {
    const buy = this.oi[t * 8 + I_SIDE] === BUY;
    const book = buy ? this.asks : this.bids;
    const at = buy ? this.askAt : this.bidAt;
    const isMarket = this.oi[t * 8 + I_TYPE] === T_MARKET;
    const limit = this.of[t * 8 + F_PRICE]!;
    const owner = this.oOwner[t]!;
    const tid = this.of[t * 8 + F_ID]!;
    const tClient = this.oClient[t];
    const tSide = this.oi[t * 8 + I_SIDE]!;
    const journal = this.journal;
    const lvPrice = this.lvPrice;
    const lvQty = this.lvQty;
    const of = this.of;
    const oi = this.oi;
    let leaves = of[t * 8 + F_LEAVES]!;
    let cum = of[t * 8 + F_CUM]!;
    let lastPrice = 0;
    let takerCancelled = false;
    while (leaves > 0 && book.length > 0) {
      const lv = book[book.length - 1]!;
      const price = lvPrice[lv]!;
      if (!isMarket && (buy ? price > limit : price < limit)) break;
      let m = this.lvHead[lv]!;
      while (m !== -1 && leaves > 0) {
        const next = oi[m * 8 + I_NEXT]!;
        if (this.stp && this.oOwner[m] === owner) {
          const mode = this.stpMode;
          if (mode !== StpMode.CancelNewest) {
            this.unlinkFromLevel(m, lv);
            this.ids.delete(this.of[m * 8 + F_ID]!);
            this.finish(m, KIND_CANCELLED, nowUs, CancelReason.SelfTradePrevention);
          }
          if (mode !== StpMode.CancelOldest) {
            takerCancelled = true;
            break;
          }
          m = next;
          continue;
        }
        const mLeaves = of[m * 8 + F_LEAVES]!;
        const q = Math.min(leaves, mLeaves);
        const tradeId = this.nextTradeId++;
        leaves -= q;
        cum += q;
        const mLeft = mLeaves - q;
        const mCum = of[m * 8 + F_CUM]! + q;
        of[m * 8 + F_LEAVES] = mLeft;
        of[m * 8 + F_CUM] = mCum;
        lvQty[lv] = lvQty[lv]! - q;
        lastPrice = price;
        const mid = this.of[m * 8 + F_ID]!;
        journal.fill(nowUs, tid, tClient, owner, tSide, price, q, leaves, cum, LIQ_TAKER, this.takerRate, tradeId, mid);
        journal.fill(nowUs, mid, this.oClient[m], this.oOwner[m]!, this.oi[m * 8 + I_SIDE]!, price, q, mLeft, mCum, LIQ_MAKER, this.makerRate, tradeId, tid);
        if (mLeft === 0) {
          this.unlinkFromLevel(m, lv);
          this.ids.delete(mid);
          this.freeOrder(m);
        }
        m = next;
      }
      if (this.lvCount[lv] === 0) {
        book.pop();
        at.delete(price / this.tick);
        this.freeLevel(lv);
      }
      if (takerCancelled) break;
    }
    if (lastPrice !== 0) this.lastTradePrice = lastPrice;
    of[t * 8 + F_LEAVES] = leaves;
    of[t * 8 + F_CUM] = cum;
    if (takerCancelled) {
      this.finish(t, KIND_CANCELLED, nowUs, CancelReason.SelfTradePrevention);
      return false;
    }
    if (leaves === 0) {
      this.freeOrder(t);
      return false;
    }
    return true;
  }

  /** Triggers stops the last trade has reached, one at a time (each may trade and trigger more). */
  private runStops(nowUs: number): void {
    const buys = this.buyStops;
    const sells = this.sellStops;
    while (this.lastTradePrice > 0 && (buys.length > 0 || sells.length > 0)) {
      const last = this.lastTradePrice;
      let s = -1;
      if (buys.length > 0 && this.of[buys[buys.length - 1]! * 8 + F_STOP]! <= last) s = buys.pop()!;
      else if (sells.length > 0 && this.of[sells[sells.length - 1]! * 8 + F_STOP]! >= last) s = sells.pop()!;
      if (s < 0) return;
      this.ids.delete(this.of[s * 8 + F_ID]!);
      this.oi[s * 8 + I_TYPE] = this.oi[s * 8 + I_TYPE] === T_STOP ? T_MARKET : T_LIMIT;
      this.oi[s * 8 + I_STATE] = S_ACTIVE;
      this.journal.order(KIND_TRIGGERED, nowUs, this.of[s * 8 + F_ID]!, this.oClient[s], this.oOwner[s]!, this.oi[s * 8 + I_SIDE]!, this.of[s * 8 + F_PRICE]!, this.of[s * 8 + F_QTY]!, this.of[s * 8 + F_LEAVES]!, this.of[s * 8 + F_CUM]!, undefined);
      this.execute(s, nowUs);
    }
  }

  // ---------------------------------------------------------------- book structure

  private rest(s: number): void {
    const buy = this.oi[s * 8 + I_SIDE] === BUY;
    const price = this.of[s * 8 + F_PRICE]!;
    const at = buy ? this.bidAt : this.askAt;
    let lv = at.get(price / this.tick);
    if (lv === undefined) {
      lv = this.allocLevel(price);
      at.set(price / this.tick, lv);
      this.insertLevel(buy ? this.bids : this.asks, lv, price, buy);
    }
    const tail = this.lvTail[lv]!;
    this.oi[s * 8 + I_PREV] = tail;
    this.oi[s * 8 + I_NEXT] = -1;
    if (tail === -1) this.lvHead[lv] = s;
    else this.oi[tail * 8 + I_NEXT] = s;
    this.lvTail[lv] = s;
    this.lvCount[lv] = this.lvCount[lv]! + 1;
    this.lvQty[lv] = this.lvQty[lv]! + this.of[s * 8 + F_LEAVES]!;
    this.oi[s * 8 + I_LEVEL] = lv;
    this.oi[s * 8 + I_STATE] = S_RESTING;
    this.ids.set(this.of[s * 8 + F_ID]!, s);
  }

  /** Best level last: bids ascending (`ascending` true), asks descending. Binary search, then shift the tail. */
  private insertLevel(arr: number[], lv: number, price: number, ascending: boolean): void {
    const lvPrice = this.lvPrice;
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

  private removeLevel(buy: boolean, lv: number): void {
    const arr = buy ? this.bids : this.asks;
    const price = this.lvPrice[lv]!;
    let i = arr.length - 1;
    if (arr[i] !== lv) {
      let lo = 0;
      let hi = arr.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = this.lvPrice[arr[mid]!]!;
        if (buy ? p < price : p > price) lo = mid + 1;
        else hi = mid;
      }
      for (i = lo; i < arr.length - 1; i++) arr[i] = arr[i + 1]!;
    }
    arr.pop();
    (buy ? this.bidAt : this.askAt).delete(price / this.tick);
    this.freeLevel(lv);
  }

  private unlinkFromLevel(s: number, lv: number): void {
    const prev = this.oi[s * 8 + I_PREV]!;
    const next = this.oi[s * 8 + I_NEXT]!;
    if (prev === -1) this.lvHead[lv] = next;
    else this.oi[prev * 8 + I_NEXT] = next;
    if (next === -1) this.lvTail[lv] = prev;
    else this.oi[next * 8 + I_PREV] = prev;
    this.lvCount[lv] = this.lvCount[lv]! - 1;
    this.lvQty[lv] = this.lvQty[lv]! - this.of[s * 8 + F_LEAVES]!;
  }

  /** Takes a resting order or pending stop out of the book (the slot stays allocated). */
  private unlinkLive(s: number): void {
    const state = this.oi[s * 8 + I_STATE];
    if (state === S_RESTING) {
      const lv = this.oi[s * 8 + I_LEVEL]!;
      this.unlinkFromLevel(s, lv);
      if (this.lvCount[lv] === 0) this.removeLevel(this.oi[s * 8 + I_SIDE] === BUY, lv);
    } else if (state === S_STOP) {
      this.removeStop(s);
    }
    this.ids.delete(this.of[s * 8 + F_ID]!);
    this.oi[s * 8 + I_STATE] = S_ACTIVE;
  }

  /** Buy stops by stop price descending, sell stops ascending; among equal stops the earliest sits nearer the end. */
  private insertStop(s: number): void {
    const buy = this.oi[s * 8 + I_SIDE] === BUY;
    const arr = buy ? this.buyStops : this.sellStops;
    const stop = this.of[s * 8 + F_STOP]!;
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.of[arr[mid]! * 8 + F_STOP]!;
      if (buy ? p > stop : p < stop) lo = mid + 1;
      else hi = mid;
    }
    arr.push(s);
    for (let i = arr.length - 1; i > lo; i--) arr[i] = arr[i - 1]!;
    arr[lo] = s;
  }

  private removeStop(s: number): void {
    const arr = this.oi[s * 8 + I_SIDE] === BUY ? this.buyStops : this.sellStops;
    const i = arr.indexOf(s);
    if (i >= 0) arr.splice(i, 1);
  }

  private setQuantity(s: number, qty: number): void {
    this.of[s * 8 + F_LEAVES] = qty - this.of[s * 8 + F_CUM]!;
    this.of[s * 8 + F_QTY] = qty;
  }

  private replaced(s: number, nowUs: number): void {
    this.journal.order(KIND_REPLACED, nowUs, this.of[s * 8 + F_ID]!, this.oClient[s], this.oOwner[s]!, this.oi[s * 8 + I_SIDE]!, this.of[s * 8 + F_PRICE]!, this.of[s * 8 + F_QTY]!, this.of[s * 8 + F_LEAVES]!, this.of[s * 8 + F_CUM]!, undefined);
  }

  /** Journals the end of a live order (quantity = what it takes off the book) and frees its slot. */
  private finish(s: number, kind: number, nowUs: number, reason: CancelReason): void {
    this.journal.order(kind, nowUs, this.of[s * 8 + F_ID]!, this.oClient[s], this.oOwner[s]!, this.oi[s * 8 + I_SIDE]!, this.of[s * 8 + F_PRICE]!, this.of[s * 8 + F_LEAVES]!, 0, this.of[s * 8 + F_CUM]!, reason);
    this.of[s * 8 + F_LEAVES] = 0;
    this.freeOrder(s);
  }

  private describe(s: number): OpenOrder {
    return {
      orderId: this.of[s * 8 + F_ID]!,
      clientOrderId: this.oClient[s],
      owner: this.oOwner[s]!,
      side: this.oi[s * 8 + I_SIDE] === BUY ? Side.Buy : Side.Sell,
      type: TYPES[this.oi[s * 8 + I_TYPE]!]!,
      timeInForce: TIFS[this.oi[s * 8 + I_TIF]!]!,
      price: this.of[s * 8 + F_PRICE]!,
      stopPrice: this.of[s * 8 + F_STOP]!,
      quantity: this.of[s * 8 + F_QTY]!,
      leaves: this.of[s * 8 + F_LEAVES]!,
      cum: this.of[s * 8 + F_CUM]!,
      postOnly: (this.oi[s * 8 + I_FLAGS]! & POST_ONLY) !== 0,
      reduceOnly: (this.oi[s * 8 + I_FLAGS]! & REDUCE_ONLY) !== 0,
      expireAtUs: this.of[s * 8 + F_EXPIRE]!,
      pendingStop: this.oi[s * 8 + I_STATE] === S_STOP,
    };
  }

  // ---------------------------------------------------------------- pools

  private allocOrder(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    if (this.usedSlots === this.cap) this.growOrders(this.cap * 2);
    return this.usedSlots++;
  }

  /** Owner and client id references stay until the slot is reused: bounded by the pool size, and two fewer stores. */
  private freeOrder(s: number): void {
    this.oi[s * 8 + I_STATE] = S_FREE;
    this.freeSlots.push(s);
  }

  private allocLevel(price: number): number {
    let lv: number;
    if (this.freeLevels.length > 0) lv = this.freeLevels.pop()!;
    else {
      if (this.usedLevels === this.lvCap) this.growLevels(this.lvCap * 2);
      lv = this.usedLevels++;
    }
    this.lvPrice[lv] = price;
    this.lvQty[lv] = 0;
    this.lvHead[lv] = -1;
    this.lvTail[lv] = -1;
    this.lvCount[lv] = 0;
    return lv;
  }

  private freeLevel(lv: number): void {
    this.freeLevels.push(lv);
  }

  private growOrders(cap: number): void {
    const of = new Float64Array(cap * 8);
    of.set(this.of);
    const oi = new Int32Array(cap * 8);
    oi.set(this.oi);
    this.of = of;
    this.oi = oi;
    for (let i = this.cap; i < cap; i++) {
      this.oOwner.push("");
      this.oClient.push(undefined);
    }
    this.cap = cap;
  }

  private growLevels(cap: number): void {
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
    this.lvPrice = f64(this.lvPrice);
    this.lvQty = f64(this.lvQty);
    this.lvHead = i32(this.lvHead);
    this.lvTail = i32(this.lvTail);
    this.lvCount = i32(this.lvCount);
    this.lvCap = cap;
  }
}
