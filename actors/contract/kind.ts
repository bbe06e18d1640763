import type { AnyStateMachine } from "xstate";
import type { Forward } from "../../actors/contract/index.ts";

export type Persistence = "none" | "snapshot" | "event-sourced";

/**
 * What an actor kind declares: its machine, the subjects it consumes for an id (its command subject
 * am.cmd.<kind>.<id> is implied), how its state persists, and how it is supervised.
 */
export interface ActorKind<M extends AnyStateMachine = AnyStateMachine> {
  name: string;
  machine: M;
  input?: (id: string) => unknown;
  consumes?: (id: string) => string[];
  /**
   * Subjects the actor hears only while its committed state needs them (an order emulating a stop: its
   * instrument's market data), beside `consumes`. The host follows it after each drain and on restore, and drops
   * them on stop; a sharded entity that listens is not passivated when idle.
   */
  interest?: (context: unknown) => readonly string[];
  persistence: Persistence;
  /**
   * validate each message against its registered schema (default true); off only for trusted internal subjects;
   * "commands": only am.cmd messages, for a machine that checks its market data input itself field by field and
   * refuses it with a reason (a schema pass per tick would cost as much as the actor's whole step)
   */
  validate?: boolean | "commands";
  /**
   * Deliver consecutive market data messages (am.md / am.feed) as one event `{ type: batchAs, items }`, to pay
   * the transition cost once per batch. Only for machines whose batch event means the items one by one.
   */
  batchAs?: string;
  /**
   * Deliver consecutive commands of type `of` that wait for no reply (a Predict names where its answer goes) as one
   * event `{ type: as, items }`: a burst of requests costs one step, not one each. Only for machines whose batch
   * event means the commands one by one.
   */
  foldCommands?: { of: string; as: string };
  /** deliver `{ type: "Tick" }` this often (bars of quiet instruments close, calendars advance) */
  tickEveryMs?: number;
  /** mailbox bound; market data conflates to the latest per subject, commands are refused as busy */
  mailboxCapacity?: number;
  /**
   * snapshot mode: at most one KV write per this many ms (and on stop). Event-sourced (not sharded): a compaction
   * snapshot at most this often after changes, taken with every decision in it journaled, so a restart replays
   * only the events after it (default: none, only on stop).
   */
  snapshotEveryMs?: number;
  /**
   * event-sourced with `snapshotEveryMs`: the journal before each saved snapshot is purged (it replays nothing).
   * `{ archivedBy }`: only as far as that durable consumer of the event stream has acknowledged (an archive holds
   * it); nothing while that consumer is missing.
   */
  compactJournal?: boolean | { archivedBy: string };
  /**
   * event-sourced: decide the next batch while the last one's appends are in flight (default: wait for them). For
   * a kind that must keep up with market data between its own appends (the exchange); effects still follow in order.
   */
  pipelined?: boolean;
  /** context ⇄ plain data, for contexts holding classes or Maps (msgpack carries plain data only) */
  persist?: { toPlain(context: unknown): unknown; fromPlain(plain: unknown): unknown };
  /**
   * The event an actor receives when it starts from its initial state (no snapshot, no journal), e.g. a venue
   * connection's `Start`; it goes through the mailbox like any input, so what it emits is published.
   */
  startWith?: { type: string; [field: string]: unknown };
  /**
   * A kind with many ids (orders): placement and leases are per shard (`<kind>/shard-07`), not per entity. A shard's
   * owner takes am.cmd.<kind>.> and activates an entity in memory on its first message (no KV write; one direct get
   * says whether it has a journal to replay) and passivates it when idle. Entities keep no snapshots: their
   * journal is their state.
   */
  sharding?: ShardingSpec;
  /**
   * The event an actor that lived before receives when a new incarnation restores it, from a snapshot or from its
   * journal (after a crash, a move, a restart, or a sharded entity's reactivation): what its state held about the
   * outside world may be stale, e.g. a venue connection's session died with the old process.
   */
  resumeWith?: { type: string; [field: string]: unknown };
  /**
   * Event-sourced kinds that consume other actors' domain events (am.evt) over core NATS miss those published
   * while they were down. On restore they read them back from the event stream, from their own last append less
   * `overlapMs`; the machine must apply them idempotently.
   */
  catchUp?: { subjects: (id: string) => string[]; overlapMs: number };
  /**
   * The forwards the committed state says must still reach their targets (a risk book's approved orders): sent
   * again when the actor is restored, since a forward in flight when the process died is not journaled itself.
   */
  outbox?: (context: unknown) => Forward[];
  /** a short view of the context for operators */
  summarize?: (context: unknown) => Record<string, unknown>;
  supervision?: Partial<ActorSupervision>;
}

export interface ShardingSpec {
  shards: number;
  /** an entity this long without a message (and no delayed event armed) is passivated (default 60 s) */
  idleMs?: number;
  /** an entity with nothing left to do (an order filled or canceled) is passivated after doneIdleMs (default 2 s) */
  doneWhen?: (context: unknown) => boolean;
  doneIdleMs?: number;
  /**
   * What active entities may have missed while nobody listened: each is sent `reconnectWith` when this process's
   * NATS connection comes back, and hears every message on the `broadcast` subjects (a venue session logged on).
   */
  wake?: { reconnectWith?: { type: string }; broadcast?: string[] };
  /**
   * An entity whose state needs it running although no message may come (an order holding a stop it emulates:
   * it must watch the market) is listed by shard while so, and the region that takes the shard (a move, a node
   * that died) activates it at once instead of on its next message.
   */
  keepAwake?: (context: unknown) => boolean;
  /**
   * Other actors' messages that belong to one entity of this kind, which they activate like its commands do (an
   * order list hears its legs' order events while passivated and after a restart, with no subscription per entity):
   * each message on `subjects` goes to the entity `entityOf(subject)` names, when its shard is served here.
   */
  routes?: { subjects: string[]; entityOf: (subject: string) => string | undefined };
  /**
   * The message types that, as an entity's first message, almost always create it (an order's SubmitOrder): such an
   * activation takes the journal to be empty instead of reading it, and reads it and decides again only where its
   * first append finds history (see Journal.assumeEmpty). Saves a round trip per new entity.
   */
  createdBy?: readonly string[];
}

export interface ActorSupervision {
  restart: "permanent" | "transient" | "temporary";
  /** restarts allowed within periodMs before the actor is quarantined */
  maxRestarts: number;
  periodMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const defaultSupervision: ActorSupervision = {
  restart: "permanent",
  maxRestarts: 5,
  periodMs: 10_000,
  backoffMinMs: 0,
  backoffMaxMs: 2_000,
};

export function defineKind<M extends AnyStateMachine>(kind: ActorKind<M>): ActorKind<M> {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(kind.name)) throw new Error(`actor kind name ${JSON.stringify(kind.name)} must be lower-case kebab`);
  return kind;
}
