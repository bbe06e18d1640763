import { setTimeout as sleep } from "node:timers/promises";
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type Bar,
  type OrderEvent,
  type OrderEventType,
  orderEventTypes,
  type Quote,
  RecordRejected,
  RecordRejectReason,
  type Trade,
} from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import { evolve, type OrderState } from "../../actors/order/index.ts";
import { DecodeError, decodeMessage, encodeMessage, Header, Journal, streams } from "../nats/index.ts";
import { createLogger, type Logger } from "../telemetry/index.ts";
import { barRow, orderEventRows, quoteRow, type Row, tradeRow, writeRow } from "./rows.ts";
import { openIlpSender, type Sender } from "./writer.ts";

/** Where refused messages go, with the reason (RecordRejected). */
export const recorderDlq = { marketData: subjects.dlq("recorder", "md"), orders: subjects.dlq("recorder", "orders") } as const;

export interface RecorderOptions {
  nc: NatsConnection;
  questdbUrl: string;
  /** prefix of the durable consumer names: `<durable>-md` on AM_MD and `<durable>-orders` on AM_EVT */
  durable?: string;
  /** which consumers to run (default both) */
  record?: { marketData?: boolean; orders?: boolean };
  /** most messages written in one flush (one QuestDB transaction per table), default 5 000 */
  batchSize?: number;
  /** most messages delivered and not yet acknowledged, per consumer (JetStream max_ack_pending), default 20 000 */
  maxAckPending?: number;
  /** how long a batch waits for more messages after its first before it is written, ms (default 50) */
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
  /** opens the ILP sender; reopened after a failed flush (default openIlpSender(questdbUrl)) */
  openSender?: () => Promise<Sender>;
  /** orders whose state is kept between events (default 10 000); a miss rebuilds it from the order's journal */
  orderCacheSize?: number;
  log?: Logger;
}

export interface ConsumerLag {
  durable: string;
  /** messages in the stream not yet delivered to the recorder */
  numPending: number;
  /** delivered and not acknowledged (in hand, or awaiting redelivery) */
  numAckPending: number;
  /** how long the oldest message not yet acknowledged has waited, ms (an upper bound when none is in hand); 0 when none */
  oldestUnackedAgeMs: number;
  /** largest event time written so far, µs since the epoch (0 before the first write) */
  lastWrittenTsUs: number;
  /** now minus lastWrittenTsUs, ms (0 before the first write) */
  writeLagMs: number;
  /** messages acknowledged after QuestDB took their rows */
  acked: number;
  /** rows QuestDB accepted */
  rowsWritten: number;
  deadLettered: number;
  failedFlushes: number;
  /** messages in the recorder's hands right now, at most batchSize */
  held: number;
}

export interface RecorderStats {
  marketData?: ConsumerLag;
  orders?: ConsumerLag;
}

type Prepared = { msg: JsMsg; rows: Row[] } | { msg: JsMsg; reject: RecordRejectReason; detail: string; inputType?: string };

/** How one consumer turns its messages into rows. */
interface Lane {
  key: "marketData" | "orders";
  stream: string;
  filters: string[];
  dlq: string;
  prepare(msgs: JsMsg[]): Promise<Prepared[]>;
}

const ns = (ms: number): number => ms * 1_000_000;
const HALT = Symbol("halt");
const TIMEOUT = Symbol("timeout");

/** The promise's value, or TIMEOUT after ms (the timer is cleared either way). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  if (ms <= 0) return TIMEOUT;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
/** HTTP 4xx from QuestDB: the data was refused, retrying the same rows would fail forever. */
const isRefusal = (e: unknown): boolean => /statusCode=4\d\d/.test(String((e as Error)?.message ?? e));

/**
 * Records market data (AM_MD quotes, trades and bars) and order events (AM_EVT) into QuestDB. Each consumer pulls
 * a bounded batch, writes its rows with one ILP flush and acknowledges the batch only after QuestDB accepted it;
 * on a failed flush the batch is nak'ed with a delay and redelivered. DEDUP UPSERT KEYS make redelivery harmless,
 * so a crash between flush and ack costs a rewrite, never a duplicate. In-flight work is bounded by batchSize in
 * hand and max_ack_pending on the server; nothing is buffered beyond that.
 */
export class Recorder {
  private readonly js: JetStreamClient;
  private readonly log: Logger;
  private readonly o: Required<Omit<RecorderOptions, "nc" | "questdbUrl" | "record" | "log" | "openSender">>;
  private readonly lanes: LaneRunner[] = [];
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly opts: RecorderOptions) {
    this.js = jetstream(opts.nc);
    this.log = opts.log ?? createLogger({ base: { component: "recorder" } });
    this.o = {
      durable: opts.durable ?? "am-recorder",
      batchSize: opts.batchSize ?? 5_000,
      maxAckPending: opts.maxAckPending ?? 20_000,
      lingerMs: opts.lingerMs ?? 50,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? 30_000,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      statsIntervalMs: opts.statsIntervalMs ?? 10_000,
      flushTimeoutMs: opts.flushTimeoutMs ?? 60_000,
      orderCacheSize: opts.orderCacheSize ?? 10_000,
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
    const record = { marketData: true, orders: true, ...this.opts.record };
    const openSender = this.opts.openSender ?? (() => openIlpSender(this.opts.questdbUrl));
    const lanes: Lane[] = [];
    if (record.marketData) lanes.push(marketDataLane());
    if (record.orders) lanes.push(orderLane(this.opts.nc, this.o.orderCacheSize));
    for (const lane of lanes) {
      const durable = `${this.o.durable}-${lane.key === "marketData" ? "md" : "orders"}`;
      await this.declareConsumer(jsm, lane.stream, durable, lane.filters);
      const consumer = await this.js.consumers.get(lane.stream, durable);
      this.lanes.push(new LaneRunner(lane, durable, consumer, this.opts.nc, jsm, this.js, openSender, this.o, this.log.child({ consumer: durable })));
    }
    for (const l of this.lanes) l.start();
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
    const cfg: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subjects: filters,
      max_ack_pending: this.o.maxAckPending,
      ack_wait: ns(this.o.ackWaitMs),
      // Never give up on a message for a QuestDB outage; refused data is dead-lettered and terminated instead.
      max_deliver: -1,
      max_batch: this.o.batchSize,
    };
    const existing = await jsm.consumers.info(stream, durable).catch(() => null);
    if (!existing) await jsm.consumers.add(stream, cfg);
    else await jsm.consumers.update(stream, durable, { filter_subjects: filters, max_ack_pending: this.o.maxAckPending, ack_wait: cfg.ack_wait, max_batch: cfg.max_batch });
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
    await Promise.all(this.lanes.map((l) => l.stop()));
    if (!this.opts.nc.isClosed()) await this.opts.nc.flush().catch(() => {});
  }
}

/** The pull loop of one consumer. */
class LaneRunner {
  private stopping = false;
  private readonly halt = new AbortController();
  private loop: Promise<void> | undefined;
  private sender: Sender | undefined;
  private held: JsMsg[] = [];
  private retryDelay: number;
  private acked = 0;
  private rowsWritten = 0;
  private deadLettered = 0;
  private failedFlushes = 0;
  private lastWrittenTsUs = 0;

  constructor(
    readonly lane: Lane,
    private readonly durable: string,
    private readonly consumer: Consumer,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly openSender: () => Promise<Sender>,
    private readonly o: { batchSize: number; lingerMs: number; flushTimeoutMs: number; retryDelayMs: number; maxRetryDelayMs: number },
    private readonly log: Logger,
  ) {
    this.retryDelay = o.retryDelayMs;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    await this.loop;
    await this.sender?.close().catch(() => {});
    this.sender = undefined;
  }

  async lag(): Promise<ConsumerLag> {
    const info = await this.jsm.consumers.info(this.lane.stream, this.durable);
    const nowMs = Date.now();
    let oldestMs = 0;
    if (this.held.length) {
      oldestMs = Math.floor(Math.min(...this.held.map((m) => m.info.timestampNanos / 1e6)));
    } else if (info.num_ack_pending + info.num_pending > 0) {
      // The first stream message after the ack floor is no younger than the oldest unacknowledged one.
      const m = await this.jsm.streams.getMessage(this.lane.stream, { seq: info.ack_floor.stream_seq + 1 }).catch(() => null);
      if (m) oldestMs = m.timestamp ? Date.parse(m.timestamp) : 0;
    }
    return {
      durable: this.durable,
      numPending: info.num_pending,
      numAckPending: info.num_ack_pending,
      oldestUnackedAgeMs: oldestMs ? Math.max(0, nowMs - oldestMs) : 0,
      lastWrittenTsUs: this.lastWrittenTsUs,
      writeLagMs: this.lastWrittenTsUs ? Math.max(0, nowMs - Math.floor(this.lastWrittenTsUs / 1000)) : 0,
      acked: this.acked,
      rowsWritten: this.rowsWritten,
      deadLettered: this.deadLettered,
      failedFlushes: this.failedFlushes,
      held: this.held.length,
    };
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.halt.signal }).catch(() => {});
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let messages: ConsumerMessages;
      try {
        // consume() keeps at most batchSize messages buffered in the client: with the batch in hand, two batches.
        messages = await this.consumer.consume({ max_messages: this.o.batchSize });
      } catch (e) {
        if (this.stopping || this.nc.isClosed()) return;
        this.log.warn("consume failed", { error: String(e) });
        await this.pause(this.o.retryDelayMs);
        continue;
      }
      try {
        await this.drain(messages);
      } catch (e) {
        if (this.stopping || this.nc.isClosed()) return;
        this.log.warn("consumer interrupted", { error: String(e) });
        await this.pause(this.o.retryDelayMs);
      } finally {
        messages.stop();
      }
    }
  }

  /** Takes batches off the consumer: the first message, then whatever arrives within lingerMs, up to batchSize. */
  private async drain(messages: ConsumerMessages): Promise<void> {
    const it = messages[Symbol.asyncIterator]();
    const halted = new Promise<typeof HALT>((resolve) => {
      if (this.halt.signal.aborted) resolve(HALT);
      this.halt.signal.addEventListener("abort", () => resolve(HALT), { once: true });
    });
    let next: Promise<IteratorResult<JsMsg>> | undefined;
    for (;;) {
      next ??= it.next();
      const first = await Promise.race([next, halted]);
      if (first === HALT) return;
      next = undefined;
      if (first.done) return;
      const batch = [first.value];
      const deadline = Date.now() + this.o.lingerMs;
      while (batch.length < this.o.batchSize) {
        next = it.next();
        const r = await within(next, deadline - Date.now());
        if (r === TIMEOUT) break;
        next = undefined;
        if (r.done) break;
        batch.push(r.value);
      }
      await this.processBatch(batch);
      if (this.stopping) return;
    }
  }

  private async processBatch(msgs: JsMsg[]): Promise<void> {
    this.held = msgs;
    try {
      await this.process(msgs);
    } catch (e) {
      // The journal or NATS failed under us (a crash, or a close without draining): what is not acked is redelivered.
      this.log.error("batch abandoned, it will be redelivered", { error: String(e), messages: msgs.length });
      if (this.nc.isClosed()) throw e;
      for (const m of msgs) m.nak(this.retryDelay);
      await this.pause(this.retryDelay);
    } finally {
      this.held = [];
    }
  }

  private async process(msgs: JsMsg[]): Promise<void> {
    const prepared = await this.lane.prepare(msgs);
    const good: { msg: JsMsg; rows: Row[] }[] = [];
    for (const p of prepared) {
      if ("rows" in p) good.push(p);
      else await this.deadLetter(p.msg, p.reject, p.detail, p.inputType);
    }
    if (good.length) await this.write(good);
  }

  /** Writes the rows of the messages in one flush and acks them; 'transient' when QuestDB did not answer. */
  private async write(items: { msg: JsMsg; rows: Row[] }[]): Promise<"ok" | "transient"> {
    try {
      this.sender ??= await this.openSender();
      this.sender.reset();
      let maxTs = 0;
      let rows = 0;
      for (const it of items) {
        for (const r of it.rows) {
          await writeRow(this.sender, r);
          if (r.ts > maxTs) maxTs = r.ts;
          rows++;
        }
      }
      // A flush that never answers must not hold the batch forever: give up, nak, and let redelivery (deduplicated) retry.
      if ((await within(this.sender.flush(), this.o.flushTimeoutMs)) === TIMEOUT) throw new Error(`flush took over ${this.o.flushTimeoutMs} ms`);
      for (const it of items) it.msg.ack();
      this.acked += items.length;
      this.rowsWritten += rows;
      if (maxTs > this.lastWrittenTsUs) this.lastWrittenTsUs = maxTs;
      this.retryDelay = this.o.retryDelayMs;
      return "ok";
    } catch (e) {
      this.sender?.reset();
      this.failedFlushes++;
      if (isRefusal(e)) {
        if (items.length === 1) {
          await this.deadLetter(items[0]!.msg, RecordRejectReason.RefusedByQuestdb, String((e as Error).message ?? e).slice(0, 1000));
          return "ok";
        }
        // One message per flush finds the refused one(s); rare, so the extra requests do not matter.
        for (let i = 0; i < items.length; i++) {
          if ((await this.write([items[i]!])) === "transient") {
            for (const rest of items.slice(i + 1)) rest.msg.nak(this.retryDelay);
            return "transient";
          }
        }
        return "ok";
      }
      this.log.warn("QuestDB did not take the batch; it will be redelivered", { error: String(e), messages: items.length, retryInMs: this.retryDelay });
      for (const it of items) it.msg.nak(this.retryDelay);
      await this.sender?.close().catch(() => {});
      this.sender = undefined;
      await this.pause(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, this.o.maxRetryDelayMs);
      return "transient";
    }
  }

  /** Publishes the message with the reason to the dead-letter subject, then terminates it (never redelivered). */
  private async deadLetter(msg: JsMsg, reason: RecordRejectReason, detail: string, inputType?: string): Promise<void> {
    const nowUs = Date.now() * 1000;
    const body: RecordRejected & { type: string } = {
      type: RecordRejected.type,
      stream: this.lane.stream,
      streamSeq: msg.seq,
      subject: msg.subject,
      reason,
      detail,
      ...(inputType ? { inputType } : {}),
      input: msg.data,
      tsEvent: nowUs,
      tsInit: nowUs,
    };
    const { data, headers } = encodeMessage(body);
    try {
      await this.js.publish(this.lane.dlq, data, { headers, msgID: `${this.lane.stream}/${msg.seq}` });
    } catch (e) {
      // Without the dead letter the reason would be lost: keep the message for another try.
      this.log.warn("dead-letter publish failed; the message will be redelivered", { error: String(e), seq: msg.seq });
      msg.nak(this.retryDelay);
      return;
    }
    msg.term(`${reason}: ${detail}`.slice(0, 256));
    this.deadLettered++;
    this.log.warn("message dead-lettered", { subject: msg.subject, seq: msg.seq, reason, detail });
  }
}

function rejectOf(msg: JsMsg, e: unknown): Prepared {
  const inputType = msg.headers?.get(Header.Type) || undefined;
  const detail = e instanceof DecodeError ? `${e.reason}: ${e.message}` : String((e as Error)?.message ?? e);
  return { msg, reject: RecordRejectReason.Decode, detail, ...(inputType ? { inputType } : {}) };
}

function marketDataLane(): Lane {
  return {
    key: "marketData",
    stream: streams.marketData,
    filters: [subjects.mdAll("quote"), subjects.mdAll("trade"), subjects.mdAll("bar")],
    dlq: recorderDlq.marketData,
    prepare: async (msgs) =>
      msgs.map((msg): Prepared => {
        try {
          const { message } = decodeMessage(msg.data, msg.headers, true);
          const channel = msg.subject.split(".")[2];
          if (message.type === "Quote" && channel === "quote") return { msg, rows: [quoteRow(message as unknown as Quote)] };
          if (message.type === "Trade" && channel === "trade") return { msg, rows: [tradeRow(message as unknown as Trade)] };
          if (message.type === "Bar" && channel === "bar") return { msg, rows: [barRow(message as unknown as Bar)] };
          return { msg, reject: RecordRejectReason.UnexpectedType, detail: `${message.type} on ${msg.subject}`, inputType: message.type };
        } catch (e) {
          return rejectOf(msg, e);
        }
      }),
  };
}

const orderTypesSet: ReadonlySet<string> = new Set(orderEventTypes);

/**
 * Order rows need the order as it stands (instrument, side, status): the lane keeps each order's state, folded
 * with the order actor's own `evolve`, and rebuilds a missing one (after a restart) from the order's journal.
 */
function orderLane(nc: NatsConnection, cacheSize: number): Lane {
  const cache = new Map<string, { state: OrderState | null; seq: number }>();
  const remember = (id: string, state: OrderState | null, seq: number): void => {
    cache.delete(id);
    cache.set(id, { state, seq });
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };
  const rebuild = async (id: string, beforeSeq: number): Promise<OrderState | null> => {
    const journal = new Journal(nc, subjects.evtOf("order", id), () => "", "");
    let state: OrderState | null = null;
    for await (const r of journal.read()) {
      if (r.seq >= beforeSeq) break;
      if (orderTypesSet.has(r.event.type)) state = evolve(state, r.event as OrderEvent);
    }
    return state;
  };
  return {
    key: "orders",
    stream: streams.events,
    filters: [subjects.evtAll("order")],
    dlq: recorderDlq.orders,
    prepare: async (msgs) => {
      const out: Prepared[] = [];
      for (const msg of msgs) {
        let event: OrderEvent;
        try {
          const { message } = decodeMessage(msg.data, msg.headers, true);
          if (!orderTypesSet.has(message.type)) {
            out.push({ msg, reject: RecordRejectReason.UnexpectedType, detail: `${message.type} on ${msg.subject}`, inputType: message.type });
            continue;
          }
          event = message as unknown as OrderEvent;
        } catch (e) {
          out.push(rejectOf(msg, e));
          continue;
        }
        const id = event.clientOrderId;
        let before: OrderState | null = null;
        if ((event.type as OrderEventType) !== "OrderSubmitted") {
          const known = cache.get(id);
          before = known && known.seq < msg.seq ? known.state : await rebuild(id, msg.seq);
        }
        const after = evolve(before, event);
        remember(id, after, msg.seq);
        out.push({ msg, rows: orderEventRows(event, after, msg.seq) });
      }
      return out;
    },
  };
}
