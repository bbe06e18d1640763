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
  /** validate each message against its registered schema; off only for trusted internal subjects */
  validate?: boolean;
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
