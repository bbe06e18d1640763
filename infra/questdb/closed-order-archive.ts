import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import { buckets, streams } from "../nats/resources.ts";
import type { Logger } from "../telemetry/index.ts";
import { closedJournalsOf, oldestOrderTimeOf } from "./history.ts";
import { questdbSql, rowsOf } from "./sql.ts";

export interface ClosedOrderArchiveOptions {
  nc: NatsConnection;
  questdbUrl: string;
  /** a closed order's journal is purged this long after it closed, ms */
  afterMs: number;
  /** the recorder's durable consumer of order events: what it has acknowledged is in QuestDB */
  recorderDurable: string;
  log: Logger;
  /** pause between rounds once caught up, ms (default 10 000, at most afterMs / 2) */
  intervalMs?: number;
  /** event time covered by one window at most, ms (default 60 000) */
  windowMs?: number;
  /** orders one window holds at most: a window that reaches it is halved (default 20 000) */
  windowOrders?: number;
  /** purge requests in flight at once (default 32) */
  concurrency?: number;
}

/** Where the archive stands: event time (µs) up to which closed orders are purged, in the snapshots bucket. */
const WATERMARK_KEY = "archive.closed-orders";
/** Event times are stamped a little before the stream stores the event: the recorded-through time is cut by this. */
const CLOCK_MARGIN_US = 1_000_000;

interface Watermark {
  untilUs: number;
  /** KV revision, 0 when absent */
  revision: number;
}

/** The first moment the recorder has not written yet, and QuestDB's WAL transaction that holds what it wrote. */
interface Recorded {
  throughUs: number;
  sequencerTxn: number;
}

/**
 * Closed orders leave the event journal. An order's journal (am.evt.order.<id>.<Event>) is its truth while it can
 * change; once it is closed and the recorder has written it to QuestDB (orders and fills), keeping it on NATS only
 * costs the server memory, which indexes every subject (about four per order) for as long as it holds it. So an
 * order's events are purged from AM_EVT `afterMs` after it closed. GetOrder and ListOrders then read it from
 * QuestDB, and its clientOrderId may be used again: ids are unique among orders of the last `afterMs`.
 *
 * Work goes by windows of event time, oldest first. A window is purged only once it is older than `afterMs`, the
 * recorder has acknowledged every event up to its end, and QuestDB's WAL has applied what was acknowledged (so the
 * query sees it). The end of the last window purged is a watermark in KV, claimed by compare-and-set: every node's
 * recorder runs an archive, each window is purged once, and a restart goes on from the watermark. An archive that
 * just started purges nothing for `afterMs`: a risk book restored after an outage reads its orders' missed events
 * from the journal first.
 */
export class ClosedOrderArchive {
  private readonly o: Required<Omit<ClosedOrderArchiveOptions, "nc" | "log">>;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  /** recorded-through figures of the previous round, waiting for QuestDB's WAL to apply them */
  private recorded: Recorded | undefined;
  /** µs up to which QuestDB shows everything the recorder acknowledged */
  private visibleUs = 0;
  private kv: KV | undefined;
  private jsm: JetStreamManager | undefined;
  /** orders whose journal this archive purged, and purges refused */
  readonly counts = { purged: 0, failed: 0 };

  constructor(private readonly opts: ClosedOrderArchiveOptions) {
    if (!(opts.afterMs >= 1_000)) throw new Error(`closed order archive: afterMs ${opts.afterMs} must be at least 1000`);
    this.o = {
      questdbUrl: opts.questdbUrl,
      afterMs: opts.afterMs,
      recorderDurable: opts.recorderDurable,
      intervalMs: opts.intervalMs ?? Math.min(10_000, Math.floor(opts.afterMs / 2)),
      windowMs: opts.windowMs ?? 60_000,
      windowOrders: opts.windowOrders ?? 20_000,
      concurrency: opts.concurrency ?? 32,
    };
  }

  start(): void {
    const next = (): void => {
      if (this.stopped) return;
      this.round = this.archive()
        .catch((e: unknown) => this.opts.log.warn("closed order archive: round failed, trying again", { error: errorMessage(e) }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(next, this.o.intervalMs);
        });
    };
    this.timer = setTimeout(next, this.o.intervalMs);
  }

  /** Stops after the purge in hand; a window claimed and not finished keeps its journals (they stay on NATS). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  /** One round: purges every window that is due, oldest first. */
  async archive(): Promise<void> {
    const visibleUs = await this.visibleThrough();
    const now = Date.now();
    if (now < this.startedAt + this.o.afterMs || visibleUs === 0) return;
    const endUs = Math.min((now - this.o.afterMs) * 1000, visibleUs - CLOCK_MARGIN_US);
    while (!this.stopped) {
      const mark = await this.watermark(endUs);
      if (mark.untilUs >= endUs) return;
      let toUs = Math.min(endUs, mark.untilUs + this.o.windowMs * 1000);
      let closed = await closedJournalsOf(this.o.questdbUrl, mark.untilUs, toUs, this.o.windowOrders);
      while (closed.length >= this.o.windowOrders && toUs - mark.untilUs > 1) {
        toUs = mark.untilUs + Math.floor((toUs - mark.untilUs) / 2);
        closed = await closedJournalsOf(this.o.questdbUrl, mark.untilUs, toUs, this.o.windowOrders);
      }
      if (!(await this.claim(mark, toUs))) continue; // another node took this window: read where it left off
      await this.purge(closed);
    }
  }

  /**
   * Event time up to which QuestDB shows every order event the recorder acknowledged. Two phases a round apart:
   * what the recorder had acknowledged at the last round, and the WAL transaction then last committed, become
   * visible once the WAL has applied that transaction.
   */
  private async visibleThrough(): Promise<number> {
    const wal = rowsOf(
      await questdbSql(this.o.questdbUrl, "SELECT writerTxn, sequencerTxn, suspended FROM wal_tables() WHERE name = 'orders'"),
    )[0];
    if (!wal) return this.visibleUs;
    if (wal.suspended === true) {
      this.opts.log.warn("closed order archive: QuestDB's WAL of orders is suspended; no journal is purged until it resumes");
      return this.visibleUs;
    }
    if (this.recorded && Number(wal.writerTxn) >= this.recorded.sequencerTxn) this.visibleUs = this.recorded.throughUs;
    const throughUs = await this.recordedThrough();
    this.recorded = { throughUs, sequencerTxn: Number(wal.sequencerTxn) };
    return this.visibleUs;
  }

  /** The stream time (µs) of the first order event the recorder has not acknowledged; now when it has them all. */
  private async recordedThrough(): Promise<number> {
    const jsm = await this.manager();
    const asked = Date.now() * 1000;
    const info = await jsm.consumers.info(streams.events, this.o.recorderDurable);
    if (info.num_pending + info.num_ack_pending === 0) return asked;
    // the first order event after the ack floor (purges leave gaps in the sequence) is the oldest not acknowledged
    const first = await jsm.direct.getMessage(streams.events, {
      seq: info.ack_floor.stream_seq + 1,
      next_by_subj: subjects.evtAll("order"),
    });
    return first ? first.time.getTime() * 1000 : asked;
  }

  /** The watermark; where there is none yet, the oldest recorded order (or `endUs` when none is recorded). */
  private async watermark(endUs: number): Promise<Watermark> {
    const kv = await this.bucket();
    const entry = await kv.get(WATERMARK_KEY);
    if (entry && entry.operation === "PUT") {
      const untilUs = Number(entry.string());
      if (!Number.isFinite(untilUs)) throw new Error(`closed order archive: watermark ${WATERMARK_KEY} is not a number: ${entry.string()}`);
      return { untilUs, revision: entry.revision };
    }
    return { untilUs: (await oldestOrderTimeOf(this.o.questdbUrl)) ?? endUs, revision: 0 };
  }

  /** Moves the watermark to `toUs` unless another node moved it first (then answers false). */
  private async claim(mark: Watermark, toUs: number): Promise<boolean> {
    const kv = await this.bucket();
    try {
      if (mark.revision === 0) await kv.create(WATERMARK_KEY, String(toUs));
      else await kv.update(WATERMARK_KEY, String(toUs), mark.revision);
      return true;
    } catch (e) {
      if (/wrong last sequence|key exists/i.test(errorMessage(e))) return false;
      throw e;
    }
  }

  /** Purges each order's events up to its last recorded closing event, `concurrency` requests at a time. */
  private async purge(closed: { clientOrderId: string; seq: number }[]): Promise<void> {
    const jsm = await this.manager();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < closed.length) {
        const { clientOrderId, seq } = closed[next++]!;
        try {
          await jsm.streams.purge(streams.events, { filter: subjects.evtOf("order", clientOrderId), seq: seq + 1 });
          this.counts.purged++;
        } catch (e) {
          // its journal stays on NATS: a later lookup still finds the order; nothing is lost
          this.counts.failed++;
          this.opts.log.warn("closed order archive: purge refused", { clientOrderId, error: errorMessage(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, closed.length) }, lane));
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await jetstreamManager(this.opts.nc);
    return this.jsm;
  }

  private async bucket(): Promise<KV> {
    this.kv ??= await new Kvm(this.opts.nc).open(buckets.snapshots);
    return this.kv;
  }
}
