import {
  type RawBookUpdate,
  type RawQuote,
  type RawTrade,
  asQuantity,
  subtractQuantity,
  type Price,
  type Quantity,
} from "../../domain/index.ts";
import { HawkesArrivals } from "./hawkes.ts";
import { IntradayProfile } from "./intraday-profile.ts";
import { Xoshiro128 } from "./prng.ts";
import { type LevelChange, VenueBook } from "./venue-book.ts";

/** What the simulator needs of an instrument (an InstrumentDefinition fits). Prices and sizes in 1e-8 units. */
export interface SimulatedInstrument {
  id: string;
  priceIncrement: Price;
  lotSize: Quantity;
  /** starting mid price in units; drawn from the seed (10 to 500) when absent */
  initialPrice?: number;
}

export interface SimulatorConfig {
  seed: number;
  /** simulated time of the first event, µs since the epoch */
  startUs: number;
  instruments: readonly SimulatedInstrument[];
  /** mean market events (quote changes and trades) per instrument per second, default 50 */
  eventsPerSecond?: number;
  /** Hawkes branching ratio α/β: the share of events triggered by earlier ones, default 0.7 */
  branchingRatio?: number;
  /** Hawkes decay β per second, default 5 (clusters last a few hundred ms) */
  decayPerSecond?: number;
  /** share of events that are trades, default 0.25 */
  tradeProbability?: number;
  /** book levels per side, default 10 */
  depth?: number;
  /** long-run annualised volatility √θ of the Heston variance, default 0.3 */
  volatility?: number;
  /** Heston mean reversion κ per year, default 4 */
  meanReversion?: number;
  /** Heston volatility of variance ξ, default 0.8 */
  volOfVol?: number;
  /** correlation ρ of price and variance shocks, default −0.6 (leverage effect) */
  correlation?: number;
  /** Poisson jumps per instrument per day, default 2, with log-size N(0, jumpStdev), default 0.01 */
  jumpsPerDay?: number;
  jumpStdev?: number;
  /** spread at long-run volatility, in ticks, default 1; it widens with √(v/θ) */
  baseSpreadTicks?: number;
  /** the trading session for the U-shaped activity profile, UTC minutes, default all day */
  session?: { open: number; close: number };
  /** put CRC-32 checksums on book updates, default true */
  checksums?: boolean;
  /** start with a book snapshot per instrument, default true */
  snapshotOnStart?: boolean;
  /**
   * First book sequence and trade number of this run, default 0. A feed restarted at a later time gives its start
   * time (µs) here, so its sequences continue above the earlier run's and its trade ids do not repeat them.
   */
  seqBase?: number;
}

export type SimulatedEvent =
  | ({ type: "RawQuote" } & RawQuote)
  | ({ type: "RawTrade" } & RawTrade)
  | ({ type: "RawBookUpdate" } & RawBookUpdate);

const US_PER_YEAR = 365 * 86_400_000_000;

interface InstrumentState {
  index: number;
  id: string;
  rng: Xoshiro128;
  arrivals: HawkesArrivals;
  book: VenueBook;
  tick: Price;
  lot: Quantity;
  logMid: number;
  variance: number;
  priceUs: number;
  nextUs: number;
  seq: number;
  trades: number;
  bidTick: number;
  askTick: number;
}

/**
 * A deterministic multi-instrument market: the same config and seed give the same stream, event for event.
 * Prices follow a Heston stochastic-volatility diffusion with Poisson jumps in log space; activity follows a
 * Hawkes process whose base rate has a U-shaped intraday profile; the spread widens with volatility; trades hit
 * the touch and deplete it. Each instrument has its own PRNG stream, so adding one leaves the others unchanged.
 * Pure: time is only the simulated time it is asked to reach.
 */
export class MarketSimulator {
  private readonly states: InstrumentState[];
  private readonly byId = new Map<string, InstrumentState>();
  /** binary min-heap of instruments by next event time (ties by index, for determinism) */
  private readonly heap: InstrumentState[] = [];
  private readonly pending: SimulatedEvent[] = [];
  private pendingAt = 0;
  private readonly c: Required<Omit<SimulatorConfig, "session" | "instruments">>;

  constructor(config: SimulatorConfig) {
    this.c = {
      seed: config.seed,
      startUs: config.startUs,
      eventsPerSecond: config.eventsPerSecond ?? 50,
      branchingRatio: config.branchingRatio ?? 0.7,
      decayPerSecond: config.decayPerSecond ?? 5,
      tradeProbability: config.tradeProbability ?? 0.25,
      depth: config.depth ?? 10,
      volatility: config.volatility ?? 0.3,
      meanReversion: config.meanReversion ?? 4,
      volOfVol: config.volOfVol ?? 0.8,
      correlation: config.correlation ?? -0.6,
      jumpsPerDay: config.jumpsPerDay ?? 2,
      jumpStdev: config.jumpStdev ?? 0.01,
      baseSpreadTicks: config.baseSpreadTicks ?? 1,
      checksums: config.checksums ?? true,
      snapshotOnStart: config.snapshotOnStart ?? true,
      seqBase: config.seqBase ?? 0,
    };
    if (!Number.isSafeInteger(this.c.seqBase) || this.c.seqBase < 0)
      throw new Error(`seqBase: ${config.seqBase} is not a non-negative safe integer`);
    const profile = new IntradayProfile(config.session?.open ?? 0, config.session?.close ?? 1440);
    // listings of one symbol on several venues (SYM.X, SYM.Y) start at one price, as the same stock does: their
    // prices then wander apart a little, which is what a smart router exploits
    const symbolPrice = new Map<string, number>();
    this.states = config.instruments.map((inst, index) => {
      if (!(inst.priceIncrement > 0 && inst.lotSize > 0))
        throw new Error(`instrument ${inst.id}: priceIncrement and lotSize must be positive`);
      const rng = new Xoshiro128(config.seed, index);
      const symbol = inst.id.slice(0, inst.id.lastIndexOf("."));
      // the draw is taken whenever no price is given, so each instrument's stream is the same as before
      const drawn = inst.initialPrice ?? Math.round((10 + rng.next() * 490) * 1e8);
      const initial = inst.initialPrice ?? symbolPrice.get(symbol) ?? drawn;
      if (!symbolPrice.has(symbol)) symbolPrice.set(symbol, initial);
      const s: InstrumentState = {
        index,
        id: inst.id,
        rng,
        arrivals: new HawkesArrivals(this.c.eventsPerSecond, this.c.branchingRatio, this.c.decayPerSecond, profile, config.startUs),
        book: new VenueBook(this.c.depth, inst.priceIncrement, inst.lotSize, 5),
        tick: inst.priceIncrement,
        lot: inst.lotSize,
        logMid: Math.log(initial / inst.priceIncrement),
        variance: this.c.volatility ** 2,
        priceUs: config.startUs,
        nextUs: 0,
        seq: this.c.seqBase,
        trades: this.c.seqBase,
        bidTick: 0,
        askTick: 0,
      };
      this.quoteTicks(s);
      s.book.reprice(s.bidTick, s.askTick, rng, [], []);
      s.nextUs = s.arrivals.next(rng);
      this.byId.set(s.id, s);
      return s;
    });
    if (this.c.snapshotOnStart) for (const s of this.states) this.pending.push(this.snapshotOf(s, config.startUs));
    for (const s of this.states) this.heapPush(s);
  }

  /** The next event in time order (ties in instrument order); the stream is endless. */
  next(): SimulatedEvent {
    if (this.pendingAt < this.pending.length) return this.pending[this.pendingAt++]!;
    this.pending.length = 0;
    this.pendingAt = 0;
    while (this.pending.length === 0) {
      const s = this.heap[0]!;
      this.generate(s);
      s.nextUs = s.arrivals.next(s.rng);
      this.heapSiftDown(0);
    }
    return this.pending[this.pendingAt++]!;
  }

  /** Time of the next event, µs. */
  peekUs(): number {
    if (this.pendingAt < this.pending.length) return this.pending[this.pendingAt]!.tsEvent;
    return Math.floor(this.heap[0]?.nextUs ?? Number.POSITIVE_INFINITY);
  }

  /** All events up to and including `untilUs`, appended to `out` (pass a reused array to avoid allocation). */
  step(untilUs: number, out: SimulatedEvent[] = []): SimulatedEvent[] {
    while (this.peekUs() <= untilUs) out.push(this.next());
    return out;
  }

  *events(untilUs = Number.POSITIVE_INFINITY): Generator<SimulatedEvent> {
    while (this.peekUs() <= untilUs) yield this.next();
  }

  /** The venue's current book of `instrumentId`, as the answer to a BookSnapshotRequest. */
  snapshot(instrumentId: string, nowUs: number): { type: "RawBookUpdate" } & RawBookUpdate {
    const s = this.byId.get(instrumentId);
    if (!s) throw new Error(`instrument ${instrumentId} is not simulated`);
    return this.snapshotOf(s, nowUs);
  }

  /** The venue book of an instrument (read-only view, best first), for tests. */
  venueBook(instrumentId: string): VenueBook {
    const s = this.byId.get(instrumentId);
    if (!s) throw new Error(`instrument ${instrumentId} is not simulated`);
    return s.book;
  }

  private snapshotOf(s: InstrumentState, nowUs: number): { type: "RawBookUpdate" } & RawBookUpdate {
    const b = s.book;
    const zip = (p: Price[], q: Quantity[]): LevelChange[] => p.map((x, i) => [x, q[i]!]);
    return {
      type: "RawBookUpdate",
      instrument: s.id,
      kind: "snapshot",
      bids: zip(b.bidPrices, b.bidSizes),
      asks: zip(b.askPrices, b.askSizes),
      seq: s.seq,
      ...(this.c.checksums ? { checksum: b.checksum() } : {}),
      tsEvent: nowUs,
      tsInit: nowUs,
    };
  }

  /** Evolves the price to the event time and emits the event's messages into `pending`. */
  private generate(s: InstrumentState): void {
    const us = Math.floor(s.nextUs);
    this.evolve(s, us);
    const rng = s.rng;
    const book = s.book;
    if (rng.next() < this.c.tradeProbability && book.bidPrices.length > 0 && book.askPrices.length > 0) {
      const buy = rng.next() < 0.5;
      const sizes = buy ? book.askSizes : book.bidSizes;
      const price = buy ? book.askPrices[0]! : book.bidPrices[0]!;
      const size = asQuantity(Math.min(sizes[0]!, s.lot * (1 + Math.floor(rng.exponential(3)))));
      // the touch is depleted by the trade and refilled by new orders at once when emptied
      const left = subtractQuantity(sizes[0]!, size);
      sizes[0] = left > 0 ? left : book.freshSize(0, rng);
      this.pending.push({
        type: "RawTrade",
        instrument: s.id,
        price,
        size,
        aggressor: buy ? "BUY" : "SELL",
        tradeId: `${s.id}-${++s.trades}`,
        tsEvent: us,
        tsInit: us,
      });
      const change: LevelChange[] = [[price, sizes[0]!]];
      this.pushBook(s, buy ? [] : change, buy ? change : [], us);
      this.pushQuote(s, us);
      return;
    }
    const oldBid = s.bidTick;
    const oldAsk = s.askTick;
    this.quoteTicks(s);
    const bids: LevelChange[] = [];
    const asks: LevelChange[] = [];
    book.reprice(s.bidTick, s.askTick, rng, bids, asks);
    if (s.bidTick === oldBid && s.askTick === oldAsk) {
      // no price move: an order added or canceled somewhere in the book
      const bidSide = rng.next() < 0.5;
      const sizes = bidSide ? book.bidSizes : book.askSizes;
      const prices = bidSide ? book.bidPrices : book.askPrices;
      if (prices.length === 0) return;
      const level = Math.floor(rng.next() * prices.length);
      const delta = s.lot * (1 + Math.floor(rng.exponential(2)));
      sizes[level] = asQuantity(rng.next() < 0.5 || sizes[level]! <= delta ? sizes[level]! + delta : sizes[level]! - delta);
      (bidSide ? bids : asks).push([prices[level]!, sizes[level]!]);
    }
    this.pushBook(s, bids, asks, us);
    this.pushQuote(s, us);
  }

  /** Heston variance (full-truncation Euler) and log price with Poisson jumps, from s.priceUs to `us`. */
  private evolve(s: InstrumentState, us: number): void {
    const dtUs = us - s.priceUs;
    if (dtUs <= 0) return;
    s.priceUs = us;
    const c = this.c;
    const dt = dtUs / US_PER_YEAR;
    const rng = s.rng;
    const v = Math.max(s.variance, 0);
    const z2 = rng.normal();
    const z1 = c.correlation * z2 + Math.sqrt(1 - c.correlation * c.correlation) * rng.normal();
    const sq = Math.sqrt(v * dt);
    s.variance = s.variance + c.meanReversion * (c.volatility ** 2 - v) * dt + c.volOfVol * sq * z2;
    s.logMid += -0.5 * v * dt + sq * z1;
    const jumpProbability = (c.jumpsPerDay * dtUs) / 86_400_000_000;
    if (rng.next() < jumpProbability) s.logMid += c.jumpStdev * rng.normal();
  }

  /** Best bid and ask in ticks around the mid; the spread widens with √(v/θ) and never falls below one tick. */
  private quoteTicks(s: InstrumentState): void {
    const mid = Math.exp(s.logMid);
    const ratio = Math.sqrt(Math.max(s.variance, 0) / this.c.volatility ** 2);
    const spread = Math.max(1, Math.round(this.c.baseSpreadTicks * ratio * (0.75 + 0.5 * s.rng.next())));
    const bid = Math.max(1, Math.floor(mid - spread / 2));
    s.bidTick = bid;
    s.askTick = bid + spread;
  }

  private pushBook(s: InstrumentState, bids: LevelChange[], asks: LevelChange[], us: number): void {
    if (bids.length === 0 && asks.length === 0) return;
    this.pending.push({
      type: "RawBookUpdate",
      instrument: s.id,
      kind: "delta",
      bids,
      asks,
      seq: ++s.seq,
      ...(this.c.checksums ? { checksum: s.book.checksum() } : {}),
      tsEvent: us,
      tsInit: us,
    });
  }

  private pushQuote(s: InstrumentState, us: number): void {
    const b = s.book;
    this.pending.push({
      type: "RawQuote",
      instrument: s.id,
      bid: b.bidPrices[0]!,
      bidSize: b.bidSizes[0]!,
      ask: b.askPrices[0]!,
      askSize: b.askSizes[0]!,
      seq: s.seq,
      tsEvent: us,
      tsInit: us,
    });
  }

  private heapPush(s: InstrumentState): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private heapSiftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

const before = (a: InstrumentState, b: InstrumentState): boolean => a.nextUs < b.nextUs || (a.nextUs === b.nextUs && a.index < b.index);
