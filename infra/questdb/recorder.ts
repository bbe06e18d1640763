import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createLogger, type Logger } from "../telemetry/index.ts";
import { type ConsumerLag, LaneRunner } from "./lane-runner.ts";
import { DEFAULT_RECORDER_DURABLE, type Lane, laneDurable, marketDataLane, orderLane, riskBookLane } from "./lanes.ts";
import { type IlpWriter, openIlpWriter } from "./ilp-writer.ts";
import { ClosedOrderArchive } from "./closed-order-archive.ts";

export type { ConsumerLag } from "./lane-runner.ts";
export { recorderDlq } from "./lanes.ts";

export interface RecorderOptions {
  nc: NatsConnection;
  questdbUrl: string;
  /** prefix of the durable consumer names: `<durable>-md` on AM_MD, `<durable>-orders` and `<durable>-risk-books` on AM_EVT */
  durable?: string;
  /** which consumers to run (default all) */
  record?: { marketData?: boolean; orders?: boolean; riskBooks?: boolean };
  /** most messages written in one flush (one QuestDB transaction per table), default 5 000 */
  batchSize?: number;
  /** most messages delivered and not yet acknowledged, per consumer (JetStream max_ack_pending), default 20 000 */
  maxAckPending?: number;
  /**
   * how long a batch waits for more messages after its first before it is written, ms (default 200): each flush is
   * a WAL transaction per table for QuestDB to apply, so a trickle of small flushes costs it far more than the rows
   */
  lingerMs?: number;
  /** redelivery delay of a batch QuestDB did not take, and the first pause before fetching again, ms (default 1000) */
  retryDelayMs?: number;
  /** longest pause between retries while QuestDB stays unreachable, ms (default 30 000) */
  maxRetryDelayMs?: number;
  /** JetStream ack_wait: a crashed recorder's batch is redelivered after this, ms (default 30 000) */
  ackWaitMs?: number;
  /** a flush without an answer within this is abandoned and its batch redelivered, ms (default 60 000) */
  flushTimeoutMs?: number;
  /** period of the lag log line, ms (default 10 000; 0 turns it off) */
  statsIntervalMs?: number;
  /** opens the ILP writer; reopened after a failed flush (default openIlpWriter(questdbUrl)) */
  openSender?: () => Promise<IlpWriter>;
  /** open orders whose state is kept between events (default 10 000); a miss rebuilds it from the order's journal */
  orderCacheSize?: number;
  /** a closed order's journal leaves AM_EVT this long after it closed, once recorded (ClosedOrderArchive); 0 = never (default) */
  archiveClosedOrdersAfterMs?: number;
  log?: Logger;
}

export interface RecorderStats {
  marketData?: ConsumerLag;
  orders?: ConsumerLag;
  riskBooks?: ConsumerLag;
}

const ns = (ms: number): number => ms * 1_000_000;

/**
 * Records market data (AM_MD quotes, trades and bars), order events and risk books' events (AM_EVT) into QuestDB. Each consumer pulls
 * a bounded batch, writes its rows with one ILP flush and acknowledges the batch only after QuestDB accepted it;
 * on a failed flush the batch is nak'ed with a delay and redelivered. DEDUP UPSERT KEYS make redelivery harmless,
 * so a crash between flush and ack costs a rewrite, never a duplicate. In-flight work is bounded by batchSize in
 * hand and max_ack_pending on the server; nothing is buffered beyond that.
 */
export class Recorder {
  private readonly js: JetStreamClient;
  private readonly log: Logger;
  private readonly o: Required<Omit<RecorderOptions, "nc" | "questdbUrl" | "record" | "log" | "openSender">>;
  private archive: ClosedOrderArchive | undefined;
  private readonly lanes: LaneRunner[] = [];
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly opts: RecorderOptions) {
    this.js = jetstream(opts.nc);
    this.log = opts.log ?? createLogger({ base: { component: "recorder" } });
    this.o = {
      durable: opts.durable ?? DEFAULT_RECORDER_DURABLE,
      batchSize: opts.batchSize ?? 5_000,
      maxAckPending: opts.maxAckPending ?? 20_000,
      lingerMs: opts.lingerMs ?? 200,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? 30_000,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      statsIntervalMs: opts.statsIntervalMs ?? 10_000,
      flushTimeoutMs: opts.flushTimeoutMs ?? 60_000,
      orderCacheSize: opts.orderCacheSize ?? 10_000,
      archiveClosedOrdersAfterMs: opts.archiveClosedOrdersAfterMs ?? 0,
    };
    if (this.o.batchSize < 1 || this.o.batchSize > this.o.maxAckPending) {
      throw new Error(`recorder batchSize ${this.o.batchSize} must be between 1 and maxAckPending ${this.o.maxAckPending}`);
    }
  }

  /** Creates (or updates) the durable consumers and starts pulling. */
  async start(): Promise<void> {
    if (this.started) throw new Error("recorder already started");
    this.started = true;
    const jsm = await jetstreamManager(this.opts.nc);
    const record = { marketData: true, orders: true, riskBooks: true, ...this.opts.record };
    const openSender = this.opts.openSender ?? (() => openIlpWriter(this.opts.questdbUrl));
    const lanes: Lane[] = [];
    if (record.marketData) lanes.push(marketDataLane());
    if (record.orders) lanes.push(orderLane(this.opts.nc, this.o.orderCacheSize));
    if (record.riskBooks) lanes.push(riskBookLane());
    for (const lane of lanes) {
      const durable = laneDurable(this.o.durable, lane.key);
      await this.declareConsumer(jsm, lane.stream, durable, lane.filters);
      const consumer = await this.js.consumers.get(lane.stream, durable);
      this.lanes.push(
        new LaneRunner(lane, durable, consumer, this.opts.nc, jsm, this.js, openSender, this.o, this.log.child({ consumer: durable })),
      );
    }
    for (const l of this.lanes) l.start();
    if (record.orders && this.o.archiveClosedOrdersAfterMs > 0) {
      this.archive = new ClosedOrderArchive({
        nc: this.opts.nc,
        questdbUrl: this.opts.questdbUrl,
        afterMs: this.o.archiveClosedOrdersAfterMs,
        recorderDurable: laneDurable(this.o.durable, "orders"),
        log: this.log.child({ component: "closed-order-archive" }),
      });
      this.archive.start();
    }
    if (this.o.statsIntervalMs > 0) {
      this.timer = setInterval(() => {
        this.stats().then(
          (s) => this.log.info("recorder lag", { ...s }),
          (e: unknown) => this.log.warn("recorder lag unavailable", { error: String(e) }),
        );
      }, this.o.statsIntervalMs);
      this.timer.unref();
    }
  }

  private async declareConsumer(jsm: JetStreamManager, stream: string, durable: string, filters: string[]): Promise<void> {
    // no filters: the whole stream (a durable of an earlier version that had some loses them)
    const filter: Partial<ConsumerConfig> = filters.length ? { filter_subjects: filters } : { filter_subject: "", filter_subjects: [] };
    const cfg: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...filter,
      max_ack_pending: this.o.maxAckPending,
      ack_wait: ns(this.o.ackWaitMs),
      // Never give up on a message for a QuestDB outage; refused data is dead-lettered and terminated instead.
      max_deliver: -1,
      max_batch: this.o.batchSize,
    };
    const existing = await jsm.consumers.info(stream, durable).catch(() => null);
    if (!existing) await jsm.consumers.add(stream, cfg);
    else
      await jsm.consumers.update(stream, durable, {
        ...filter,
        max_ack_pending: this.o.maxAckPending,
        ack_wait: cfg.ack_wait,
        max_batch: cfg.max_batch,
      });
  }

  /** Lag of each consumer, fresh from the server. */
  async stats(): Promise<RecorderStats> {
    const out: RecorderStats = {};
    for (const l of this.lanes) out[l.lane.key] = await l.lag();
    return out;
  }

  /** Stops pulling, finishes (writes and acks, or naks) the batch in hand, and closes the ILP sender. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.lanes.map((l) => l.stop()), this.archive?.stop()]);
    if (!this.opts.nc.isClosed()) await this.opts.nc.flush().catch(() => {});
  }
}
