import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../telemetry/log.ts";
import { BucketWatch } from "./bucket-watch.ts";

export interface BucketKeysOptions {
  /** the KV bucket watched */
  bucket: string;
  /** key filter inside the bucket (KV wildcards), ">" for all */
  filter?: string;
  /** who opens the watch (the node id): its consumer is named after it, so a later start can find and delete it */
  owner: string;
  /** entries not rewritten within this time are gone (a bucket whose entries expire: the watch sees no expiry) */
  ttlMs?: number;
  /** each key written or deleted, with the change's KV revision, as the watch delivers it (initial values included) */
  onChange?: (key: string, present: boolean, revision: number) => void;
  log: Logger;
}

/**
 * The keys currently in a KV bucket, kept in memory by one watch opened once (BucketWatch, headers only): last
 * value per key first, then every change. kv.keys() for each look left an ephemeral consumer on the bucket's stream
 * that lived five minutes; a few looks a second reached the server's consumer limit.
 */
export class BucketKeys {
  private readonly seen = new Map<string, number>();
  private readonly watch: BucketWatch;
  private readonly ttlMs: number | undefined;

  constructor(nc: NatsConnection, o: BucketKeysOptions) {
    this.watch = new BucketWatch(nc, {
      bucket: o.bucket,
      owner: o.owner,
      log: o.log,
      headersOnly: true,
      ...(o.filter ? { filter: o.filter } : {}),
      onEntry: (e) => {
        if (e.operation !== "PUT") {
          this.seen.delete(e.key);
          o.onChange?.(e.key, false, e.revision);
          return;
        }
        // An initial value may be old already: its age counts against the TTL (the server's clock, never ahead of ours).
        this.seen.set(e.key, e.initial ? Math.min(Date.now(), e.storedAtMs) : Date.now());
        o.onChange?.(e.key, true, e.revision);
      },
    });
    this.ttlMs = o.ttlMs;
  }

  /** Resolves once the bucket's current keys are in the view. */
  start(): Promise<void> {
    return this.watch.start();
  }

  /** The keys present now, sorted. */
  keys(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [key, at] of this.seen) {
      if (this.ttlMs !== undefined && now - at > this.ttlMs) this.seen.delete(key);
      else out.push(key);
    }
    return out.sort();
  }

  /** When the key was last written, as this view saw it (undefined: not in the view). */
  seenAt(key: string): number | undefined {
    return this.seen.get(key);
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }
}
