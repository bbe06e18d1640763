import { DeliverPolicy, type JetStreamClient, type JsMsg, jetstream, jetstreamManager, type PushConsumer, type ConsumerMessages } from "@nats-io/jetstream";
import { type NatsConnection, nuid } from "@nats-io/transport-node";
import type { Logger } from "../telemetry/log.ts";
import { ownedConsumerPrefix } from "./consumer-room.ts";
import { errorMessage } from "../../actors/contract/index.ts";

export interface BucketKeysOptions {
  /** the KV bucket watched */
  bucket: string;
  /** key filter inside the bucket (KV wildcards), ">" for all */
  filter?: string;
  /** who opens the watch (the node id): its consumer is named after it, so a later start can find and delete it */
  owner: string;
  /** entries not rewritten within this time are gone (a bucket whose entries expire: the watch sees no expiry) */
  ttlMs?: number;
  /** each key written or deleted, as the watch delivers it (initial values included) */
  onChange?: (key: string, present: boolean) => void;
  log: Logger;
}

const REOPEN_MIN_MS = 250;
const REOPEN_MAX_MS = 5_000;

/**
 * The keys currently in a KV bucket, kept in memory by one watch opened once: last value per key first, then every
 * change. kv.keys() for each look left an ephemeral consumer on the bucket's stream that lived five minutes; a few
 * looks a second reached the server's consumer limit. A watch that ends is opened again and its initial values
 * update the same map (delete markers are last values too), so nothing grows.
 */
export class BucketKeys {
  private readonly seen = new Map<string, number>();
  private readonly js: JetStreamClient;
  private readonly stream: string;
  private readonly subjectPrefix: string;
  private consumer: PushConsumer | undefined;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private reopenMs = REOPEN_MIN_MS;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly o: BucketKeysOptions,
  ) {
    this.js = jetstream(nc);
    this.stream = `KV_${o.bucket}`;
    this.subjectPrefix = `$KV.${o.bucket}.`;
  }

  /** Resolves once the bucket's current keys are in the view. */
  async start(): Promise<void> {
    await this.open();
  }

  /** The keys present now, sorted. */
  keys(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [key, at] of this.seen) {
      if (this.o.ttlMs !== undefined && now - at > this.o.ttlMs) this.seen.delete(key);
      else out.push(key);
    }
    return out.sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    await this.close();
  }

  private get namePrefix(): string {
    return `${ownedConsumerPrefix(this.o.owner)}${this.o.bucket.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  /**
   * Deletes this owner's consumers of an earlier watch still on the stream: a process killed with -9, or a delete
   * lost while the server was away, leaves one under the same name, and the server refuses a second ("consumer
   * already exists"), so a restarted node could not start.
   */
  private async releaseEarlier(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const earlier: string[] = [];
    for await (const c of jsm.consumers.list(this.stream)) if (c.name.startsWith(this.namePrefix)) earlier.push(c.name);
    for (const name of earlier) await jsm.consumers.delete(this.stream, name).catch(() => false);
  }

  private async open(): Promise<void> {
    await this.releaseEarlier();
    const consumer = await this.js.consumers.getPushConsumer(this.stream, {
      // unique per watch as well: a delete of the earlier one can fail while the server is away
      name_prefix: `${this.namePrefix}_${nuid.next()}`,
      filter_subjects: `${this.subjectPrefix}${this.o.filter ?? ">"}`,
      deliver_policy: DeliverPolicy.LastPerSubject,
      headers_only: true,
    });
    this.consumer = consumer;
    let pending = (await consumer.info(true)).num_pending;
    let ready!: () => void;
    const loaded = new Promise<void>((r) => (ready = r));
    if (pending === 0) ready();
    const messages = await consumer.consume({
      callback: (m) => {
        this.apply(m, pending > 0);
        if (pending > 0 && m.info.pending === 0) {
          pending = 0;
          ready();
        }
      },
    });
    this.messages = messages;
    void messages.closed().then(() => this.onClosed(messages));
    await Promise.race([loaded, messages.closed().then(() => Promise.reject(new Error(`watch of bucket ${this.o.bucket} ended before its keys were read`)))]);
    this.reopenMs = REOPEN_MIN_MS;
  }

  private apply(m: JsMsg, initial: boolean): void {
    const key = m.subject.slice(this.subjectPrefix.length);
    const op = m.headers?.get("KV-Operation");
    if (op === "DEL" || op === "PURGE") {
      this.seen.delete(key);
      this.o.onChange?.(key, false);
      return;
    }
    // An initial value may be old already: its age counts against the TTL (the server's clock, never ahead of ours).
    this.seen.set(key, initial ? Math.min(Date.now(), Math.floor(m.info.timestampNanos / 1e6)) : Date.now());
    this.o.onChange?.(key, true);
  }

  private onClosed(messages: ConsumerMessages): void {
    if (this.stopped || messages !== this.messages || this.nc.isClosed()) return;
    this.o.log.warn("bucket watch ended; opening it again", { bucket: this.o.bucket, inMs: this.reopenMs });
    void this.close();
    this.reopenTimer = setTimeout(() => {
      this.open().catch((e) => {
        this.o.log.warn("bucket watch could not be opened", { bucket: this.o.bucket, error: errorMessage(e) });
        this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
        if (this.messages === messages) this.onClosed(messages);
      });
    }, this.reopenMs);
  }

  /** Stops delivery and deletes the consumer: it would otherwise stay on the stream for its inactivity threshold. */
  private async close(): Promise<void> {
    const consumer = this.consumer;
    this.messages?.stop();
    this.consumer = undefined;
    if (consumer && !this.nc.isClosed()) await consumer.delete().catch(() => {});
  }
}
