// Over 400 lines on purpose: the engine's whole command and query surface; the order pool, price levels, stop book, validation and match loop are each a module of their own.
import { type Price, type Quantity, ZERO_QUANTITY } from "../../domain/fixed.ts";
import { Side, type TradingStatus } from "../../domain/trading.ts";
import { CancelReason, MatchRejectReason, StpMode } from "./codes.ts";
import { feeRateCbps } from "./fees.ts";
import {
  KIND_ACCEPTED,
  KIND_CANCEL_REJECTED,
  KIND_CANCELED,
  KIND_EXPIRED,
  KIND_REJECTED,
  type MatchEvent,
  MatchJournal,
} from "./journal.ts";
import { MatchLoop } from "./match-loop.ts";
import { OcoGroups } from "./oco-groups.ts";
import {
  F_CUM,
  F_EXPIRE,
  F_ID,
  F_LEAVES,
  F_PRICE,
  F_QTY,
  F_STOP,
  I_FLAGS,
  I_LEVEL,
  I_SIDE,
  I_STATE,
  I_TIF,
  I_TYPE,
  type OpenOrder,
  OrderPool,
  POST_ONLY,
  REDUCE_ONLY,
  S_ACTIVE,
  S_STOP,
  T_LIMIT,
  T_STOP,
  T_STOP_LIMIT,
  TIF_DAY,
  TIF_GTD,
  tifCode,
  typeCode,
} from "./order-pool.ts";
import { type L2Book, PriceLevels, type TopOfBook } from "./price-levels.ts";
import { StopBook } from "./stop-book.ts";
import { type OrderRequest, OrderRules, type ReplaceRequest } from "./validation.ts";

export type { OpenOrder } from "./order-pool.ts";
export type { BookLevel, L2Book, TopOfBook } from "./price-levels.ts";
export type { OrderRequest, ReplaceRequest } from "./validation.ts";

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
  /** the owner takes each event once with `drainEvents()`: the journal grows past its capacity only for undrained events */
  drainedJournal?: boolean;
}

/**
 * A price-time priority limit order book for one instrument, with its matching engine.
 *
 * Layout, for speed: orders live in a pool of fixed-size records (order-pool.ts); each price level is a FIFO
 * list threaded through them, best level last on each side (price-levels.ts); stops and GTD expiries wait in
 * stop-book.ts; checks are in validation.ts and the match loop in match-loop.ts, which allocates nothing (events go
 * to the columnar journal, journal.ts). This class takes the commands and answers the queries.
 *
 * Rules (documented where a venue could choose otherwise):
 * - The execution price is the resting (maker) order's price.
 * - MARKET orders and IOC/FOK remainders never rest; what does not fill is canceled (reason UNFILLED).
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
  readonly stpMode: StpMode;
  private readonly rules: OrderRules;
  private readonly pool = new OrderPool(1024);
  private readonly levels: PriceLevels;
  private readonly stops: StopBook;
  private readonly loop: MatchLoop;
  private readonly oco = new OcoGroups();
  private nextOrderId = 1;

  constructor(config: MatchingEngineConfig) {
    this.instrument = config.instrument;
    this.rules = new OrderRules(config.tickSize, config.lotSize, config.maxQuantity ?? Number.MAX_SAFE_INTEGER);
    const makerRate = feeRateCbps(config.makerFeeBps ?? 0, "makerFeeBps");
    const takerRate = feeRateCbps(config.takerFeeBps ?? 0, "takerFeeBps");
    this.rules.setBand(config.priceBandBps ?? 0, config.referencePrice ?? 0);
    this.stpMode = config.stpMode ?? StpMode.CancelNewest;
    this.journal = new MatchJournal(config.journalCapacity, config.drainedJournal);
    this.levels = new PriceLevels(this.pool, this.rules.tick, 256);
    this.stops = new StopBook(this.pool);
    this.loop = new MatchLoop(this.pool, this.levels, this.stops, this.journal, this.stpMode, makerRate, takerRate);
    this.loop.oco = this.oco;
  }

  get tickSize(): Price {
    return this.rules.tick;
  }

  get lotSize(): Quantity {
    return this.rules.lot;
  }

  get status(): TradingStatus {
    return this.rules.status;
  }

  /** price of the last trade, 0 before the first */
  get lastTradePrice(): Price {
    return this.loop.lastTradePrice;
  }

  /** Trades so far. */
  get tradeCount(): number {
    return this.loop.nextTradeId - 1;
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
    this.rules.status = status;
  }

  /** Centre of the price band from now on (the simulated exchange sets it from its reference quote). */
  setReferencePrice(price: Price): void {
    this.rules.setReferencePrice(price);
  }

  setFees(makerFeeBps: number, takerFeeBps: number): void {
    const makerRate = feeRateCbps(makerFeeBps, "makerFeeBps");
    const takerRate = feeRateCbps(takerFeeBps, "takerFeeBps");
    this.loop.makerRate = makerRate;
    this.loop.takerRate = takerRate;
  }

  // ---------------------------------------------------------------- commands

  /** Submits a new order; returns its order id. The outcome is in the journal (Accepted/Rejected, fills...). */
  submit(r: OrderRequest, nowUs: number): number {
    const id = this.nextOrderId++;
    const side = r.side === Side.Buy ? 0 : 1;
    const type = typeCode(r.type);
    const tif = tifCode(r.timeInForce);
    const reason = this.rules.check(r, side, type, tif, nowUs, this.loop);
    if (reason !== undefined) {
      this.journal.order(KIND_REJECTED, nowUs, id, r.clientOrderId, r.owner, side, r.price ?? 0, r.quantity, 0, 0, reason);
      return id;
    }
    const pool = this.pool;
    const s = pool.alloc();
    const of = pool.of;
    const oi = pool.oi;
    of[s * 8 + F_ID] = id;
    oi[s * 8 + I_SIDE] = side;
    oi[s * 8 + I_TYPE] = type;
    oi[s * 8 + I_TIF] = tif;
    oi[s * 8 + I_FLAGS] = (r.postOnly ? POST_ONLY : 0) | (r.reduceOnly ? REDUCE_ONLY : 0);
    of[s * 8 + F_PRICE] = r.price ?? 0;
    of[s * 8 + F_STOP] = r.stopPrice ?? 0;
    of[s * 8 + F_QTY] = r.quantity;
    of[s * 8 + F_LEAVES] = r.quantity;
    of[s * 8 + F_CUM] = 0;
    of[s * 8 + F_EXPIRE] = tif === TIF_GTD ? r.expireAtUs! : 0;
    pool.owner[s] = r.owner;
    pool.client[s] = r.clientOrderId;
    oi[s * 8 + I_STATE] = S_ACTIVE;
    if (r.ocoGroup !== undefined) this.oco.join(id, r.ocoGroup);
    this.journal.order(
      KIND_ACCEPTED,
      nowUs,
      id,
      r.clientOrderId,
      r.owner,
      side,
      of[s * 8 + F_PRICE]!,
      r.quantity,
      r.quantity,
      0,
      undefined,
    );
    if (tif === TIF_GTD) this.stops.addExpiry(s, id, r.expireAtUs!);
    if (type >= T_STOP) {
      oi[s * 8 + I_STATE] = S_STOP;
      pool.ids.set(id, s);
      this.stops.insert(s);
    } else {
      this.loop.execute(s, nowUs);
    }
    this.loop.runStops(nowUs);
    this.settleOco(nowUs);
    return id;
  }

  /**
   * Cancels the members of one-cancels-other groups that another member has won, before the command returns: the
   * match loop cancels those it meets, these are the ones it did not meet, so nothing can trade them afterwards.
   */
  /** The owner of a one-cancels-other group is done with it: its members ended, its winner need not be kept. */
  endOcoGroup(group: string): void {
    this.oco.end(group);
  }

  private settleOco(nowUs: number): void {
    if (!this.oco.active) return;
    for (const id of this.oco.losers()) {
      const s = this.pool.ids.get(id);
      if (s === undefined) continue;
      this.loop.unlinkLive(s);
      this.loop.finish(s, KIND_CANCELED, nowUs, CancelReason.OneCancelsOther);
    }
    this.oco.prune((id) => this.pool.ids.has(id));
  }

  /**
   * Puts back an order that was open in an earlier session of this book (a restarted venue): as it was, with its id
   * and fills, at the back of its price level or waiting for its stop. No event and no matching: it was accepted
   * then, and the liquidity placed after it decides what it trades with. Ids continue above it.
   */
  restore(o: OpenOrder): void {
    const type = typeCode(o.type);
    const tif = tifCode(o.timeInForce);
    if (this.pool.ids.has(o.orderId)) throw new Error(`${this.instrument} order ${o.orderId}: restored twice`);
    if (type < 0 || tif < 0) throw new Error(`${this.instrument} order ${o.orderId}: type ${o.type} / timeInForce ${o.timeInForce}`);
    if (!(o.leaves > 0) || o.cum < 0 || o.cum + o.leaves > o.quantity)
      throw new Error(`${this.instrument} order ${o.orderId}: leaves ${o.leaves} and cum ${o.cum} of quantity ${o.quantity}`);
    if (!o.pendingStop && !(o.price > 0)) throw new Error(`${this.instrument} order ${o.orderId}: a resting order needs a price`);
    const pool = this.pool;
    const s = pool.alloc();
    const of = pool.of;
    const oi = pool.oi;
    of[s * 8 + F_ID] = o.orderId;
    oi[s * 8 + I_SIDE] = o.side === Side.Buy ? 0 : 1;
    oi[s * 8 + I_TYPE] = type;
    oi[s * 8 + I_TIF] = tif;
    oi[s * 8 + I_FLAGS] = (o.postOnly ? POST_ONLY : 0) | (o.reduceOnly ? REDUCE_ONLY : 0);
    of[s * 8 + F_PRICE] = o.price;
    of[s * 8 + F_STOP] = o.stopPrice;
    of[s * 8 + F_QTY] = o.quantity;
    of[s * 8 + F_LEAVES] = o.leaves;
    of[s * 8 + F_CUM] = o.cum;
    of[s * 8 + F_EXPIRE] = tif === TIF_GTD ? o.expireAtUs : 0;
    pool.owner[s] = o.owner;
    pool.client[s] = o.clientOrderId;
    if (tif === TIF_GTD) this.stops.addExpiry(s, o.orderId, o.expireAtUs);
    if (o.pendingStop) {
      oi[s * 8 + I_STATE] = S_STOP;
      pool.ids.set(o.orderId, s);
      this.stops.insert(s);
    } else this.levels.rest(s);
    if (o.ocoGroup !== undefined) this.oco.join(o.orderId, o.ocoGroup);
    this.continueIds(o.orderId + 1);
  }

  /** Order ids from here on start at `next` at least: a restarted venue never hands out an earlier session's id. */
  continueIds(next: number): void {
    if (next > this.nextOrderId) this.nextOrderId = next;
  }

  /** Cancels an open order (resting or pending stop). With `owner`, only that owner's order. */
  cancel(orderId: number, nowUs: number, owner?: string): boolean {
    const s = this.pool.ids.get(orderId);
    if (s === undefined) {
      this.journal.order(KIND_CANCEL_REJECTED, nowUs, orderId, undefined, owner ?? "", 0, 0, 0, 0, 0, MatchRejectReason.UnknownOrder);
      return false;
    }
    if (owner !== undefined && owner !== this.pool.owner[s]) {
      this.journal.order(
        KIND_CANCEL_REJECTED,
        nowUs,
        orderId,
        undefined,
        owner,
        this.pool.oi[s * 8 + I_SIDE]!,
        0,
        0,
        0,
        0,
        MatchRejectReason.NotOwner,
      );
      return false;
    }
    this.loop.unlinkLive(s);
    this.loop.finish(s, KIND_CANCELED, nowUs, CancelReason.Requested);
    return true;
  }

  /** Amends an open order; see the class comment for the priority rules. */
  replace(orderId: number, r: ReplaceRequest, nowUs: number, owner?: string): boolean {
    const pool = this.pool;
    const rules = this.rules;
    const s = pool.ids.get(orderId);
    if (s === undefined) return this.refuse(orderId, -1, owner, nowUs, MatchRejectReason.UnknownOrder);
    if (owner !== undefined && owner !== pool.owner[s]) return this.refuse(orderId, s, owner, nowUs, MatchRejectReason.NotOwner);
    const statusReason = rules.statusReason();
    if (statusReason !== undefined) return this.refuse(orderId, s, owner, nowUs, statusReason);
    const { of, oi } = pool;
    const type = oi[s * 8 + I_TYPE]!;
    const isStop = oi[s * 8 + I_STATE] === S_STOP;
    const qty = r.quantity ?? of[s * 8 + F_QTY]!;
    const price = r.price ?? of[s * 8 + F_PRICE]!;
    const stop = r.stopPrice ?? of[s * 8 + F_STOP]!;
    if (r.quantity !== undefined) {
      const qr = rules.quantityReason(qty);
      if (qr !== undefined) return this.refuse(orderId, s, owner, nowUs, qr);
      if (qty <= of[s * 8 + F_CUM]!) return this.refuse(orderId, s, owner, nowUs, MatchRejectReason.ReplaceQuantityNotAboveFilled);
    }
    if (r.price !== undefined) {
      if (type !== T_LIMIT && type !== T_STOP_LIMIT) return this.refuse(orderId, s, owner, nowUs, MatchRejectReason.PriceNotAllowed);
      const pr = rules.priceReason(price, this.loop);
      if (pr !== undefined) return this.refuse(orderId, s, owner, nowUs, pr);
    }
    if (r.stopPrice !== undefined) {
      if (!isStop) return this.refuse(orderId, s, owner, nowUs, MatchRejectReason.StopPriceNotAllowed);
      const sr = rules.stopReason(stop);
      if (sr !== undefined) return this.refuse(orderId, s, owner, nowUs, sr);
    }
    const side = oi[s * 8 + I_SIDE]!;
    if (isStop) {
      this.stops.remove(s);
      pool.setQuantity(s, qty);
      of[s * 8 + F_PRICE] = price;
      of[s * 8 + F_STOP] = stop;
      this.stops.insert(s);
      this.loop.replaced(s, nowUs);
      this.loop.runStops(nowUs);
      this.settleOco(nowUs);
      return true;
    }
    if (price === of[s * 8 + F_PRICE] && qty <= of[s * 8 + F_QTY]!) {
      // smaller or same quantity at the same price: keep the queue position
      const lv = oi[s * 8 + I_LEVEL]!;
      this.levels.qty[lv] = this.levels.qty[lv]! - (of[s * 8 + F_QTY]! - qty);
      pool.setQuantity(s, qty);
      this.loop.replaced(s, nowUs);
      return true;
    }
    if ((oi[s * 8 + I_FLAGS]! & POST_ONLY) !== 0 && this.levels.crosses(side, price))
      return this.refuse(orderId, s, owner, nowUs, MatchRejectReason.PostOnlyWouldTake);
    this.loop.unlinkLive(s);
    pool.setQuantity(s, qty);
    of[s * 8 + F_PRICE] = price;
    oi[s * 8 + I_STATE] = S_ACTIVE;
    this.loop.replaced(s, nowUs);
    this.loop.execute(s, nowUs);
    this.loop.runStops(nowUs);
    this.settleOco(nowUs);
    return true;
  }

  /** Journals a refused replace; the order (if any) is unchanged. */
  private refuse(orderId: number, s: number, owner: string | undefined, nowUs: number, reason: MatchRejectReason): false {
    this.journal.order(
      KIND_CANCEL_REJECTED,
      nowUs,
      orderId,
      undefined,
      owner ?? "",
      s < 0 ? 0 : this.pool.oi[s * 8 + I_SIDE]!,
      0,
      0,
      0,
      0,
      reason,
    );
    return false;
  }

  /** Expires GTD orders whose time has come. Returns how many expired. */
  expire(nowUs: number): number {
    return this.stops.expire(nowUs, (s) => {
      this.loop.unlinkLive(s);
      this.loop.finish(s, KIND_EXPIRED, nowUs, CancelReason.Expired);
    });
  }

  /** End of the trading day: DAY orders (resting and pending stops) expire. Returns how many. */
  closeSession(nowUs: number): number {
    const { of, oi } = this.pool;
    const day: number[] = [];
    for (const s of this.pool.ids.values()) if (oi[s * 8 + I_TIF] === TIF_DAY) day.push(s);
    day.sort((a, b) => of[a * 8 + F_ID]! - of[b * 8 + F_ID]!);
    for (const s of day) {
      this.loop.unlinkLive(s);
      this.loop.finish(s, KIND_EXPIRED, nowUs, CancelReason.SessionClosed);
    }
    return day.length;
  }

  // ---------------------------------------------------------------- queries

  bestBid(): Price {
    return this.levels.bestBid();
  }

  bestAsk(): Price {
    return this.levels.bestAsk();
  }

  top(): TopOfBook {
    return this.levels.top();
  }

  /** Aggregated levels, best first, at most `depth` per side. */
  l2(depth = 10): L2Book {
    return this.levels.l2(depth);
  }

  /** Resting order ids of one level in queue order (tests and diagnostics). */
  queueAt(side: Side, price: Price): number[] {
    return this.levels.queueAt(side, price);
  }

  order(orderId: number): OpenOrder | undefined {
    const s = this.pool.ids.get(orderId);
    return s === undefined ? undefined : this.described(s);
  }

  private described(s: number): OpenOrder {
    const o = this.pool.describe(s);
    const group = this.oco.active ? this.oco.group(o.orderId) : undefined;
    return group === undefined ? o : { ...o, ocoGroup: group };
  }

  /** The open quantity of an open order, 0 once it is closed: `order(id)` without building its description. */
  leavesOf(orderId: number): Quantity {
    const s = this.pool.ids.get(orderId);
    return s === undefined ? ZERO_QUANTITY : this.pool.leavesAt(s);
  }

  /** Open orders (resting and pending stops), oldest first, of one owner or of all. */
  openOrders(owner?: string): OpenOrder[] {
    const out: OpenOrder[] = [];
    for (const s of this.pool.ids.values()) if (owner === undefined || this.pool.owner[s] === owner) out.push(this.described(s));
    return out.sort((a, b) => a.orderId - b.orderId);
  }

  get openOrderCount(): number {
    return this.pool.ids.size;
  }

  eventsSince(seq: number): MatchEvent[] {
    return this.journal.since(seq);
  }

  /** Events not drained before, oldest first (an engine configured with `drainedJournal`). */
  drainEvents(): MatchEvent[] {
    return this.journal.drain();
  }

  /** Executions (both sides of each fill) with sequence number > seq. */
  executionsSince(seq: number): MatchEvent[] {
    return this.journal.since(seq, true);
  }
}
