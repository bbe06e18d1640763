import type { Price, Quantity } from "../../domain/fixed.ts";
import { type OrderType, type Side, type TimeInForce, TradingStatus } from "../../domain/trading.ts";
import { MatchRejectReason } from "./codes.ts";
import { TIF_FOK, TIF_GTD, T_LIMIT, T_MARKET, T_STOP, T_STOP_LIMIT } from "./order-pool.ts";

/** A price or quantity in 1e-8 units: a positive safe integer. */
export const validUnits = (v: number): boolean => Number.isSafeInteger(v) && v > 0;

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
  /** one-cancels-other group: the first of its members to trade cancels the others (oco-groups.ts) */
  ocoGroup?: string;
}

/** Amend: `quantity` is the new total order quantity (filled part included), as in FIX OrderQty. */
export interface ReplaceRequest {
  quantity?: Quantity;
  price?: Price;
  stopPrice?: Price;
}

/** What validation asks of the book: the last trade (the band's centre without a reference), whether a price takes, and whether a FOK could fill. */
export interface LiquidityView {
  readonly lastTradePrice: number;
  crosses(side: number, price: number): boolean;
  canFill(side: number, limit: number, qty: number, owner: string): boolean;
}

/** The instrument's grids, limits, price band and trading status, and the checks built on them. */
export class OrderRules {
  status: TradingStatus = TradingStatus.Open;
  private bandBps = 0;
  private refPrice = 0;
  private bandLow = 0;
  private bandHigh = Number.MAX_VALUE;
  private bandFor = -1;

  constructor(
    readonly tick: Price,
    readonly lot: Quantity,
    readonly maxQty: number,
  ) {
    if (!validUnits(tick)) throw new RangeError(`tickSize ${tick} must be a positive integer of 1e-8 units`);
    if (!validUnits(lot)) throw new RangeError(`lotSize ${lot} must be a positive integer of 1e-8 units`);
  }

  /** The price band: limit prices further than `bandBps` from the reference are refused (0: no band). */
  setBand(bandBps: number, referencePrice: number): void {
    if (!(bandBps >= 0 && Number.isInteger(bandBps))) throw new RangeError(`priceBandBps ${bandBps} must be a non-negative integer`);
    this.bandBps = bandBps;
    this.refPrice = referencePrice;
    this.bandFor = -1;
  }

  /** Centre of the price band from now on; 0: the last trade price. */
  setReferencePrice(price: number): void {
    this.refPrice = price;
  }

  /** Why no order may be entered or amended now, if so. */
  statusReason(): MatchRejectReason | undefined {
    if (this.status === TradingStatus.Open) return undefined;
    return this.status === TradingStatus.Halted ? MatchRejectReason.InstrumentHalted : MatchRejectReason.MarketClosed;
  }

  /** A quantity's reason to be refused, if any (units, lot, maximum). */
  quantityReason(q: number): MatchRejectReason | undefined {
    if (!validUnits(q)) return MatchRejectReason.InvalidQuantity;
    if (q % this.lot !== 0) return MatchRejectReason.QuantityOffLot;
    if (q > this.maxQty) return MatchRejectReason.QuantityAboveMax;
    return undefined;
  }

  /**
   * A limit price's reason to be refused, if any (units, tick, band around the reference or the book's last trade).
   * The book is passed, not its last trade price: a double passed to a call is boxed, on every order.
   */
  priceReason(price: number, book: LiquidityView): MatchRejectReason | undefined {
    if (!validUnits(price)) return MatchRejectReason.InvalidPrice;
    if (price % this.tick !== 0) return MatchRejectReason.PriceOffTick;
    if (this.bandBps > 0) {
      const ref = this.refPrice > 0 ? this.refPrice : book.lastTradePrice;
      if (ref > 0) {
        if (ref !== this.bandFor) {
          // exact bounds; recomputed only when the reference moves
          const width = Number((BigInt(ref) * BigInt(this.bandBps)) / 10_000n);
          this.bandLow = ref - width;
          this.bandHigh = ref + width;
          this.bandFor = ref;
        }
        if (price < this.bandLow || price > this.bandHigh) return MatchRejectReason.PriceOutsideBand;
      }
    }
    return undefined;
  }

  /** A stop price's reason to be refused, if any (units, tick; stops are not banded). */
  stopReason(stop: number): MatchRejectReason | undefined {
    if (!validUnits(stop)) return MatchRejectReason.InvalidPrice;
    if (stop % this.tick !== 0) return MatchRejectReason.PriceOffTick;
    return undefined;
  }

  /** Why a new order is refused, if it is; checked in a fixed order, so the first reason found is reported. */
  check(o: OrderRequest, side: number, type: number, tif: number, nowUs: number, book: LiquidityView): MatchRejectReason | undefined {
    const st = this.statusReason();
    if (st !== undefined) return st;
    if (type < 0 || tif < 0) return MatchRejectReason.InvalidOrderType;
    const qr = this.quantityReason(o.quantity);
    if (qr !== undefined) return qr;
    const hasLimit = type === T_LIMIT || type === T_STOP_LIMIT;
    if (hasLimit) {
      if (o.price === undefined) return MatchRejectReason.PriceMissing;
      const pr = this.priceReason(o.price, book);
      if (pr !== undefined) return pr;
    } else if (o.price !== undefined) return MatchRejectReason.PriceNotAllowed;
    if (type >= T_STOP) {
      if (o.stopPrice === undefined) return MatchRejectReason.StopPriceMissing;
      const sr = this.stopReason(o.stopPrice);
      if (sr !== undefined) return sr;
    } else if (o.stopPrice !== undefined) return MatchRejectReason.StopPriceNotAllowed;
    if (tif === TIF_GTD) {
      if (o.expireAtUs === undefined) return MatchRejectReason.ExpireTimeMissing;
      if (o.expireAtUs <= nowUs) return MatchRejectReason.ExpireTimeInPast;
    }
    if (o.postOnly) {
      if (type !== T_LIMIT) return MatchRejectReason.PostOnlyNotLimit;
      if (book.crosses(side, o.price!)) return MatchRejectReason.PostOnlyWouldTake;
    }
    if (tif === TIF_FOK && type < T_STOP && !book.canFill(side, type === T_MARKET ? -1 : o.price!, o.quantity, o.owner)) {
      return MatchRejectReason.FokCannotFill;
    }
    return undefined;
  }
}
