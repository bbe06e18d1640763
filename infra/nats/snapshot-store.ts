import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeSnapshot, encodeSnapshot } from "./codec.ts";
import { buckets } from "./resources.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** KV keys allow [-/_=.A-Za-z0-9]; everything else in an id (the dot too) is written as =XX (hex): one key token. */
export const kvToken = (s: string): string =>
  s.replace(/[^A-Za-z0-9_-]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);

export const parseKvToken = (s: string): string =>
  s.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

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
  /**
   * forwards their target had not answered when the snapshot was taken: the next owner sends them again (a target
   * takes a forward at least once). Saved by every save of a snapshot kind, and by the stop of an event-sourced one;
   * absent where none was owed.
   */
  forwards?: { type: "forward"; key: string; subject: string; message: { type: string } }[];
}

/** A save found a newer snapshot than the one its writer restored from: another owner wrote it. */
export class SnapshotFencedError extends Error {
  override name = "SnapshotFencedError";
}

/**
 * Snapshots of actors in the am-snapshots bucket, msgpack-encoded with JS types kept (see encodeSnapshot). Saves are fenced: each names the revision its
 * writer last read or wrote, so a stale owner cannot overwrite a newer snapshot.
 */
export class SnapshotStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<SnapshotStore> {
    return new SnapshotStore(await new Kvm(nc).open(buckets.snapshots));
  }

  /** The stored snapshot and its revision; the revision alone (0: never written) when there is none. */
  async load(kind: string, id: string): Promise<{ stored?: StoredSnapshot; revision: number }> {
    const e = await this.kv.get(kvKey(kind, id));
    if (!e) return { revision: 0 };
    if (e.operation !== "PUT" || e.length === 0) return { revision: e.revision };
    return { stored: decodeSnapshot(e.value) as StoredSnapshot, revision: e.revision };
  }

  /**
   * Writes over `revision` (what the writer last loaded or saved); resolves with the new revision. `s` may come
   * encoded already (encodeSnapshot), when the writer compared it with its last save.
   */
  async save(kind: string, id: string, s: StoredSnapshot | Uint8Array, revision: number): Promise<number> {
    const key = kvKey(kind, id);
    const value = s instanceof Uint8Array ? s : encodeSnapshot(s);
    try {
      return revision === 0 ? await this.kv.create(key, value) : await this.kv.update(key, value, revision);
    } catch (e) {
      if (/wrong last sequence|key exists/i.test(errorMessage(e))) {
        throw new SnapshotFencedError(`snapshot ${key}: written by another owner since revision ${revision}`);
      }
      throw e;
    }
  }

  async remove(kind: string, id: string): Promise<void> {
    await this.kv.delete(kvKey(kind, id));
  }
}
