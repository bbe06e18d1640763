import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeSnapshot, encodeSnapshot } from "./codec.ts";
import { buckets } from "./resources.ts";

/** KV keys allow [-/_=.A-Za-z0-9]; everything else in an id (the dot too) is written as =XX (hex): one key token. */
export const kvToken = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);

export const parseKvToken = (s: string): string => s.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

export function kvKey(kind: string, id: string): string {
  return `${kvToken(kind)}.${kvToken(id)}`;
}

export function parseKvKey(key: string): { kind: string; id: string } {
  const dot = key.indexOf(".");
  return { kind: parseKvToken(key.slice(0, dot)), id: parseKvToken(key.slice(dot + 1)) };
}

export interface StoredSnapshot {
  /** XState persisted snapshot */
  snapshot: unknown;
  /** last applied stream sequence (event-sourced) or the actor's own message count */
  seq: number;
  /** number of journal events applied (event-sourced) */
  count: number;
  /** delayed events pending when the snapshot was taken: id, event, due time (µs) */
  timers: { id: string; event: { type: string }; dueUs: number }[];
}

/** Snapshots of actors in the am-snapshots bucket, msgpack-encoded with JS types kept (see encodeSnapshot). */
export class SnapshotStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<SnapshotStore> {
    return new SnapshotStore(await new Kvm(nc).open(buckets.snapshots));
  }

  async load(kind: string, id: string): Promise<StoredSnapshot | undefined> {
    const e = await this.kv.get(kvKey(kind, id));
    if (e?.operation !== "PUT" || e.length === 0) return undefined;
    return decodeSnapshot(e.value) as StoredSnapshot;
  }

  async save(kind: string, id: string, s: StoredSnapshot): Promise<void> {
    await this.kv.put(kvKey(kind, id), encodeSnapshot(s));
  }

  async remove(kind: string, id: string): Promise<void> {
    await this.kv.delete(kvKey(kind, id));
  }
}
