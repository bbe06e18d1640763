import type { AnyMachineSnapshot } from "xstate";
import { encodeSnapshot } from "../../infra/nats/codec.ts";
import { SnapshotFencedError, type SnapshotStore, type StoredSnapshot } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { type ActorKind, errorMessage, type Forward } from "../../actors/contract/index.ts";

/** A delayed event the machine raised: due at `dueUs`, armed while the actor runs, kept in its snapshot. */
export interface PendingTimer {
  id: string;
  event: { type: string };
  dueUs: number;
  handle?: ReturnType<typeof setTimeout>;
  /** the trace of the message whose step armed it: the delayed step continues that trace (not stored) */
  traceparent?: string;
}

/** The stored form of an actor's committed state: plain data only (msgpack carries no classes or Maps). */
export function toStored(
  kind: ActorKind,
  snapshot: AnyMachineSnapshot,
  seq: number,
  count: number,
  timers: Iterable<PendingTimer>,
  /** forwards unanswered at a stop: saved for the next owner (see StoredSnapshot.forwards) */
  forwards: readonly Forward[] = [],
): StoredSnapshot {
  // XState types a persisted snapshot as Snapshot<unknown>; a machine's persisted form always has value and context.
  const p = kind.machine.getPersistedSnapshot(snapshot) as unknown as { value: unknown; context: unknown };
  const context = kind.persist ? kind.persist.toPlain(p.context) : p.context;
  return {
    snapshot: { value: p.value, context },
    seq,
    count,
    timers: [...timers].map(({ id, event, dueUs }) => ({ id, event, dueUs })),
    ...(forwards.length
      ? { forwards: forwards.map(({ key, subject, message }) => ({ type: "forward" as const, key, subject, message })) }
      : {}),
  };
}

/** The machine state a stored snapshot describes, its context rebuilt by the kind's own `persist`. */
export function fromStored(kind: ActorKind, stored: StoredSnapshot): AnyMachineSnapshot {
  const plain = stored.snapshot as { value: never; context: unknown };
  const context = kind.persist ? kind.persist.fromPlain(plain.context) : plain.context;
  return kind.machine.resolveState({ value: plain.value, context });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Sends a held reply once its state is saved, or its failure when the save failed. */
export type HeldReply = (saveError?: Error) => void;

/**
 * Writes a snapshot kind's state to KV: at most once per `snapshotEveryMs` after changes, and once per drained
 * batch for the commands it acknowledges (group commit), so an acknowledged command survives the loss of the
 * process or cell.
 */
export class SnapshotWriter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private held: HeldReply[] = [];
  private fence = 0;
  /** what the last save wrote: a state unchanged since is not written again */
  private lastSaved: Uint8Array | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly kind: ActorKind,
    private readonly id: string,
    private readonly store: SnapshotStore,
    private readonly log: Logger,
    /** the committed state to save, undefined while there is none */
    private readonly current: () => StoredSnapshot | undefined,
    /** a save found a newer snapshot by another owner */
    private readonly onFenced: (e: SnapshotFencedError) => void,
    /** a snapshot is in KV now: what it includes is needed no more elsewhere (a compacted journal) */
    private readonly onSaved?: (stored: StoredSnapshot) => void,
  ) {}

  /** The KV revision of the snapshot this actor last loaded or saved: the fence of its next save. */
  get revision(): number {
    return this.fence;
  }

  /** Set when the actor (re)loads its snapshot: what this writer saved before is no longer what KV holds. */
  set revision(r: number) {
    this.fence = r;
    this.lastSaved = undefined;
  }

  /** Holds a reply until the state that includes its command is saved. */
  hold(reply: HeldReply): void {
    this.held.push(reply);
  }

  /** Saves now for the held replies, then sends them. */
  flushReplies(): void {
    if (!this.held.length) return;
    const replies = this.held;
    this.held = [];
    this.save().then(
      () => {
        for (const r of replies) r();
      },
      (e) => {
        for (const r of replies) r(e as Error);
      },
    );
  }

  /** Schedules a save within `snapshotEveryMs`, unless one is already pending. */
  markDirty(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save().catch((e) =>
        this.log.warn("snapshot save failed", { actor: `${this.kind.name}/${this.id}`, error: errorMessage(e) }),
      );
    }, this.kind.snapshotEveryMs ?? 1_000);
    this.timer.unref?.();
  }

  /** Drops the pending scheduled save (the caller saves itself when it stops). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Saves in turn, each fenced by the revision the last one wrote, so a stale owner cannot overwrite a newer
   * snapshot. Sharded entities keep none: their journal is their state, and activation reads no KV. A state
   * unchanged since the last save is not written again (a venue's resting orders between two of our orders).
   */
  save(): Promise<void> {
    if (this.kind.persistence === "none" || this.kind.sharding) return Promise.resolve();
    const run = this.saving
      .catch(() => {})
      .then(async () => {
        const stored = this.current();
        if (!stored) return;
        const encoded = encodeSnapshot(stored);
        if (this.lastSaved && sameBytes(encoded, this.lastSaved)) return;
        try {
          this.fence = await this.store.save(this.kind.name, this.id, encoded, this.fence);
          this.lastSaved = encoded;
          this.onSaved?.(stored);
        } catch (e) {
          if (e instanceof SnapshotFencedError) this.onFenced(e);
          throw e;
        }
      });
    this.saving = run;
    return run;
  }
}
