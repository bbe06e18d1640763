import type { AnyStateMachine } from "xstate";

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
  /** deliver `{ type: "Tick" }` this often (bars of quiet instruments close, calendars advance) */
  tickEveryMs?: number;
  /** mailbox bound; market data conflates to the latest per subject, commands are refused as busy */
  mailboxCapacity?: number;
  /** snapshot mode: at most one KV write per this many ms (and on stop) */
  snapshotEveryMs?: number;
  /** context ⇄ plain data, for contexts holding classes or Maps (msgpack carries plain data only) */
  persist?: { toPlain(context: unknown): unknown; fromPlain(plain: unknown): unknown };
  /**
   * The event an actor receives when it starts from its initial state (no snapshot, no journal), e.g. a venue
   * connection's `Start`; it goes through the mailbox like any input, so what it emits is published.
   */
  startWith?: { type: string; [field: string]: unknown };
  /**
   * Actors of this kind are created by their first command: the node takes am.cmd.<kind>.> in a queue group and,
   * for an id no node hosts yet, declares it (placement), waits until it runs, then forwards the message.
   */
  spawnOnDemand?: boolean;
  /**
   * The event an actor receives when it resumes from a stored snapshot in a new incarnation on a node (after a
   * crash, a move or a restart): what its state held about the outside world may be stale, e.g. a venue
   * connection's session died with the old process.
   */
  resumeWith?: { type: string; [field: string]: unknown };
  /** with spawnOnDemand: the message types that may create an actor (default any); others for unknown ids are dropped */
  spawnOn?: readonly string[];
  /**
   * A domain event after which the actor has nothing left to do (an order filled or cancelled): the node hosting it
   * unassigns it after a quiet period, so placement does not carry finished actors. Its journal keeps its history.
   */
  retireWhen?: (event: { type: string; [field: string]: unknown }) => boolean;
  /**
   * Event-sourced kinds that consume other actors' domain events (am.evt) over core NATS miss those published
   * while they were down. On restore they read them back from the event stream, from their own last append less
   * `overlapMs`; the machine must apply them idempotently.
   */
  catchUp?: { subjects: (id: string) => string[]; overlapMs: number };
  /** a short view of the context for operators */
  summarize?: (context: unknown) => Record<string, unknown>;
  supervision?: Partial<ActorSupervision>;
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
