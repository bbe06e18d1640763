import type { Clock } from "../contract/index.ts";
import { type Price, type Quantity, asPrice, asQuantity } from "../domain/fixed.ts";
import { Liquidity, OrderType, Side, TimeInForce, TradingStatus } from "../domain/trading.ts";
import {
  type L2Book,
  type MatchingEngineConfig,
  MatchingEngine,
  type OrderRequest,
  type ReplaceRequest,
  type TopOfBook,
} from "./matching/engine.ts";
import type { MatchEvent } from "./matching/journal.ts";
import { type LatencyModel, zeroLatency } from "./matching/latency.ts";

export interface SimulatedExchangeConfig {
  clock: Clock;
  instruments: MatchingEngineConfig[];
  /** inbound delay of our commands; default none */
  latency?: LatencyModel;
  /** owner of the background liquidity; default "venue-background" */
  backgroundOwner?: string;
}

/** Owner of the market's own trades replayed against the books (trade prints). */
const TAPE_OWNER = "venue-tape";

/** The market the simulator shows around a reference quote: `levels` price levels per side, `stepTicks` apart. */
export interface BackgroundQuote {
  bid: Price;
  ask: Price;
  /** quantity per level */
  quantity: Quantity;
  levels: number;
  stepTicks: number;
  /** the visible sizes at the best bid and ask, placed there instead of `quantity` (the queue ahead of us) */
  best?: { bid: Quantity; ask: Quantity };
}

export interface VenueReport {
  instrument: string;
  event: MatchEvent;
}

export interface VenueTrade {
  seq: number;
  tradeId: number;
  tsUs: number;
  price: Price;
  quantity: Quantity;
  aggressorSide: Side;
}

export interface VenueQuote extends TopOfBook {
  instrument: string;
  lastTradePrice: Price;
  status: TradingStatus;
}

type Command =
  | { kind: "submit"; instrument: string; arrivalUs: number; order: OrderRequest }
  | { kind: "cancel"; instrument: string; arrivalUs: number; orderId: number; owner: string | undefined }
  | { kind: "replace"; instrument: string; arrivalUs: number; orderId: number; change: ReplaceRequest; owner: string | undefined };

interface Background {
  /** price → background order ids at that price, per side */
  bids: Map<Price, number[]>;
  asks: Map<Price, number[]>;
}

/**
 * A simulated venue: one matching engine per instrument, our commands delayed by a latency model of the injected
 * clock, venue rules (halt/resume), and background liquidity placed around a reference quote so our orders meet
 * a market and queue behind others. Its market data (top of book, trades) is read from its own books, so it is
 * consistent with the fills it reports.
 *
 * Commands keep their send order (one session: a later command never overtakes an earlier one, as on one TCP
 * connection); they take effect at `process(nowUs)` once their arrival time has come. Background refreshes and
 * halts are the venue's own actions and apply at once. Replies are not delayed.
 */
export class SimulatedExchange {
  private readonly clock: Clock;
  private readonly latency: LatencyModel;
  readonly backgroundOwner: string;
  private readonly engines = new Map<string, MatchingEngine>();
  private readonly backgrounds = new Map<string, Background>();
  private readonly pending: Command[] = [];
  private lastArrivalUs = 0;

  constructor(config: SimulatedExchangeConfig) {
    this.clock = config.clock;
    this.latency = config.latency ?? zeroLatency;
    this.backgroundOwner = config.backgroundOwner ?? "venue-background";
    for (const spec of config.instruments) {
      if (this.engines.has(spec.instrument)) throw new Error(`instrument ${spec.instrument} is configured twice`);
      this.engines.set(spec.instrument, new MatchingEngine({ ...spec, drainedJournal: true }));
      this.backgrounds.set(spec.instrument, { bids: new Map(), asks: new Map() });
    }
  }

  engine(instrument: string): MatchingEngine {
    const e = this.engines.get(instrument);
    if (!e) throw new Error(`instrument ${instrument} is not listed on this venue (listed: ${[...this.engines.keys()].join(", ")})`);
    return e;
  }

  get instruments(): string[] {
    return [...this.engines.keys()];
  }

  // ------------------------------------------------------------ our commands (delayed)

  /** Sends a new order; returns when it will reach the book (µs). */
  submit(instrument: string, order: OrderRequest): number {
    this.engine(instrument);
    return this.enqueue({ kind: "submit", instrument, arrivalUs: 0, order });
  }

  cancel(instrument: string, orderId: number, owner?: string): number {
    this.engine(instrument);
    return this.enqueue({ kind: "cancel", instrument, arrivalUs: 0, orderId, owner });
  }

  replace(instrument: string, orderId: number, change: ReplaceRequest, owner?: string): number {
    this.engine(instrument);
    return this.enqueue({ kind: "replace", instrument, arrivalUs: 0, orderId, change, owner });
  }

  /** Commands sent and not yet arrived. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** When the oldest command in flight arrives (µs), or undefined when none is. */
  get nextArrivalUs(): number | undefined {
    return this.pending[0]?.arrivalUs;
  }

  /**
   * Applies every command that has arrived by `nowUs` (GTD expiry runs at each arrival time first), then expiry at
   * `nowUs`; returns the events of all books since the last call, in sequence order per instrument.
   */
  process(nowUs: number = this.clock.nowUs()): VenueReport[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.arrivalUs <= nowUs) {
      const c = this.pending[n++]!;
      const e = this.engines.get(c.instrument)!;
      e.expire(c.arrivalUs);
      if (c.kind === "submit") e.submit(c.order, c.arrivalUs);
      else if (c.kind === "cancel") e.cancel(c.orderId, c.arrivalUs, c.owner);
      else e.replace(c.orderId, c.change, c.arrivalUs, c.owner);
    }
    this.pending.splice(0, n);
    for (const e of this.engines.values()) e.expire(nowUs);
    return this.drain();
  }

  // ------------------------------------------------------------ venue rules (immediate)

  halt(instrument: string): void {
    this.engine(instrument).setStatus(TradingStatus.Halted);
  }

  resume(instrument: string): void {
    this.engine(instrument).setStatus(TradingStatus.Open);
  }

  /** End of the trading day on every book: DAY orders expire. */
  closeSession(nowUs: number = this.clock.nowUs()): void {
    for (const e of this.engines.values()) e.closeSession(nowUs);
  }

  /**
   * Places or refreshes the background market around a reference quote. Background orders at prices that stay in
   * the ladder keep their queue position (a smaller size is cut in place, a larger one adds an order at the back);
   * those that fall out are canceled first, so the new ladder never trades with the old one. A ladder that moves
   * through our resting orders trades with them, as the market would. The quote's mid becomes the price-band
   * reference.
   */
  setBackground(instrument: string, q: BackgroundQuote, nowUs: number = this.clock.nowUs()): void {
    const e = this.engine(instrument);
    const bg = this.backgrounds.get(instrument)!;
    const tick = e.tickSize;
    if (!(q.bid > 0 && q.ask > q.bid)) throw new RangeError(`background quote bid ${q.bid} ask ${q.ask}: needs 0 < bid < ask`);
    if (q.bid % tick !== 0 || q.ask % tick !== 0) throw new RangeError(`background quote bid ${q.bid} ask ${q.ask}: not on tick ${tick}`);
    const want = (start: Price, dir: number, best: Quantity): Map<Price, Quantity> => {
      const m = new Map<Price, Quantity>();
      for (let i = 0; i < q.levels; i++) {
        const p = asPrice(start + dir * i * q.stepTicks * tick);
        const quantity = i === 0 ? best : q.quantity;
        if (p > 0 && quantity > 0) m.set(p, quantity);
      }
      return m;
    };
    const wantBids = want(q.bid, -1, q.best?.bid ?? q.quantity);
    const wantAsks = want(q.ask, 1, q.best?.ask ?? q.quantity);
    // cancel what leaves the ladder on both sides before placing anything
    this.prune(e, bg.bids, wantBids, nowUs);
    this.prune(e, bg.asks, wantAsks, nowUs);
    e.setReferencePrice(asPrice(Math.round((q.bid + q.ask) / 2 / tick) * tick));
    this.place(e, Side.Buy, bg.bids, wantBids, nowUs);
    this.place(e, Side.Sell, bg.asks, wantAsks, nowUs);
  }

  /**
   * Replays a trade the market printed: `quantity` traded at `price` with `aggressor` taking, so the resting
   * orders at that price (and any better) are consumed in price-time priority, the queue ahead of ours first.
   * The market's own action: it applies at once, without our latency. Quantity beyond the book's goes unmatched.
   */
  tape(instrument: string, aggressor: Side, price: Price, quantity: Quantity, nowUs: number = this.clock.nowUs()): void {
    const e = this.engine(instrument);
    const lots = Math.floor(quantity / e.lotSize) * e.lotSize;
    if (!(lots > 0 && price > 0 && price % e.tickSize === 0)) return;
    e.submit(
      { side: aggressor, type: OrderType.Limit, price, quantity: asQuantity(lots), timeInForce: TimeInForce.Ioc, owner: TAPE_OWNER },
      nowUs,
    );
  }

  /** Removes all background liquidity of an instrument. */
  clearBackground(instrument: string, nowUs: number = this.clock.nowUs()): void {
    const e = this.engine(instrument);
    const bg = this.backgrounds.get(instrument)!;
    this.prune(e, bg.bids, new Map(), nowUs);
    this.prune(e, bg.asks, new Map(), nowUs);
  }

  // ------------------------------------------------------------ market data and queries

  quote(instrument: string): VenueQuote {
    const e = this.engine(instrument);
    return { instrument, ...e.top(), lastTradePrice: e.lastTradePrice, status: e.status };
  }

  l2(instrument: string, depth = 10): L2Book {
    return this.engine(instrument).l2(depth);
  }

  /** Trades printed after sequence `seq`, one per match (from the taker's execution). */
  tradesSince(instrument: string, seq: number): VenueTrade[] {
    return this.engine(instrument)
      .executionsSince(seq)
      .filter((x) => x.liquidity === Liquidity.Taker)
      .map((x) => ({ seq: x.seq, tradeId: x.tradeId, tsUs: x.tsUs, price: x.price, quantity: x.quantity, aggressorSide: x.side }));
  }

  // ------------------------------------------------------------ internals

  private enqueue(c: Command): number {
    const now = this.clock.nowUs();
    const delay = this.latency(now);
    if (!(Number.isInteger(delay) && delay >= 0))
      throw new RangeError(`latency model returned ${delay}: must be a non-negative integer of µs`);
    // one session keeps order: never arrive before the previous command
    c.arrivalUs = Math.max(now + delay, this.lastArrivalUs);
    this.lastArrivalUs = c.arrivalUs;
    this.pending.push(c);
    return c.arrivalUs;
  }

  private drain(): VenueReport[] {
    const out: VenueReport[] = [];
    for (const [instrument, e] of this.engines) for (const event of e.drainEvents()) out.push({ instrument, event });
    return out;
  }

  /** Cancels background orders that are gone from the book's view of it or whose price leaves the ladder. */
  private prune(e: MatchingEngine, have: Map<Price, number[]>, want: Map<Price, Quantity>, nowUs: number): void {
    // runs on every background quote: closed orders leave the lists in place, with no description built per order
    for (const [price, ids] of have) {
      let live = 0;
      for (const id of ids) if (e.leavesOf(id) > 0) ids[live++] = id;
      ids.length = live;
      if (!want.has(price)) {
        for (const id of ids) e.cancel(id, nowUs, this.backgroundOwner);
        have.delete(price);
      } else if (live === 0) have.delete(price);
    }
  }

  private place(e: MatchingEngine, side: Side, have: Map<Price, number[]>, want: Map<Price, Quantity>, nowUs: number): void {
    for (const [price, qty] of want) {
      const ids = have.get(price) ?? [];
      let resting = 0;
      for (const id of ids) resting += e.leavesOf(id);
      // cut from the back of our own queue first so the front keeps its place
      for (let i = ids.length - 1; i >= 0 && resting > qty; i--) {
        const o = e.order(ids[i]!)!;
        const cut = Math.min(o.leaves, resting - qty);
        if (cut === o.leaves) {
          e.cancel(o.orderId, nowUs, this.backgroundOwner);
          ids.splice(i, 1);
        } else e.replace(o.orderId, { quantity: asQuantity(o.quantity - cut) }, nowUs, this.backgroundOwner);
        resting -= cut;
      }
      if (resting < qty) {
        const order: OrderRequest = {
          side,
          type: OrderType.Limit,
          price,
          quantity: asQuantity(qty - resting),
          timeInForce: TimeInForce.Gtc,
          owner: this.backgroundOwner,
        };
        const id = e.submit(order, nowUs);
        if (e.leavesOf(id) > 0) ids.push(id);
      }
      if (ids.length > 0) have.set(price, ids);
      else have.delete(price);
    }
  }
}
