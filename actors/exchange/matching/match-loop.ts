import { asPrice, type Price } from "../../domain/index.ts";
import { CancelReason, StpMode } from "./codes.ts";
import { KIND_CANCELED, KIND_REPLACED, KIND_TRIGGERED, LIQ_MAKER, LIQ_TAKER, type MatchJournal } from "./journal.ts";
import {
  BUY,
  F_CUM,
  F_ID,
  F_LEAVES,
  F_PRICE,
  F_QTY,
  I_LEVEL,
  I_NEXT,
  I_SIDE,
  I_STATE,
  I_TIF,
  I_TYPE,
  type OrderPool,
  S_ACTIVE,
  S_RESTING,
  S_STOP,
  T_LIMIT,
  T_MARKET,
  T_STOP,
  TIF_FOK,
  TIF_IOC,
} from "./order-pool.ts";
import type { PriceLevels } from "./price-levels.ts";
import type { StopBook } from "./stop-book.ts";
import type { LiquidityView } from "./validation.ts";
import type { OcoGroups } from "./oco-groups.ts";

/**
 * Matching: runs an order against the opposite side at the makers' prices, then rests or cancels the rest, and
 * triggers the stops the trades reach. It owns the trade count, the last trade price and the fee rates in force.
 * The loop allocates nothing: events go to the columnar journal.
 */
export class MatchLoop implements LiquidityView {
  /** price of the last trade, 0 before the first */
  lastTradePrice: Price = asPrice(0);
  nextTradeId = 1;
  /** the book's one-cancels-other groups (native order lists), set by the engine */
  oco: OcoGroups | undefined;
  private readonly stp: boolean;

  constructor(
    private readonly pool: OrderPool,
    private readonly levels: PriceLevels,
    private readonly stops: StopBook,
    private readonly journal: MatchJournal,
    readonly stpMode: StpMode,
    public makerRate: number,
    public takerRate: number,
  ) {
    this.stp = stpMode !== StpMode.None;
  }

  crosses(side: number, price: number): boolean {
    return this.levels.crosses(side, price);
  }

  /** FOK check: is there `qty` this order could take at `limit` (-1: market), given self-trade prevention? */
  canFill(side: number, limit: number, qty: number, owner: string): boolean {
    const lvs = this.levels;
    const book = side === BUY ? lvs.asks : lvs.bids;
    const pool = this.pool;
    let sum = 0;
    for (let i = book.length - 1; i >= 0; i--) {
      const lv = book[i]!;
      const p = lvs.price[lv]!;
      if (limit >= 0 && (side === BUY ? p > limit : p < limit)) return false;
      if (!this.stp) {
        sum += lvs.qty[lv]!;
        if (sum >= qty) return true;
        continue;
      }
      for (let m = lvs.head[lv]!; m !== -1; m = pool.oi[m * 8 + I_NEXT]!) {
        if (pool.owner[m] === owner) {
          if (this.stpMode !== StpMode.CancelOldest) return false; // matching would stop here
          continue;
        }
        sum += pool.of[m * 8 + F_LEAVES]!;
        if (sum >= qty) return true;
      }
    }
    return false;
  }

  /** Runs an accepted (or triggered, or re-priced) order against the book, then rests or cancels the rest. */
  execute(s: number, nowUs: number): void {
    const { of, oi } = this.pool;
    const type = oi[s * 8 + I_TYPE]!;
    const tif = oi[s * 8 + I_TIF]!;
    const side = oi[s * 8 + I_SIDE]!;
    if (tif === TIF_FOK && !this.canFill(side, type === T_MARKET ? -1 : of[s * 8 + F_PRICE]!, of[s * 8 + F_LEAVES]!, this.pool.owner[s]!)) {
      this.finish(s, KIND_CANCELED, nowUs, CancelReason.FokCannotFill);
      return;
    }
    if (!this.match(s, nowUs)) return; // done: filled or canceled by self-trade prevention
    if (type === T_MARKET || tif === TIF_IOC || tif === TIF_FOK) {
      this.finish(s, KIND_CANCELED, nowUs, CancelReason.Unfilled);
      return;
    }
    this.levels.rest(s);
  }

  /**
   * Matches slot `t` against the opposite side. Returns true if it still has quantity and is live, false if it is
   * finished (filled, or canceled by self-trade prevention; its slot is then freed).
   */
  private match(t: number, nowUs: number): boolean {
    const pool = this.pool;
    const lvs = this.levels;
    const of = pool.of;
    const oi = pool.oi;
    const owners = pool.owner;
    const ids = pool.ids;
    const buy = oi[t * 8 + I_SIDE] === BUY;
    const book = buy ? lvs.asks : lvs.bids;
    const at = buy ? lvs.askAt : lvs.bidAt;
    const isMarket = oi[t * 8 + I_TYPE] === T_MARKET;
    const limit = of[t * 8 + F_PRICE]!;
    const owner = owners[t]!;
    const tid = of[t * 8 + F_ID]!;
    const tClient = pool.client[t];
    const tSide = oi[t * 8 + I_SIDE]!;
    const journal = this.journal;
    const lvPrice = lvs.price;
    const lvQty = lvs.qty;
    const lvHead = lvs.head;
    const lvCount = lvs.count;
    let leaves = of[t * 8 + F_LEAVES]!;
    let cum = of[t * 8 + F_CUM]!;
    let lastPrice = 0;
    let takerCanceled = false;
    const oco = this.oco?.active ? this.oco : undefined;
    if (oco?.lost(tid)) {
      // another member of its group traded first: it never trades
      this.finish(t, KIND_CANCELED, nowUs, CancelReason.OneCancelsOther);
      return false;
    }
    while (leaves > 0 && book.length > 0) {
      const lv = book[book.length - 1]!;
      const price = lvPrice[lv]!;
      if (!isMarket && (buy ? price > limit : price < limit)) break;
      let m = lvHead[lv]!;
      while (m !== -1 && leaves > 0) {
        const next = oi[m * 8 + I_NEXT]!;
        if (oco?.lost(of[m * 8 + F_ID]!)) {
          lvs.unlink(m, lv);
          ids.delete(of[m * 8 + F_ID]!);
          this.finish(m, KIND_CANCELED, nowUs, CancelReason.OneCancelsOther);
          m = next;
          continue;
        }
        if (this.stp && owners[m] === owner) {
          const mode = this.stpMode;
          if (mode !== StpMode.CancelNewest) {
            lvs.unlink(m, lv);
            ids.delete(of[m * 8 + F_ID]!);
            this.finish(m, KIND_CANCELED, nowUs, CancelReason.SelfTradePrevention);
          }
          if (mode !== StpMode.CancelOldest) {
            takerCanceled = true;
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
        const mid = of[m * 8 + F_ID]!;
        if (oco !== undefined) {
          oco.traded(tid);
          oco.traded(mid);
        }
        journal.fill(nowUs, tid, tClient, owner, tSide, price, q, leaves, cum, LIQ_TAKER, this.takerRate, tradeId, mid);
        journal.fill(
          nowUs,
          mid,
          pool.client[m],
          owners[m]!,
          oi[m * 8 + I_SIDE]!,
          price,
          q,
          mLeft,
          mCum,
          LIQ_MAKER,
          this.makerRate,
          tradeId,
          tid,
        );
        if (mLeft === 0) {
          lvs.unlink(m, lv);
          ids.delete(mid);
          pool.release(m);
        }
        m = next;
      }
      if (lvCount[lv] === 0) lvs.dropBest(book, at, lv);
      if (takerCanceled) break;
    }
    if (lastPrice !== 0) this.lastTradePrice = asPrice(lastPrice);
    of[t * 8 + F_LEAVES] = leaves;
    of[t * 8 + F_CUM] = cum;
    if (takerCanceled) {
      this.finish(t, KIND_CANCELED, nowUs, CancelReason.SelfTradePrevention);
      return false;
    }
    if (leaves === 0) {
      pool.release(t);
      return false;
    }
    return true;
  }

  /** Triggers stops the last trade has reached, one at a time (each may trade and trigger more). */
  runStops(nowUs: number): void {
    const stops = this.stops;
    while (this.lastTradePrice > 0 && stops.pendingStops > 0) {
      const s = stops.nextTriggered(this.lastTradePrice);
      if (s < 0) return;
      const { of, oi } = this.pool;
      this.pool.ids.delete(of[s * 8 + F_ID]!);
      oi[s * 8 + I_TYPE] = oi[s * 8 + I_TYPE] === T_STOP ? T_MARKET : T_LIMIT;
      oi[s * 8 + I_STATE] = S_ACTIVE;
      this.journalAsItStands(KIND_TRIGGERED, s, nowUs);
      this.execute(s, nowUs);
    }
  }

  /** Takes a resting order or pending stop out of the book (the slot stays allocated). */
  unlinkLive(s: number): void {
    const { of, oi } = this.pool;
    const state = oi[s * 8 + I_STATE];
    if (state === S_RESTING) {
      const lv = oi[s * 8 + I_LEVEL]!;
      this.levels.unlink(s, lv);
      if (this.levels.count[lv] === 0) this.levels.remove(oi[s * 8 + I_SIDE] === BUY, lv);
    } else if (state === S_STOP) {
      this.stops.remove(s);
    }
    this.pool.ids.delete(of[s * 8 + F_ID]!);
    oi[s * 8 + I_STATE] = S_ACTIVE;
  }

  /** Journals a replace as it now stands. */
  replaced(s: number, nowUs: number): void {
    this.journalAsItStands(KIND_REPLACED, s, nowUs);
  }

  /** Journals a live order's slot as it now stands (a stop that triggered, a replace). */
  private journalAsItStands(kind: number, s: number, nowUs: number): void {
    const { of, oi } = this.pool;
    this.journal.order(
      kind,
      nowUs,
      of[s * 8 + F_ID]!,
      this.pool.client[s],
      this.pool.owner[s]!,
      oi[s * 8 + I_SIDE]!,
      of[s * 8 + F_PRICE]!,
      of[s * 8 + F_QTY]!,
      of[s * 8 + F_LEAVES]!,
      of[s * 8 + F_CUM]!,
      undefined,
    );
  }

  /** Journals the end of a live order (quantity = what it takes off the book) and frees its slot. */
  finish(s: number, kind: number, nowUs: number, reason: CancelReason): void {
    const { of, oi } = this.pool;
    this.journal.order(
      kind,
      nowUs,
      of[s * 8 + F_ID]!,
      this.pool.client[s],
      this.pool.owner[s]!,
      oi[s * 8 + I_SIDE]!,
      of[s * 8 + F_PRICE]!,
      of[s * 8 + F_LEAVES]!,
      0,
      of[s * 8 + F_CUM]!,
      reason,
    );
    of[s * 8 + F_LEAVES] = 0;
    this.pool.release(s);
  }
}
