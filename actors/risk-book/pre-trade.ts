/**
 * The pre-trade check, a pure function of the book, its limits, the market and the time. It never changes the
 * book: the caller journals OrderApproved (which reserves the order) or OrderDenied (which changes nothing).
 *
 * Worst case with pending orders: every approved, still-open order is assumed to fill completely. Position and
 * exposure limits compare the worst case in the direction the order moves, so an order that only reduces risk
 * passes even when the book is already over a limit (e.g. after limits were lowered). Exposure is valued at
 * each instrument's mark (book mark source), else its last fill price, else the pending or new order's price.
 */
import {
  formatFixed,
  type Money,
  type OrderType,
  type PositionLeg,
  type Price,
  type Quantity,
  type RiskLimits,
  type Side,
  asQuantity,
  ZERO_PRICE,
  asMoney,
} from "../domain/index.ts";
import { DenyReason } from "./deny-reason.ts";
import { instrumentLimits } from "./limits.ts";
import { type RegimeTable, regimeFactor, scaledMoney, scaledQuantity } from "./regime-caution.ts";
import { absMoney as abs, contractValue, type MarkTable, markPrice, maxMoney, netQuantity, totals } from "./portfolio.ts";
import { type Reserved, reservations, reservedPrice } from "./reservations.ts";
import type { PendingOrder, RiskBook } from "./state.ts";

export interface OrderToCheck {
  clientOrderId: string;
  instrument: string;
  side: Side;
  orderType: OrderType;
  quantity: Quantity;
  /** limit price; absent for market orders */
  price?: Price;
  strategy: string;
  reduceOnly?: boolean;
  positionSide?: Exclude<PositionLeg, "NET">;
}

/** The first term in which an order differs from the open order under its clientOrderId, for the refusal. */
export function differingTerm(prior: PendingOrder, order: OrderToCheck): string {
  if (prior.instrument !== order.instrument) return `instrument: ${prior.instrument}, not ${order.instrument}`;
  if (prior.side !== order.side) return `side: ${prior.side}, not ${order.side}`;
  if (prior.strategy !== order.strategy) return `strategy: ${prior.strategy}, not ${order.strategy}`;
  if (prior.quantity !== order.quantity) return `quantity: ${prior.quantity}, not ${order.quantity}`;
  if (order.price !== undefined && prior.price !== order.price) return `price: ${prior.price}, not ${order.price}`;
  return "none";
}

export type LimitValue = bigint | number | string;
export type CheckResult =
  | { ok: true /** the price the order's exposure is reserved at */; price: Price }
  | { ok: false; reason: DenyReason; message: string; limit: LimitValue; value: LimitValue };

const deny = (reason: DenyReason, message: string, limit: LimitValue, value: LimitValue): CheckResult => ({
  ok: false,
  reason,
  message: `${reason}: ${message}`,
  limit,
  value,
});

const fmt = formatFixed;

function legQuantity(book: RiskBook, instrument: string, leg: "LONG" | "SHORT"): Quantity {
  return asQuantity(Math.abs(book.portfolio.positions[`${instrument}|${leg}`]?.quantity ?? 0));
}

interface Exposure {
  gross: Money;
  net: Money;
}

/** Worst-case gross and net exposure over all instruments, without and with the order (one pass). */
function worstExposure(
  book: RiskBook,
  market: MarkTable,
  reserved: ReadonlyMap<string, Readonly<Reserved>>,
  order: OrderToCheck,
  orderPrice: Price,
): { before: Exposure; after: Exposure } {
  const instruments = new Set<string>(reserved.keys());
  for (const p of Object.values(book.portfolio.positions)) if (p.quantity !== 0) instruments.add(p.instrument);
  instruments.add(order.instrument);
  const sums = { gross: 0n, netHi: 0n, netLo: 0n, orderGross: 0n, orderHi: 0n, orderLo: 0n };
  for (const i of instruments) {
    const r = reserved.get(i);
    const px = valuationPrice(book, market, i) ?? (i === order.instrument ? orderPrice : (reservedPrice(book.pending, i) ?? ZERO_PRICE));
    const mult = book.instruments[i]?.multiplier ?? 0;
    const net = netQuantity(book.portfolio, i);
    // Worst-case quantities are sums of quantities in units, branded where they are valued.
    const one = (buys: number, sells: number, openLong: number, openShort: number) => {
      const hi = contractValue(px, asQuantity(net + buys), mult);
      const lo = contractValue(px, asQuantity(net - sells), mult);
      // Hedging legs are held apart, so both count in gross; closing orders are not credited (conservative).
      const gross =
        book.portfolio.mode === "HEDGING"
          ? contractValue(px, asQuantity(legQuantity(book, i, "LONG") + legQuantity(book, i, "SHORT") + openLong + openShort), mult)
          : maxMoney(abs(hi), abs(lo));
      return { hi, lo, gross };
    };
    const base = one(r?.buys ?? 0, r?.sells ?? 0, r?.openLong ?? 0, r?.openShort ?? 0);
    sums.gross += base.gross;
    sums.netHi += base.hi;
    sums.netLo += base.lo;
    if (i === order.instrument) {
      const buy = order.side === "BUY";
      const q = order.quantity;
      const w = one(
        (r?.buys ?? 0) + (buy ? q : 0),
        (r?.sells ?? 0) + (buy ? 0 : q),
        (r?.openLong ?? 0) + (buy && order.positionSide !== "SHORT" ? q : 0),
        (r?.openShort ?? 0) + (!buy && order.positionSide !== "LONG" ? q : 0),
      );
      sums.orderGross = w.gross - base.gross;
      sums.orderHi = w.hi - base.hi;
      sums.orderLo = w.lo - base.lo;
    }
  }
  const net = (hi: bigint, lo: bigint) => maxMoney(abs(asMoney(hi)), abs(asMoney(lo)));
  return {
    before: { gross: asMoney(sums.gross), net: net(sums.netHi, sums.netLo) },
    after: { gross: asMoney(sums.gross + sums.orderGross), net: net(sums.netHi + sums.orderHi, sums.netLo + sums.orderLo) },
  };
}

/** The price exposure in an instrument is valued at: its mark, else its last fill. */
export function valuationPrice(book: RiskBook, market: MarkTable, instrument: string): Price | undefined {
  const m = markPrice(market[instrument], book.markSource);
  if (m !== undefined) return m;
  for (const leg of ["", "|LONG", "|SHORT"]) {
    const p = book.portfolio.positions[instrument + leg];
    if (p && p.lastFillPrice > 0) return p.lastFillPrice;
  }
  return undefined;
}

/** Does the order, with the pending orders on its side, only reduce the position without flipping it? */
function reduces(
  book: RiskBook,
  order: OrderToCheck,
  reserved: Readonly<Reserved> | undefined,
): { ok: boolean; after: Quantity; net: Quantity } {
  const net = netQuantity(book.portfolio, order.instrument);
  if (order.side === "SELL") {
    const after = asQuantity(net - (reserved?.sells ?? 0) - order.quantity);
    return { ok: net > 0 && after >= 0, after, net };
  }
  const after = asQuantity(net + (reserved?.buys ?? 0) + order.quantity);
  return { ok: net < 0 && after <= 0, after, net };
}

/** Why an instrument is cautious, for a deny message. */
function regimeNote(regimes: RegimeTable | undefined, instrument: string): string {
  const r = regimes?.[instrument];
  return r ? `regime change: changeProbability ${r.changeProbability.toFixed(3)}, run length ${r.runLength}` : "regime change";
}

export function checkOrder(
  book: RiskBook,
  limits: RiskLimits,
  order: OrderToCheck,
  market: MarkTable,
  nowUs: number,
  regimes?: RegimeTable,
): CheckResult {
  const i = order.instrument;
  if (book.killSwitch.global) {
    const k = book.killSwitch.global;
    return deny(DenyReason.GlobalKillSwitch, `global kill switch engaged by ${k.by} (${k.reason})`, "released", "engaged");
  }
  if (book.killSwitch.book) {
    const k = book.killSwitch.book;
    return deny(DenyReason.KillSwitch, `kill switch of book ${book.book} engaged by ${k.by} (${k.reason})`, "released", "engaged");
  }
  const strategySwitch = book.killSwitch.strategies?.[order.strategy];
  if (strategySwitch) {
    return deny(
      DenyReason.StrategyKillSwitch,
      `kill switch of strategy ${order.strategy} engaged by ${strategySwitch.by} (${strategySwitch.reason})`,
      "released",
      "engaged",
    );
  }
  const spec = book.instruments[i];
  if (!spec) return deny(DenyReason.UnknownInstrument, `book ${book.book} has no instrument ${i}`, "registered", "unknown");
  const prior = book.pending[order.clientOrderId];
  if (prior) {
    const differs = differingTerm(prior, order);
    return deny(
      DenyReason.DuplicateOrder,
      `clientOrderId ${order.clientOrderId} names an open order with other terms (${differs})`,
      "unique",
      order.clientOrderId,
    );
  }
  const valuation = valuationPrice(book, market, i);
  const orderPrice = order.price ?? valuation;
  if (orderPrice === undefined)
    return deny(DenyReason.NoReferencePrice, `market order on ${i} and no mark or fill price is known`, "a price", "none");
  const reserved = reservations(book.pending);
  const r = reserved.get(i);
  const reduction = reduces(book, order, r);

  if (limits.reduceOnly || order.reduceOnly) {
    if (!reduction.ok) {
      const by = limits.reduceOnly ? "book is in reduce-only mode" : "order is reduce-only";
      return deny(
        DenyReason.ReduceOnly,
        `${by}: position ${fmt(reduction.net)} of ${i} would become ${fmt(reduction.after)} with pending orders`,
        reduction.net,
        reduction.after,
      );
    }
  }
  const il = instrumentLimits(limits, i);
  if (il.maxOrderQuantity !== undefined && order.quantity > il.maxOrderQuantity) {
    return deny(
      DenyReason.MaxOrderQuantity,
      `quantity ${fmt(order.quantity)} exceeds maxOrderQuantity ${fmt(il.maxOrderQuantity)} for ${i}`,
      il.maxOrderQuantity,
      order.quantity,
    );
  }
  const orderNotional = contractValue(orderPrice, order.quantity, spec.multiplier);
  if (il.maxOrderNotional !== undefined && orderNotional > il.maxOrderNotional) {
    return deny(
      DenyReason.MaxOrderNotional,
      `notional ${fmt(orderNotional)} exceeds maxOrderNotional ${fmt(il.maxOrderNotional)} for ${i}`,
      il.maxOrderNotional,
      orderNotional,
    );
  }
  const regime = regimeFactor(regimes, limits, i);
  if (regime !== undefined && il.maxOrderNotional !== undefined) {
    const scaled = scaledMoney(il.maxOrderNotional, regime);
    if (orderNotional > scaled)
      return deny(
        DenyReason.RegimeLimit,
        `notional ${fmt(orderNotional)} exceeds maxOrderNotional ${fmt(il.maxOrderNotional)} × regimeScale.factor ${regime} = ${fmt(scaled)} for ${i} (${regimeNote(regimes, i)})`,
        scaled,
        orderNotional,
      );
  }
  if (limits.priceCollarBps !== undefined && order.price !== undefined) {
    const ref = markPrice(market[i], limits.collarReference);
    if (ref === undefined)
      return deny(
        DenyReason.NoReferencePrice,
        `price collar needs a ${limits.collarReference} price of ${i} and none is known`,
        "a price",
        "none",
      );
    const dev = BigInt(Math.abs(order.price - ref)) * 10_000n;
    if (dev > BigInt(limits.priceCollarBps) * BigInt(ref)) {
      const bps = Number((dev * 100n) / BigInt(ref)) / 100;
      return deny(
        DenyReason.PriceCollar,
        `price ${fmt(order.price)} is ${bps} bps from ${limits.collarReference} ${fmt(ref)}, beyond priceCollarBps ${limits.priceCollarBps}`,
        limits.priceCollarBps,
        bps,
      );
    }
  }
  if (limits.orderRate) {
    const { maxOrders, windowUs } = limits.orderRate;
    let n = 0;
    for (const t of book.approvals[order.strategy] ?? []) if (t > nowUs - windowUs) n++;
    if (n + 1 > maxOrders) {
      return deny(
        DenyReason.OrderRate,
        `strategy ${order.strategy} has ${n} approved orders in the last ${windowUs} µs, orderRate.maxOrders is ${maxOrders}`,
        maxOrders,
        n + 1,
      );
    }
  }
  if (limits.maxDailyLoss || limits.maxDrawdown) {
    const { equity } = totals(book.portfolio, book.instruments, market, book.markSource);
    // A book over its loss limits may still reduce risk.
    if (limits.maxDailyLoss && !reduction.ok) {
      const loss = book.dayStartEquity - equity;
      if (loss > limits.maxDailyLoss.hard) {
        return deny(
          DenyReason.DailyLoss,
          `daily loss ${fmt(loss)} exceeds maxDailyLoss ${fmt(limits.maxDailyLoss.hard)}; only reducing orders are allowed`,
          limits.maxDailyLoss.hard,
          loss,
        );
      }
    }
    if (limits.maxDrawdown && !reduction.ok) {
      const hwm = maxMoney(equity, book.highWaterMark);
      const dd = hwm - equity;
      if (dd > limits.maxDrawdown.hard) {
        return deny(
          DenyReason.MaxDrawdown,
          `drawdown ${fmt(dd)} from high-water mark ${fmt(hwm)} exceeds maxDrawdown ${fmt(limits.maxDrawdown.hard)}; only reducing orders are allowed`,
          limits.maxDrawdown.hard,
          dd,
        );
      }
    }
  }
  if (il.maxPosition !== undefined) {
    const net = netQuantity(book.portfolio, i);
    const worst = order.side === "BUY" ? net + (r?.buys ?? 0) + order.quantity : net - (r?.sells ?? 0) - order.quantity;
    if (Math.abs(worst) > il.maxPosition) {
      return deny(
        DenyReason.MaxPosition,
        `position of ${i} after the order, with pending orders, would be ${fmt(worst)}, beyond maxPosition ${fmt(il.maxPosition)}`,
        il.maxPosition,
        Math.abs(worst),
      );
    }
    const scaled = regime === undefined ? undefined : scaledQuantity(il.maxPosition, regime);
    if (scaled !== undefined && Math.abs(worst) > scaled) {
      return deny(
        DenyReason.RegimeLimit,
        `position of ${i} after the order, with pending orders, would be ${fmt(worst)}, beyond maxPosition ${fmt(il.maxPosition)} × regimeScale.factor ${regime} = ${fmt(scaled)} (${regimeNote(regimes, i)})`,
        scaled,
        Math.abs(worst),
      );
    }
  }
  if (limits.maxGrossExposure || limits.maxNetExposure) {
    const { before, after } = worstExposure(book, market, reserved, order, orderPrice);
    const g = limits.maxGrossExposure;
    if (g && after.gross > g.hard && after.gross > before.gross) {
      return deny(
        DenyReason.MaxGrossExposure,
        `gross exposure after the order (worst case) ${fmt(after.gross)} exceeds maxGrossExposure ${fmt(g.hard)}`,
        g.hard,
        after.gross,
      );
    }
    const n = limits.maxNetExposure;
    if (n && after.net > n.hard && after.net > before.net) {
      return deny(
        DenyReason.MaxNetExposure,
        `net exposure after the order (worst case) ${fmt(after.net)} exceeds maxNetExposure ${fmt(n.hard)}`,
        n.hard,
        after.net,
      );
    }
  }
  return { ok: true, price: orderPrice };
}
