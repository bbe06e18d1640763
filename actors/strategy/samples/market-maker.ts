/**
 * Market maker after Avellaneda & Stoikov (2008): quotes around a reservation price that leans against inventory,
 *   r = s − q·γ·σ²·(T−t),   δ = γ·σ²·(T−t) + (2/γ)·ln(1 + γ/κ),   bid = r − δ/2,  ask = r + δ/2,
 * with a rolling horizon T−t, σ² the mid's variance per second (EWMA), q the inventory in quote-size lots.
 * Quotes are post-only limits, re-quoted when the wanted price moves by requoteTicks or the quote gets old, and a
 * side is not quoted when a fill there could take the inventory past its limit.
 */
import { z } from "zod";
import {
  type Price,
  type Quantity,
  type Quote,
  type StrategyOrderEvent,
  toNumber,
  asPrice,
  asQuantity,
  ZERO_PRICE,
} from "../../domain/index.ts";
import {
  type StrategyInstrument,
  type Intent,
  type Intents,
  noIntents,
  type OpenOrderView,
  OrderStatus,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
} from "../strategy.ts";
import { toLots, toTicks } from "./grid.ts";

export const marketMakerParameters = z.object({
  /** risk aversion */
  gamma: z.number().positive().default(0.1),
  /** order-book liquidity: how fast fill intensity decays with distance from the mid, per price unit */
  kappa: z.number().positive().default(100),
  /** T − t in seconds (a rolling horizon) */
  horizonSeconds: z.number().positive().default(60),
  /** EWMA span, in quotes, of the mid's variance */
  volSpan: z.number().int().min(2).default(50),
  warmupQuotes: z.number().int().min(2).default(20),
  /** whole units per quote */
  quoteSize: z.number().positive().default(1),
  /** |position| limit in whole units */
  maxInventory: z.number().positive().default(10),
  minSpreadTicks: z.number().int().min(1).default(1),
  requoteTicks: z.number().int().min(1).default(2),
  maxQuoteAgeMs: z.number().int().positive().default(5000),
});
export type MarketMakerParameters = z.output<typeof marketMakerParameters>;

export interface ReservationQuote {
  reservation: number;
  spread: number;
}

/** The Avellaneda–Stoikov reservation price and optimal total spread (floats, price units). */
export function avellanedaStoikov(
  mid: number,
  inventory: number,
  gamma: number,
  variance: number,
  kappa: number,
  tau: number,
): ReservationQuote {
  return {
    reservation: mid - inventory * gamma * variance * tau,
    spread: gamma * variance * tau + (2 / gamma) * Math.log(1 + gamma / kappa),
  };
}

export interface MakerQuotes {
  /** undefined: that side is not quoted */
  bid: Price | undefined;
  ask: Price | undefined;
  bidSize: Quantity;
  askSize: Quantity;
  reservation: number;
}

export interface MakerInputs {
  bestBid: Price;
  bestAsk: Price;
  position: Quantity;
  variance: number;
  spec: StrategyInstrument;
  /** our own live quotes: a new bid stays below our lowest ask and vice versa */
  ownLowestAsk: Price | undefined;
  ownHighestBid: Price | undefined;
}

/**
 * Quotes on the grid: bid rounded down, ask up, at least minSpreadTicks apart, post-only (never through the
 * market), never crossing our own quotes, sized so a full fill stays within maxInventory.
 */
export function makerQuotes(m: MakerInputs, p: MarketMakerParameters): MakerQuotes {
  const tick = m.spec.tickSize;
  const mid = toNumber(m.bestBid + m.bestAsk) / 2;
  const quoteSize = toLots(p.quoteSize, m.spec.lotSize);
  const q = quoteSize > 0 ? m.position / quoteSize : 0;
  const { reservation, spread } = avellanedaStoikov(mid, q, p.gamma, m.variance, p.kappa, p.horizonSeconds);
  // Quote prices are moved by whole ticks as plain units, then branded once in the result.
  let bid: number = toTicks(reservation - spread / 2, tick, "down");
  let ask: number = toTicks(reservation + spread / 2, tick, "up");
  if (ask - bid < p.minSpreadTicks * tick) ask = bid + p.minSpreadTicks * tick;
  bid = Math.min(bid, m.bestAsk - tick);
  ask = Math.max(ask, m.bestBid + tick);
  if (m.ownLowestAsk !== undefined) bid = Math.min(bid, m.ownLowestAsk - tick);
  if (m.ownHighestBid !== undefined) ask = Math.max(ask, m.ownHighestBid + tick);
  const maxInventory = toLots(p.maxInventory, m.spec.lotSize);
  const bidSize = asQuantity(Math.max(0, Math.min(quoteSize, maxInventory - m.position)));
  const askSize = asQuantity(Math.max(0, Math.min(quoteSize, maxInventory + m.position)));
  return {
    bid: bid > 0 && bidSize > 0 ? asPrice(bid) : undefined,
    ask: askSize > 0 ? asPrice(ask) : undefined,
    bidSize,
    askSize,
    reservation,
  };
}

class MidVariance {
  count = 0;
  variance = 0;
  lastMid = Number.NaN;
  lastUs = 0;
  add(mid: number, nowUs: number, span: number): void {
    if (this.count > 0 && nowUs > this.lastUs) {
      const dt = (nowUs - this.lastUs) / 1e6;
      const d = mid - this.lastMid;
      const alpha = 2 / (span + 1);
      this.variance = this.count === 1 ? (d * d) / dt : (1 - alpha) * this.variance + (alpha * d * d) / dt;
    }
    this.count += 1;
    this.lastMid = mid;
    this.lastUs = nowUs;
  }
}

interface Market {
  vol: MidVariance;
  bestBid: Price;
  bestAsk: Price;
}

const BID = "bid";
const ASK = "ask";

class MarketMaker implements Strategy<MarketMakerParameters> {
  private readonly markets = new Map<string, Market>();

  constructor(
    private params: MarketMakerParameters,
    instruments: readonly StrategyInstrument[],
  ) {
    for (const i of instruments) this.markets.set(i.id, { vol: new MidVariance(), bestBid: ZERO_PRICE, bestAsk: ZERO_PRICE });
  }

  isReady(): boolean {
    for (const m of this.markets.values()) if (m.vol.count < this.params.warmupQuotes) return false;
    return true;
  }

  onParameters(next: MarketMakerParameters): void {
    this.params = next;
  }

  onQuote(quote: Quote, ctx: StrategyContext<MarketMakerParameters>): Intents {
    const m = this.markets.get(quote.instrument);
    if (!m || quote.crossed || quote.bid >= quote.ask) return noIntents;
    m.bestBid = quote.bid;
    m.bestAsk = quote.ask;
    m.vol.add(toNumber(quote.bid + quote.ask) / 2, ctx.nowUs, ctx.params.volSpan);
    if (m.vol.count < ctx.params.warmupQuotes) return noIntents;
    return this.requote(quote.instrument, m, ctx);
  }

  /** A canceled or filled quote is replaced at once from the last market seen (all markets when unnamed). */
  onOrderEvent(e: StrategyOrderEvent, ctx: StrategyContext<MarketMakerParameters>): Intents {
    if (e.type === "OrderAccepted") return noIntents;
    return this.requoteAll(ctx, e.instrument);
  }

  /** Stale quotes are replaced even when the market is quiet. */
  onTimer(ctx: StrategyContext<MarketMakerParameters>): Intents {
    return this.requoteAll(ctx, undefined);
  }

  private requoteAll(ctx: StrategyContext<MarketMakerParameters>, only: string | undefined): Intents {
    let out: Intent[] | undefined;
    for (const [instrument, m] of this.markets) {
      if ((only !== undefined && instrument !== only) || m.vol.count < ctx.params.warmupQuotes) continue;
      const intents = this.requote(instrument, m, ctx);
      if (intents.length > 0) out = out ? out.concat(intents) : intents;
    }
    return out ?? noIntents;
  }

  private requote(instrument: string, m: Market, ctx: StrategyContext<MarketMakerParameters>): Intent[] {
    const p = ctx.params;
    const spec = ctx.instrument(instrument);
    const open = ctx.openOrders(instrument);
    let ownLowestAsk: Price | undefined;
    let ownHighestBid: Price | undefined;
    for (const o of open) {
      if (o.price === undefined) continue;
      if (o.side === "SELL") ownLowestAsk = ownLowestAsk === undefined ? o.price : asPrice(Math.min(ownLowestAsk, o.price));
      else ownHighestBid = ownHighestBid === undefined ? o.price : asPrice(Math.max(ownHighestBid, o.price));
    }
    // quotes are computed against the opposite side's orders that will survive; decide bids first, then asks
    const wanted = makerQuotes(
      {
        bestBid: m.bestBid,
        bestAsk: m.bestAsk,
        position: ctx.position(instrument),
        variance: m.vol.variance,
        spec,
        ownLowestAsk: undefined,
        ownHighestBid: undefined,
      },
      p,
    );
    const out: Intent[] = [];
    const ask = this.side(out, open, "SELL", wanted.ask, wanted.askSize, spec, ctx, instrument, ownHighestBid);
    const lowestAsk = ask === undefined ? ownLowestAsk : ownLowestAsk === undefined ? ask : asPrice(Math.min(ask, ownLowestAsk));
    this.side(out, open, "BUY", wanted.bid, wanted.bidSize, spec, ctx, instrument, lowestAsk);
    return out;
  }

  /**
   * One side: cancel a stale quote, or place a new one when the side is clear. Nothing happens on a side with an
   * order in flight (unacknowledged or being canceled). Returns the price of the quote that stays, if any.
   */
  private side(
    out: Intent[],
    open: readonly OpenOrderView[],
    side: "BUY" | "SELL",
    price: Price | undefined,
    size: Quantity,
    spec: StrategyInstrument,
    ctx: StrategyContext<MarketMakerParameters>,
    instrument: string,
    opposite: Price | undefined,
  ): Price | undefined {
    const p = ctx.params;
    const tick = spec.tickSize;
    const mine = open.filter((o) => o.side === side);
    if (mine.some((o) => o.status !== OrderStatus.Working)) return mine[0]?.price;
    // keep our quotes uncrossed: a bid below every ask of ours that may still be live, and the reverse
    let want = price;
    if (want !== undefined && opposite !== undefined)
      want = asPrice(side === "BUY" ? Math.min(want, opposite - tick) : Math.max(want, opposite + tick));
    if (want !== undefined && want <= 0) want = undefined;
    let kept: Price | undefined;
    for (const o of mine) {
      const stale =
        want === undefined ||
        kept !== undefined ||
        Math.abs((o.price ?? 0) - want) >= p.requoteTicks * tick ||
        o.leavesQty > size ||
        ctx.nowUs - o.submittedUs > p.maxQuoteAgeMs * 1000 ||
        (opposite !== undefined && (side === "BUY" ? (o.price ?? 0) >= opposite : (o.price ?? 0) <= opposite));
      if (stale) out.push({ kind: "cancel", clientOrderId: o.clientOrderId });
      else kept = o.price;
    }
    if (mine.length > 0 || want === undefined || size <= 0) return kept;
    out.push({
      kind: "submit",
      instrument,
      side,
      type: "LIMIT",
      price: want,
      quantity: size,
      timeInForce: "GTC",
      postOnly: true,
      tag: side === "BUY" ? BID : ASK,
    });
    return want;
  }
}

export const marketMaker: StrategyDefinition<MarketMakerParameters> = {
  name: "market-maker",
  parameters: marketMakerParameters,
  create: (params, instruments) => new MarketMaker(params, instruments),
};
