/** Mutable on purpose: one instrument takes thousands of feed items a second, so its state changes in place. */
import type { RawBookUpdate, RawQuote, RawStatus, RawTrade, TradingStatus } from "../domain/index.ts";
import { subjects } from "../contract/index.ts";
import { BarAggregator, type BarRecord, parseBarType } from "./bars.ts";
import { BookSync } from "./book-sync.ts";
import { emptyCounters, type FeedCounters } from "./counters.ts";
import type { InstrumentDefinition } from "./definition.ts";
import type { OrderBook } from "./order-book.ts";
import { TradingStatusTracker } from "./trading-status.ts";

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

/**
 * One instrument's market-data state: top of book, the L2 book in sync with the feed, the trading status, the bars
 * being built and the counters. `decide` reads it, `evolve` changes it; persistence mode `none`, so after a restart
 * the book is rebuilt from a snapshot request and the bars from the feed.
 */
export class InstrumentState {
  readonly definition: InstrumentDefinition;
  readonly counters: FeedCounters = emptyCounters();
  readonly status: TradingStatusTracker;
  readonly sync: BookSync;
  /** last accepted quote */
  bid = 0;
  bidSize = 0;
  ask = 0;
  askSize = 0;
  lastQuoteTs = 0;
  lastTradeTs = 0;
  lastTradeId = "";
  quoteSeq = 0;
  tradeSeq = 0;
  readonly barGraceUs: number;
  readonly aggregators: BarAggregator[];
  /** bars closed and not yet published (reused between items) */
  readonly closedBars: BarRecord[] = [];
  nextBarCloseUs = Number.POSITIVE_INFINITY;
  readonly subject: { quote: string; trade: string; book: string; bar: string; status: string; dlq: string; snapshot: string };

  constructor(options: FeedHandlerOptions) {
    const def = options.definition;
    this.definition = def;
    this.barGraceUs = options.barGraceUs ?? 0;
    this.aggregators = (options.barTypes ?? ["1s", "1m"]).map((t) => new BarAggregator(parseBarType(t)));
    this.status = new TradingStatusTracker(def.tradingHours);
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
    this.sync = new BookSync(
      {
        verifyChecksums: options.verifyChecksums ?? true,
        resyncBufferLimit: options.resyncBufferLimit ?? 10_000,
        resyncTimeoutUs: options.resyncTimeoutUs ?? 2_000_000,
      },
      this.counters,
      { instrument: def.id, book: this.subject.book, snapshot: this.subject.snapshot },
    );
  }

  get book(): OrderBook {
    return this.sync.book;
  }
  /** last applied book sequence, -1 before the first snapshot */
  get bookSeq(): number {
    return this.sync.seq;
  }
  get bookSynced(): boolean {
    return this.sync.synced;
  }
  get resyncing(): boolean {
    return this.sync.resyncing;
  }
  /** event time of the last applied book update */
  get bookTsEvent(): number {
    return this.sync.tsEvent;
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
}
