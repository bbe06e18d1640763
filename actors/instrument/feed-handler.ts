import {
  type BookSnapshotRequest,
  FeedStatusAction,
  type RawBookUpdate,
  type RawQuote,
  type RawStatus,
  type RawTrade,
  TradingStatus,
} from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { BarAggregator, type BarRecord, parseBarType, vwapOf } from "./bars.ts";
import type { InstrumentDefinition } from "./definition.ts";
import { type Level, OrderBook } from "./order-book.ts";
import { TradingStatusTracker } from "./trading-status.ts";
import { RejectReason, type Rejection, checkBookFields, checkQuoteFields, checkTradeFields, rejectReasons } from "./validation.ts";

/** Feed input as machine events and batch items carry it: the raw message with its type. */
export type RawQuoteInput = { type: "RawQuote" } & RawQuote;
export type RawTradeInput = { type: "RawTrade" } & RawTrade;
export type RawBookUpdateInput = { type: "RawBookUpdate" } & RawBookUpdate;
export type RawStatusInput = { type: "RawStatus" } & RawStatus;
export type RawFeedInput = RawQuoteInput | RawTradeInput | RawBookUpdateInput | RawStatusInput;

export interface FeedHandlerOptions {
  definition: InstrumentDefinition;
  /** the feed source whose am.cmd.feed.<source> subject takes book snapshot requests */
  feedSource: string;
  /** bar types to build, default ["1s", "1m"] (see bars.ts) */
  barTypes?: readonly string[];
  /** how long after a time bar's end a Tick may close it, for trades still in flight; default 0 */
  barGraceUs?: number;
  /** check RawBookUpdate.checksum where present; default true */
  verifyChecksums?: boolean;
  /** most deltas buffered while waiting for a snapshot; default 10 000 */
  resyncBufferLimit?: number;
  /** a snapshot request without answer is repeated after this long (on the next event or Tick); default 2 s */
  resyncTimeoutUs?: number;
}

export interface FeedCounters {
  accepted: number;
  rejected: Record<RejectReason, number>;
  /** quotes with bid ≥ ask (published, flagged) */
  crossed: number;
  /** book updates that left the L2 book crossed */
  bookCrossed: number;
  /** book sequence gaps detected */
  gaps: number;
  checksumMismatches: number;
  snapshotRequests: number;
  /** resynchronisations completed (snapshot plus buffered deltas applied) */
  resyncs: number;
  resyncBufferOverflows: number;
  /** trades that came after their time bar was closed by the timer */
  lateTrades: number;
  bars: number;
}

/**
 * The instrument actor's logic: validates raw feed input, keeps top of book, the L2 book (with resynchronisation
 * on sequence gaps and checksum mismatches), the trading status and the bars, and writes what to emit into `out`.
 *
 * Policy while not trading: while CLOSED quotes and trades are rejected (MARKET_CLOSED: prints outside the
 * session are test or late data and must not move bars); while PRE_OPEN or HALTED quotes pass (indicative) and
 * trades are rejected (NOT_TRADING). Book updates are applied in every status so the book is right at the open.
 *
 * Mutable and allocation-light on purpose: one handler lives in one actor's context; per accepted item it
 * allocates only the messages it emits.
 */
/** What the instrument actor answers to GetBook (prices and sizes in 1e-8 units). */
export interface BookView {
  instrument: string;
  status: TradingStatus | null;
  top: { bid: number; bidSize: number; ask: number; askSize: number; seq: number; tsEvent: number };
  bids: [number, number][];
  asks: [number, number][];
  /** L2: levels of the book feed; QUOTE: no book feed yet, the levels are the last quote's */
  source: "L2" | "QUOTE";
  synced: boolean;
  seq: number;
  tsEvent: number;
}

export class FeedHandler {
  readonly definition: InstrumentDefinition;
  readonly counters: FeedCounters;
  readonly book = new OrderBook();
  readonly status: TradingStatusTracker;
  /** last accepted quote */
  bid = 0;
  bidSize = 0;
  ask = 0;
  askSize = 0;
  /** last applied book sequence, -1 before the first snapshot */
  bookSeq = -1;
  bookSynced = false;
  resyncing = false;
  /** event time of the last applied book update */
  bookTsEvent = 0;

  private readonly options: Required<Omit<FeedHandlerOptions, "definition" | "feedSource" | "barTypes">>;
  private readonly aggregators: BarAggregator[];
  private readonly closedBars: BarRecord[] = [];
  private readonly buffer: RawBookUpdate[] = [];
  private resyncRequestedUs = 0;
  private nextBarCloseUs = Number.POSITIVE_INFINITY;
  private lastQuoteTs = 0;
  private lastTradeTs = 0;
  private lastTradeId = "";
  private quoteSeq = 0;
  private tradeSeq = 0;
  private readonly subject: { quote: string; trade: string; book: string; bar: string; status: string; dlq: string; snapshot: string };

  constructor(options: FeedHandlerOptions) {
    const def = options.definition;
    this.definition = def;
    this.options = {
      barGraceUs: options.barGraceUs ?? 0,
      verifyChecksums: options.verifyChecksums ?? true,
      resyncBufferLimit: options.resyncBufferLimit ?? 10_000,
      resyncTimeoutUs: options.resyncTimeoutUs ?? 2_000_000,
    };
    this.aggregators = (options.barTypes ?? ["1s", "1m"]).map((t) => new BarAggregator(parseBarType(t)));
    this.status = new TradingStatusTracker(def.tradingHours);
    const rejected = {} as Record<RejectReason, number>;
    for (const r of rejectReasons) rejected[r] = 0;
    this.counters = {
      accepted: 0,
      rejected,
      crossed: 0,
      bookCrossed: 0,
      gaps: 0,
      checksumMismatches: 0,
      snapshotRequests: 0,
      resyncs: 0,
      resyncBufferOverflows: 0,
      lateTrades: 0,
      bars: 0,
    };
    const id = { venue: def.venue, symbol: def.symbol };
    this.subject = {
      quote: subjects.md("quote", id),
      trade: subjects.md("trade", id),
      book: subjects.md("book", id),
      bar: subjects.md("bar", id),
      status: subjects.md("status", id),
      dlq: subjects.dlq("instrument", def.id),
      snapshot: subjects.cmd("feed", options.feedSource),
    };
  }

  /** One feed item at `nowUs`. Anything, even garbage, is either accepted or rejected with a reason; never thrown. */
  process(item: unknown, nowUs: number, out: Emitted[]): void {
    this.advance(nowUs, out);
    if (typeof item !== "object" || item === null) {
      this.reject(item, { reason: RejectReason.Malformed, detail: "not an object" }, nowUs, out);
      return;
    }
    const type = (item as { type?: unknown }).type;
    if (type === "RawQuote") this.onQuote(item as RawQuoteInput, nowUs, out);
    else if (type === "RawTrade") this.onTrade(item as RawTradeInput, nowUs, out);
    else if (type === "RawBookUpdate") this.onBook(item as RawBookUpdateInput, nowUs, out);
    else if (type === "RawStatus") this.onStatus(item as RawStatusInput, nowUs, out);
    else this.reject(item, { reason: RejectReason.UnknownType, detail: `type: ${String(type)} is not a feed message type` }, nowUs, out);
  }

  /** Time passes without input: status from the calendar, due time bars, overdue snapshot requests. */
  tick(nowUs: number, out: Emitted[]): void {
    this.advance(nowUs, out);
    this.closeBarsAt(nowUs - this.options.barGraceUs, nowUs, out);
  }

  /**
   * GetBook's answer: the last quote (top of book) and the best `depth` L2 levels per side. A feed without book
   * updates has no L2 book: its levels are then the quote's one level, so a caller always sees the touch.
   */
  bookView(depth: number): BookView {
    const l2 = this.bookSeq >= 0;
    const touch = (px: number, size: number): [number, number][] => (px > 0 ? [[px, size]] : []);
    return {
      instrument: this.definition.id,
      status: this.status.status,
      top: { bid: this.bid, bidSize: this.bidSize, ask: this.ask, askSize: this.askSize, seq: this.quoteSeq, tsEvent: this.lastQuoteTs },
      bids: l2 ? this.book.bids.levels(depth) : touch(this.bid, this.bidSize),
      asks: l2 ? this.book.asks.levels(depth) : touch(this.ask, this.askSize),
      source: l2 ? "L2" : "QUOTE",
      synced: this.bookSynced,
      seq: l2 ? this.bookSeq : this.quoteSeq,
      tsEvent: l2 ? this.bookTsEvent : this.lastQuoteTs,
    };
  }

  /** A JSON-safe summary for inspection and snapshots (the book and bars are rebuilt from the feed after restart). */
  toJSON(): Record<string, unknown> {
    return {
      instrument: this.definition.id,
      status: this.status.status,
      top: { bid: this.bid, bidSize: this.bidSize, ask: this.ask, askSize: this.askSize },
      bookSeq: this.bookSeq,
      bookSynced: this.bookSynced,
      bookDepth: [this.book.bids.depth, this.book.asks.depth],
      counters: this.counters,
    };
  }

  private advance(nowUs: number, out: Emitted[]): void {
    if (this.status.onTime(nowUs)) this.publishStatus(nowUs, out);
    if (this.resyncing && nowUs - this.resyncRequestedUs >= this.options.resyncTimeoutUs) this.requestSnapshot("TIMEOUT", nowUs, out);
  }

  private onQuote(q: RawQuoteInput, nowUs: number, out: Emitted[]): void {
    const bad = checkQuoteFields(q as unknown as Record<string, unknown>, this.definition) ?? this.checkInstrument(q.instrument);
    if (bad) {
      this.reject(q, bad, nowUs, out);
      return;
    }
    if (this.status.status === TradingStatus.Closed) {
      this.reject(q, { reason: RejectReason.MarketClosed, detail: "quote while the market is closed" }, nowUs, out);
      return;
    }
    if (q.tsEvent < this.lastQuoteTs) {
      this.reject(q, backwards(q.tsEvent, this.lastQuoteTs), nowUs, out);
      return;
    }
    this.lastQuoteTs = q.tsEvent;
    this.closeBarsAt(q.tsEvent, nowUs, out);
    this.bid = q.bid;
    this.bidSize = q.bidSize;
    this.ask = q.ask;
    this.askSize = q.askSize;
    this.counters.accepted++;
    const crossed = q.bid >= q.ask;
    if (crossed) this.counters.crossed++;
    out.push({
      type: "publish",
      subject: this.subject.quote,
      message: {
        type: "Quote",
        instrument: this.definition.id,
        bid: q.bid,
        bidSize: q.bidSize,
        ask: q.ask,
        askSize: q.askSize,
        seq: ++this.quoteSeq,
        ...(crossed ? { crossed: true } : {}),
        tsEvent: q.tsEvent,
        tsInit: nowUs,
      },
    });
  }

  private onTrade(t: RawTradeInput, nowUs: number, out: Emitted[]): void {
    const bad = checkTradeFields(t as unknown as Record<string, unknown>, this.definition) ?? this.checkInstrument(t.instrument);
    if (bad) {
      this.reject(t, bad, nowUs, out);
      return;
    }
    const status = this.status.status;
    if (status === TradingStatus.Closed) {
      this.reject(t, { reason: RejectReason.MarketClosed, detail: "trade while the market is closed" }, nowUs, out);
      return;
    }
    if (status !== TradingStatus.Open) {
      this.reject(t, { reason: RejectReason.NotTrading, detail: `trade while ${status}` }, nowUs, out);
      return;
    }
    if (t.tsEvent < this.lastTradeTs) {
      this.reject(t, backwards(t.tsEvent, this.lastTradeTs), nowUs, out);
      return;
    }
    if (t.tradeId === this.lastTradeId) {
      this.reject(t, { reason: RejectReason.DuplicateTrade, detail: `tradeId: ${t.tradeId} repeats the previous trade` }, nowUs, out);
      return;
    }
    this.lastTradeTs = t.tsEvent;
    this.lastTradeId = t.tradeId;
    this.counters.accepted++;
    out.push({
      type: "publish",
      subject: this.subject.trade,
      message: {
        type: "Trade",
        instrument: this.definition.id,
        price: t.price,
        size: t.size,
        aggressor: t.aggressor,
        tradeId: t.tradeId,
        seq: ++this.tradeSeq,
        tsEvent: t.tsEvent,
        tsInit: nowUs,
      },
    });
    const pv = BigInt(t.price) * BigInt(t.size);
    let late = 0;
    for (const a of this.aggregators) {
      const before = a.lateTrades;
      a.onTrade(t.tsEvent, t.price, t.size, pv, this.closedBars);
      late += a.lateTrades - before;
    }
    if (late > 0) this.counters.lateTrades++;
    this.flushBars(nowUs, out);
  }

  private onStatus(s: RawStatusInput, nowUs: number, out: Emitted[]): void {
    if (s.action !== FeedStatusAction.Halt && s.action !== FeedStatusAction.Resume) {
      this.reject(s, { reason: RejectReason.Malformed, detail: `action: ${String(s.action)} is not HALT or RESUME` }, nowUs, out);
      return;
    }
    const bad = this.checkInstrument(s.instrument);
    if (bad) {
      this.reject(s, bad, nowUs, out);
      return;
    }
    this.counters.accepted++;
    if (this.status.onFeed(s.action, typeof s.reason === "string" ? s.reason : undefined, nowUs)) this.publishStatus(nowUs, out);
  }

  private onBook(b: RawBookUpdateInput, nowUs: number, out: Emitted[]): void {
    const bad = checkBookFields(b as unknown as Record<string, unknown>, this.definition) ?? this.checkInstrument(b.instrument);
    if (bad) {
      this.reject(b, bad, nowUs, out);
      return;
    }
    if (b.kind === "snapshot") {
      if (this.bookSynced && b.seq <= this.bookSeq) {
        this.reject(b, stale(b.seq, this.bookSeq), nowUs, out);
        return;
      }
      this.counters.accepted++;
      this.applySnapshot(b, nowUs, out);
      return;
    }
    if (!this.bookSynced) {
      this.counters.accepted++;
      this.bufferDelta(b, nowUs, out);
      return;
    }
    if (b.seq <= this.bookSeq) {
      this.reject(b, stale(b.seq, this.bookSeq), nowUs, out);
      return;
    }
    this.counters.accepted++;
    if (b.seq !== this.bookSeq + 1) {
      this.counters.gaps++;
      this.bookSynced = false;
      this.requestSnapshot("GAP", nowUs, out);
      this.buffer.push(b);
      return;
    }
    if (this.applyDelta(b, nowUs, out)) {
      out.push({ type: "publish", subject: this.subject.book, message: bookMessage(this.definition.id, "delta", b.bids, b.asks, b.seq, b.tsEvent, nowUs) });
    }
  }

  private bufferDelta(b: RawBookUpdate, nowUs: number, out: Emitted[]): void {
    if (!this.resyncing) this.requestSnapshot(this.bookSeq < 0 ? "INITIAL" : "GAP", nowUs, out);
    else if (this.buffer.length >= this.options.resyncBufferLimit) {
      this.counters.resyncBufferOverflows++;
      this.requestSnapshot("BUFFER_FULL", nowUs, out);
    }
    this.buffer.push(b);
  }

  /** Applies a delta in sequence; false (and a resync) when its checksum disagrees with the rebuilt book. */
  private applyDelta(b: RawBookUpdate, nowUs: number, out: Emitted[]): boolean {
    this.book.apply(b.bids as readonly Level[], b.asks as readonly Level[]);
    this.bookSeq = b.seq;
    this.bookTsEvent = b.tsEvent;
    if (this.book.crossed) this.counters.bookCrossed++;
    return this.verifyChecksum(b, nowUs, out);
  }

  private verifyChecksum(b: RawBookUpdate, nowUs: number, out: Emitted[]): boolean {
    if (b.checksum === undefined || !this.options.verifyChecksums || this.book.checksum() === b.checksum) return true;
    this.counters.checksumMismatches++;
    this.bookSynced = false;
    this.requestSnapshot("CHECKSUM", nowUs, out);
    return false;
  }

  /** Replaces the book, replays buffered deltas after the snapshot's seq, and publishes the result as a snapshot. */
  private applySnapshot(s: RawBookUpdate, nowUs: number, out: Emitted[]): void {
    this.book.replace(s.bids as readonly Level[], s.asks as readonly Level[]);
    this.bookSeq = s.seq;
    this.bookTsEvent = s.tsEvent;
    this.bookSynced = true;
    const wasResyncing = this.resyncing;
    this.resyncing = false;
    let ok = this.verifyChecksum(s, nowUs, out);
    const pending = this.buffer.splice(0, this.buffer.length);
    let i = 0;
    for (; ok && i < pending.length; i++) {
      const d = pending[i]!;
      if (d.seq <= this.bookSeq) continue;
      if (d.seq !== this.bookSeq + 1) {
        this.counters.gaps++;
        this.bookSynced = false;
        this.requestSnapshot("GAP", nowUs, out);
        ok = false;
        break;
      }
      ok = this.applyDelta(d, nowUs, out);
    }
    // deltas after a failure wait for the next snapshot
    if (!ok) for (; i < pending.length; i++) if (pending[i]!.seq > this.bookSeq) this.buffer.push(pending[i]!);
    if (!ok) return;
    if (wasResyncing) this.counters.resyncs++;
    if (this.book.crossed) this.counters.bookCrossed++;
    out.push({
      type: "publish",
      subject: this.subject.book,
      message: bookMessage(this.definition.id, "snapshot", this.book.bids.levels(), this.book.asks.levels(), this.bookSeq, s.tsEvent, nowUs),
    });
  }

  private requestSnapshot(reason: BookSnapshotRequest["reason"], nowUs: number, out: Emitted[]): void {
    if (reason !== "TIMEOUT") this.buffer.length = 0;
    this.resyncing = true;
    this.resyncRequestedUs = nowUs;
    this.counters.snapshotRequests++;
    out.push({
      type: "publish",
      subject: this.subject.snapshot,
      message: {
        type: "BookSnapshotRequest",
        instrument: this.definition.id,
        ...(this.bookSeq >= 0 ? { lastSeq: this.bookSeq } : {}),
        reason,
        tsEvent: nowUs,
        tsInit: nowUs,
      },
    });
  }

  /**
   * Closes time bars whose interval ended by `us`: the tsEvent of an accepted quote or trade (event time, exact
   * whatever the batching), or a Tick's nowUs less the grace (so quiet instruments still get their bars).
   */
  private closeBarsAt(us: number, nowUs: number, out: Emitted[]): void {
    if (us < this.nextBarCloseUs) return;
    for (const a of this.aggregators) a.closeDue(us, this.closedBars);
    this.flushBars(nowUs, out);
  }

  private flushBars(nowUs: number, out: Emitted[]): void {
    const bars = this.closedBars;
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i]!;
      this.counters.bars++;
      out.push({
        type: "publish",
        subject: this.subject.bar,
        message: {
          type: "Bar",
          instrument: this.definition.id,
          barType: b.barType,
          tsOpen: b.tsOpen,
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
          vwap: vwapOf(b.turnover, b.volume),
          trades: b.trades,
          tsEvent: b.tsClose,
          tsInit: nowUs,
        },
      });
    }
    bars.length = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const a of this.aggregators) next = Math.min(next, a.closesAtUs);
    this.nextBarCloseUs = next;
  }

  private publishStatus(nowUs: number, out: Emitted[]): void {
    const s = this.status;
    out.push({
      type: "publish",
      subject: this.subject.status,
      message: {
        type: "InstrumentStatus",
        instrument: this.definition.id,
        status: s.status!,
        calendar: s.calendar,
        halted: s.halted,
        ...(s.reason ? { reason: s.reason } : {}),
        tsEvent: nowUs,
        tsInit: nowUs,
      },
    });
  }

  private checkInstrument(instrument: unknown): Rejection | null {
    if (instrument === this.definition.id) return null;
    return { reason: RejectReason.WrongInstrument, detail: `instrument: ${String(instrument)} is not ${this.definition.id}` };
  }

  private reject(item: unknown, r: Rejection, nowUs: number, out: Emitted[]): void {
    this.counters.rejected[r.reason]++;
    out.push({
      type: "publish",
      subject: this.subject.dlq,
      message: { type: "FeedRejected", instrument: this.definition.id, reason: r.reason, detail: r.detail, input: item, tsEvent: nowUs, tsInit: nowUs },
    });
  }
}

const backwards = (ts: number, last: number): Rejection => ({
  reason: RejectReason.TimestampBackwards,
  detail: `tsEvent: ${ts} is before the last accepted ${last}`,
});
const stale = (seq: number, last: number): Rejection => ({ reason: RejectReason.StaleSequence, detail: `seq: ${seq} is not after the last applied ${last}` });

function bookMessage(
  instrument: string,
  kind: "snapshot" | "delta",
  bids: readonly (readonly [number, number])[],
  asks: readonly (readonly [number, number])[],
  seq: number,
  tsEvent: number,
  tsInit: number,
): { type: string; [field: string]: unknown } {
  return { type: "BookUpdate", instrument, kind, bids, asks, seq, tsEvent, tsInit };
}
