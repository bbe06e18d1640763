import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RecordRejected, RecordRejectReason } from "../../actors/domain/index.ts";
import { encodeMessage } from "../nats/index.ts";
import type { Logger } from "../telemetry/index.ts";
import { Acks } from "./acks.ts";
import type { Lane } from "./lanes.ts";
import type { IlpWriter } from "./ilp-writer.ts";
import type { Row } from "./rows.ts";
import { errorMessage } from "../../actors/contract/index.ts";
import { recorderMetrics } from "../telemetry/metrics.ts";

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
  /** messages of a channel the lane does not record, acknowledged unread */
  unrecorded: number;
  failedFlushes: number;
  /** messages in the recorder's hands right now, at most batchSize */
  held: number;
}

export const HALT = Symbol("halt");
const TIMEOUT = Symbol("timeout");

/**
 * The promise's value, or HALT once the signal aborts. The abort listener goes when the promise settles: racing
 * each batch against one long-lived "halted" promise kept every batch's first message reachable for the run.
 */
export function unlessHalted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof HALT> {
  if (signal.aborted) return Promise.resolve(HALT);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(HALT);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

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
/**
 * HTTP 4xx from QuestDB, or a value no row can carry (ilpLine's TypeError): the data was refused, retrying the same
 * rows would fail forever.
 */
const isRefusal = (e: unknown): boolean => e instanceof TypeError || /statusCode=4\d\d/.test(errorMessage(e));

/**
 * The pull loop of one consumer: takes a batch, has its lane turn it into rows, writes them in one flush and acks,
 * dead-letters what the lane or QuestDB refused, and naks the rest for redelivery when QuestDB does not answer.
 */
export class LaneRunner {
  private stopping = false;
  private readonly halt = new AbortController();
  private loop: Promise<void> | undefined;
  private sender: IlpWriter | undefined;
  private held: JsMsg[] = [];
  private retryDelay: number;
  private acked = 0;
  private rowsWritten = 0;
  private deadLettered = 0;
  private unrecorded = 0;
  private failedFlushes = 0;
  private lastWrittenTsUs = 0;
  private readonly acks: Acks;

  constructor(
    readonly lane: Lane,
    private readonly durable: string,
    private readonly consumer: Consumer,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly openSender: () => Promise<IlpWriter>,
    private readonly o: { batchSize: number; lingerMs: number; flushTimeoutMs: number; retryDelayMs: number; maxRetryDelayMs: number },
    private readonly log: Logger,
  ) {
    this.retryDelay = o.retryDelayMs;
    this.acks = new Acks(nc);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    await this.loop;
    this.acks.stop();
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
      unrecorded: this.unrecorded,
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
    let next: Promise<IteratorResult<JsMsg>> | undefined;
    for (;;) {
      next ??= it.next();
      const first = await unlessHalted(next, this.halt.signal);
      if (first === HALT) return;
      next = undefined;
      if (first.done) return;
      const batch = [first.value];
      // one timer per batch, not one per message
      let timer: NodeJS.Timeout | undefined;
      const lingered = new Promise<typeof TIMEOUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMEOUT), this.o.lingerMs);
      });
      try {
        while (batch.length < this.o.batchSize) {
          next = it.next();
          const r = await Promise.race([next, lingered]);
          if (r === TIMEOUT) break;
          next = undefined;
          if (r.done) break;
          batch.push(r.value);
        }
      } finally {
        clearTimeout(timer);
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
      else if ("unrecorded" in p) {
        // nothing of it goes to QuestDB, so nothing to wait for
        this.acks.ack(p.msg);
        this.unrecorded++;
      } else await this.deadLetter(p.msg, p.reject, p.detail, p.inputType);
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
          this.sender.row(r);
          if (r.ts > maxTs) maxTs = r.ts;
          rows++;
        }
      }
      const started = recorderMetrics ? performance.now() : 0;
      // A flush that never answers must not hold the batch forever: give up, nak, and let redelivery (deduplicated) retry.
      if ((await within(this.sender.flush(), this.o.flushTimeoutMs)) === TIMEOUT)
        throw new Error(`flush took over ${this.o.flushTimeoutMs} ms`);
      if (recorderMetrics) {
        const attributes = recorderMetrics.attributesOf(this.lane.key);
        recorderMetrics.writeMs.record(performance.now() - started, attributes);
        recorderMetrics.rows.add(rows, attributes);
      }
      for (const it of items) this.acks.ack(it.msg);
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
          await this.deadLetter(items[0]!.msg, RecordRejectReason.RefusedByQuestdb, String(errorMessage(e) ?? e).slice(0, 1000));
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
      this.log.warn("QuestDB did not take the batch; it will be redelivered", {
        error: String(e),
        messages: items.length,
        retryInMs: this.retryDelay,
      });
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
