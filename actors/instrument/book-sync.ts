/** Mutable on purpose: the L2 book is changed in place by every delta, the instrument actor's hottest path. */
import type { BookSnapshotRequest, RawBookUpdate } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { checksumAgrees } from "./checksum.ts";
import type { FeedCounters } from "./counters.ts";
import { type Level, OrderBook } from "./order-book.ts";

export interface BookSyncOptions {
  verifyChecksums: boolean;
  resyncBufferLimit: number;
  resyncTimeoutUs: number;
}

/** Where the book's messages go: its market-data subject and the feed's snapshot request subject. */
export interface BookSyncSubjects {
  instrument: string;
  book: string;
  snapshot: string;
}

/**
 * The L2 book kept in sequence with the feed: deltas apply in order; a sequence gap, a checksum mismatch or a delta
 * before any snapshot asks the feed for a snapshot (repeated after a timeout) and buffers deltas until it comes,
 * then replays those after the snapshot's sequence.
 */
export class BookSync {
  readonly book = new OrderBook();
  /** last applied book sequence, -1 before the first snapshot */
  seq = -1;
  synced = false;
  resyncing = false;
  /** event time of the last applied book update */
  tsEvent = 0;
  private readonly buffer: RawBookUpdate[] = [];
  private requestedUs = 0;

  constructor(
    private readonly options: BookSyncOptions,
    private readonly counters: FeedCounters,
    private readonly subject: BookSyncSubjects,
  ) {}

  /** An update at or before the last applied sequence, once synced, is stale (the caller rejects it). */
  isStale(update: RawBookUpdate): boolean {
    return this.synced && update.seq <= this.seq;
  }

  /** Time passes: a snapshot request without answer is repeated after the timeout. */
  advance(nowUs: number, out: Emitted[]): void {
    if (this.resyncing && nowUs - this.requestedUs >= this.options.resyncTimeoutUs) this.requestSnapshot("TIMEOUT", nowUs, out);
  }

  /** An accepted, not stale update: applied, buffered, or the start of a resync. */
  onUpdate(b: RawBookUpdate, nowUs: number, out: Emitted[]): void {
    if (b.kind === "snapshot") {
      this.applySnapshot(b, nowUs, out);
      return;
    }
    if (!this.synced) {
      this.bufferDelta(b, nowUs, out);
      return;
    }
    if (b.seq !== this.seq + 1) {
      this.counters.gaps++;
      this.synced = false;
      this.requestSnapshot("GAP", nowUs, out);
      this.buffer.push(b);
      return;
    }
    if (this.applyDelta(b, nowUs, out)) {
      out.push({
        type: "publish",
        subject: this.subject.book,
        message: bookMessage(this.subject.instrument, "delta", b.bids, b.asks, b.seq, b.tsEvent, nowUs),
      });
    }
  }

  private bufferDelta(b: RawBookUpdate, nowUs: number, out: Emitted[]): void {
    if (!this.resyncing) this.requestSnapshot(this.seq < 0 ? "INITIAL" : "GAP", nowUs, out);
    else if (this.buffer.length >= this.options.resyncBufferLimit) {
      this.counters.resyncBufferOverflows++;
      this.requestSnapshot("BUFFER_FULL", nowUs, out);
    }
    this.buffer.push(b);
  }

  /** Applies a delta in sequence; false (and a resync) when its checksum disagrees with the rebuilt book. */
  private applyDelta(b: RawBookUpdate, nowUs: number, out: Emitted[]): boolean {
    this.book.apply(b.bids as readonly Level[], b.asks as readonly Level[]);
    this.seq = b.seq;
    this.tsEvent = b.tsEvent;
    if (this.book.crossed) this.counters.bookCrossed++;
    return this.verifyChecksum(b, nowUs, out);
  }

  private verifyChecksum(b: RawBookUpdate, nowUs: number, out: Emitted[]): boolean {
    if (checksumAgrees(this.book, b, this.options.verifyChecksums)) return true;
    this.counters.checksumMismatches++;
    this.synced = false;
    this.requestSnapshot("CHECKSUM", nowUs, out);
    return false;
  }

  /** Replaces the book, replays buffered deltas after the snapshot's seq, and publishes the result as a snapshot. */
  private applySnapshot(s: RawBookUpdate, nowUs: number, out: Emitted[]): void {
    this.book.replace(s.bids as readonly Level[], s.asks as readonly Level[]);
    this.seq = s.seq;
    this.tsEvent = s.tsEvent;
    this.synced = true;
    const wasResyncing = this.resyncing;
    this.resyncing = false;
    let ok = this.verifyChecksum(s, nowUs, out);
    const pending = this.buffer.splice(0, this.buffer.length);
    let i = 0;
    for (; ok && i < pending.length; i++) {
      const d = pending[i]!;
      if (d.seq <= this.seq) continue;
      if (d.seq !== this.seq + 1) {
        this.counters.gaps++;
        this.synced = false;
        this.requestSnapshot("GAP", nowUs, out);
        ok = false;
        break;
      }
      ok = this.applyDelta(d, nowUs, out);
    }
    // deltas after a failure wait for the next snapshot
    if (!ok) for (; i < pending.length; i++) if (pending[i]!.seq > this.seq) this.buffer.push(pending[i]!);
    if (!ok) return;
    if (wasResyncing) this.counters.resyncs++;
    if (this.book.crossed) this.counters.bookCrossed++;
    out.push({
      type: "publish",
      subject: this.subject.book,
      message: bookMessage(
        this.subject.instrument,
        "snapshot",
        this.book.bids.levels(),
        this.book.asks.levels(),
        this.seq,
        s.tsEvent,
        nowUs,
      ),
    });
  }

  private requestSnapshot(reason: BookSnapshotRequest["reason"], nowUs: number, out: Emitted[]): void {
    if (reason !== "TIMEOUT") this.buffer.length = 0;
    this.resyncing = true;
    this.requestedUs = nowUs;
    this.counters.snapshotRequests++;
    out.push({
      type: "publish",
      subject: this.subject.snapshot,
      message: {
        type: "BookSnapshotRequest",
        instrument: this.subject.instrument,
        ...(this.seq >= 0 ? { lastSeq: this.seq } : {}),
        reason,
        tsEvent: nowUs,
        tsInit: nowUs,
      },
    });
  }
}

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
