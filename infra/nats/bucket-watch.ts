import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { Bucket, type KV } from "@nats-io/kv";
import { createInbox, errors, type MsgHdrs, nanos, type NatsConnection, nuid } from "@nats-io/transport-node";
import type { Logger } from "../telemetry/log.ts";
import { ownedConsumerPrefix } from "./consumer-room.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** One KV entry as a watch delivers it: the last value per key first (`initial`), then every change. */
export interface BucketEntry {
  key: string;
  operation: "PUT" | "DEL" | "PURGE";
  /** the value (empty for a delete, or when the watch reads headers only) */
  value: Uint8Array;
  revision: number;
  /** when the server stored it, milliseconds since the epoch */
  storedAtMs: number;
  initial: boolean;
  /** the headers the writer stored with the entry (the KV's own among them) */
  headers?: MsgHdrs;
}

/** What a watch reads through: a connection, or a bucket opened with Kvm (it carries its JetStream clients). */
export type WatchSource = NatsConnection | KV;

async function jetStreamOf(source: WatchSource): Promise<{ js: JetStreamClient; jsm: JetStreamManager; inboxPrefix?: string }> {
  if (source instanceof Bucket) return { js: source.js, jsm: source.jsm, ...inboxPrefixOf(source.js) };
  if ("isClosed" in source) return { js: jetstream(source), jsm: await jetstreamManager(source), ...inboxPrefixOf({ nc: source }) };
  throw new Error("a bucket watch needs a NATS connection or a bucket opened with Kvm");
}

/**
 * The connection's inbox prefix, where it has its own: deliveries must reach an operator's connection on the prefix
 * the server exports to its account (nats.conf), as nats.js's own watches do (its implementations carry `nc.options`).
 */
function inboxPrefixOf(client: object): { inboxPrefix?: string } {
  const prefix = (client as { nc?: { options?: { inboxPrefix?: unknown } } }).nc?.options?.inboxPrefix;
  return typeof prefix === "string" && prefix ? { inboxPrefix: prefix } : {};
}

export interface BucketWatchOptions {
  bucket: string;
  /** key filters inside the bucket (KV wildcards); all keys when absent */
  filter?: string | string[];
  /** who watches (the node id): the consumer is named after it, so a later start of that node can delete it */
  owner: string;
  /** keys and operations only, no values (a view of which keys exist) */
  headersOnly?: boolean;
  onEntry(entry: BucketEntry): void;
  log: Logger;
}

/** A consumer nobody listens to any more (its process crashed) is gone after this; never the client's 5 minutes. */
export const WATCH_ORPHAN_AFTER_MS = 30_000;
const HEARTBEAT_MS = 5_000;
const REOPEN_MIN_MS = 250;
const REOPEN_MAX_MS = 5_000;

/**
 * A KV watch whose consumer this process names, gives a short inactive threshold and deletes when it stops or
 * reopens. kv.watch() and kv.keys() open consumers that stay on the bucket's stream for five minutes after their
 * last use, so every process or cell start and every listing left one behind. The initial values arrive before
 * start() resolves; a gap in delivery, lost heartbeats or a deleted consumer reopen the watch from the last
 * revision seen, so no change is skipped (a change may be delivered twice, which applying last values tolerates).
 */
export class BucketWatch {
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  /** the connection's own inbox prefix (an operator's), for the consumer's deliveries */
  private inboxPrefix: string | undefined;
  private readonly stream: string;
  private readonly subjectPrefix: string;
  private name: string | undefined;
  private messages: ConsumerMessages | undefined;
  private lastRevision = 0;
  private stopped = false;
  private reopenMs = REOPEN_MIN_MS;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly source: WatchSource,
    private readonly o: BucketWatchOptions,
  ) {
    this.stream = `KV_${o.bucket}`;
    this.subjectPrefix = `$KV.${o.bucket}.`;
  }

  /** Resolves once the bucket's current values were delivered to onEntry. */
  async start(): Promise<void> {
    ({ js: this.js, jsm: this.jsm, inboxPrefix: this.inboxPrefix } = await jetStreamOf(this.source));
    await this.open();
  }

  /** Stops delivery and deletes the consumer. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    await this.close();
  }

  private consumerConfig(name: string): Partial<ConsumerConfig> {
    const filters = [this.o.filter ?? ">"].flat().map((f) => `${this.subjectPrefix}${f}`);
    const from: Partial<ConsumerConfig> =
      this.lastRevision > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastRevision + 1 }
        : { deliver_policy: DeliverPolicy.LastPerSubject };
    return {
      name,
      ...from,
      ...(filters.length === 1 ? { filter_subject: filters[0] } : { filter_subjects: filters }),
      ack_policy: AckPolicy.None,
      deliver_subject: createInbox(this.inboxPrefix),
      flow_control: true,
      idle_heartbeat: nanos(HEARTBEAT_MS),
      inactive_threshold: nanos(WATCH_ORPHAN_AFTER_MS),
      headers_only: this.o.headersOnly === true,
      mem_storage: true,
      num_replicas: 1,
    };
  }

  private async open(): Promise<void> {
    const name = `${ownedConsumerPrefix(this.o.owner)}${this.o.bucket.replace(/[^A-Za-z0-9_-]/g, "_")}_${nuid.next()}`;
    const info = await this.jsm!.consumers.add(this.stream, this.consumerConfig(name));
    this.name = name;
    const consumer = await this.js!.consumers.getPushConsumer(this.stream, name);
    let pending = info.num_pending;
    let deliveries = 0;
    let ready!: () => void;
    const loaded = new Promise<void>((r) => (ready = r));
    if (pending === 0) ready();
    const messages = await consumer.consume({
      callback: (m) => {
        if (m.info.deliverySequence !== ++deliveries) {
          // a message lost between server and client: read again from the last revision applied
          this.reopen(messages, "gap in delivery");
          return;
        }
        this.apply(m, pending > 0);
        if (pending > 0 && m.info.pending === 0) {
          pending = 0;
          ready();
        }
      },
    });
    this.messages = messages;
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === "heartbeats_missed" || s.type === "consumer_deleted") this.reopen(messages, s.type);
      }
    })();
    void messages.closed().then(() => this.reopen(messages, "delivery ended"));
    await Promise.race([
      loaded,
      messages.closed().then(() => Promise.reject(new Error(`watch of bucket ${this.o.bucket} ended before its values were read`))),
    ]);
    this.reopenMs = REOPEN_MIN_MS;
  }

  private apply(m: JsMsg, initial: boolean): void {
    const op = m.headers?.get("KV-Operation");
    const operation = op === "DEL" || op === "PURGE" ? op : "PUT";
    this.lastRevision = m.info.streamSequence;
    this.o.onEntry({
      key: m.subject.slice(this.subjectPrefix.length),
      operation,
      value: operation === "PUT" && !this.o.headersOnly ? m.data : new Uint8Array(0),
      revision: m.info.streamSequence,
      storedAtMs: Math.floor(m.info.timestampNanos / 1e6),
      initial,
      ...(m.headers ? { headers: m.headers } : {}),
    });
  }

  private reopen(messages: ConsumerMessages, why: string): void {
    if (this.stopped || messages !== this.messages || this.connectionClosed()) return;
    this.messages = undefined;
    this.o.log.warn("bucket watch interrupted; opening it again from the last revision seen", {
      bucket: this.o.bucket,
      why,
      revision: this.lastRevision,
      inMs: this.reopenMs,
    });
    void this.close(messages);
    this.openLater();
  }

  private connectionClosed(): boolean {
    return !(this.source instanceof Bucket) && "isClosed" in this.source && this.source.isClosed();
  }

  private openLater(): void {
    this.reopenTimer = setTimeout(() => {
      if (this.stopped) return;
      this.open().catch((e) => {
        // a closed connection ends the watch: nothing will answer again
        if (e instanceof errors.ClosedConnectionError) return;
        this.o.log.warn("bucket watch could not be opened", { bucket: this.o.bucket, error: errorMessage(e), inMs: this.reopenMs });
        this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
        this.openLater();
      });
    }, this.reopenMs);
  }

  private async close(messages = this.messages): Promise<void> {
    const name = this.name;
    messages?.stop();
    this.name = undefined;
    if (name && this.jsm) await this.jsm.consumers.delete(this.stream, name).catch(() => {});
  }
}

/** Every entry of the bucket (matching `filter`) as it is now, read by a watch that is deleted right after. */
export async function readBucket(source: WatchSource, o: Omit<BucketWatchOptions, "onEntry">): Promise<BucketEntry[]> {
  const out: BucketEntry[] = [];
  const watch = new BucketWatch(source, { ...o, onEntry: (e) => out.push(e) });
  try {
    await watch.start();
  } finally {
    await watch.stop();
  }
  return out;
}
