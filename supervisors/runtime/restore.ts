import type { NatsConnection } from "@nats-io/transport-node";
import type { AnyMachineSnapshot } from "xstate";
import { stepperFor } from "./machine-stepper.ts";
import type { Clock, ActorKind, Forward } from "../../actors/contract/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import type { Journal } from "../../infra/nats/journal.ts";
import type { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import { missedEvents } from "./catch-up.ts";
import { fromStored, type PendingTimer } from "./snapshots.ts";

/** The actions a transition returned, as the host runs them. */
export type MachineAction = { type: string; params?: unknown; info?: unknown; exec?: unknown };

/** Where a restore lands: the host's state, its timers and its mailbox, set step by step as the restore goes. */
export interface RestoreTarget {
  readonly kind: ActorKind;
  readonly id: string;
  readonly env: { nc: NatsConnection; store: SnapshotStore; clock: Clock };
  readonly journal: Journal | undefined;
  /** take the journal to be empty without reading it (a sharded entity activated by a message that creates it) */
  readonly assumeNew?: boolean;
  /** the state so far, and the journal position it includes when that is known */
  settle(snapshot: AnyMachineSnapshot, seq?: number): void;
  /** runs a transition's actions; on replay, custom actions and emissions are skipped */
  act(actions: MachineAction[], nowUs: number, replay?: boolean): void;
  arm(timer: PendingTimer): void;
  enqueue(subject: string, event: Message): void;
  /** a forward the previous owner had not seen answered when it stopped */
  owe(forward: Forward): void;
}

/**
 * Rebuilds an actor's last committed state: its KV snapshot (or the machine's initial state), then the journal
 * events after it (event-sourced kinds; none read when `assumeNew`), then the events it missed while down (catch-up
 * kinds). Queues the kind's start or resume event last, so it runs after everything restored.
 */
export async function restore(t: RestoreTarget): Promise<{ revision: number; replayed: number }> {
  const { kind, env, journal } = t;
  // sharded entities keep no snapshot: their journal is their state, and activation reads no KV
  const loaded = kind.persistence === "none" || kind.sharding ? undefined : await env.store.load(kind.name, t.id);
  const stored = loaded?.stored;
  let snapshot: AnyMachineSnapshot;
  if (stored) {
    snapshot = fromStored(kind, stored);
    t.settle(snapshot, stored.seq);
    for (const timer of stored.timers) t.arm(timer);
    for (const f of stored.forwards ?? []) t.owe(f as Forward);
  } else {
    const [s, actions] = stepperFor(kind.machine).initial(kind.input?.(t.id));
    snapshot = s;
    t.settle(s);
    t.act(actions, env.clock.nowUs());
  }
  let fresh = !stored;
  let replayed = 0;
  if (journal && t.assumeNew) {
    journal.assumeEmpty();
    t.settle(snapshot, 0);
  } else if (journal) {
    // Replay events after the snapshot; the machine applies its own domain events, emissions are discarded.
    for await (const r of journal.read(stored?.seq ?? 0, stored?.count ?? 0)) {
      const nowUs = typeof r.event.tsEvent === "number" ? r.event.tsEvent : env.clock.nowUs();
      const [next, actions] = stepperFor(kind.machine).step(snapshot, { ...r.event, nowUs, replay: true });
      snapshot = next;
      t.settle(next);
      t.act(actions, nowUs, true);
      replayed++;
    }
    t.settle(snapshot, journal.lastSeq);
    if (journal.count > 0) fresh = false;
    if (kind.catchUp) {
      for await (const m of missedEvents(env.nc, kind.catchUp.subjects(t.id), journal.lastSeq, kind.catchUp.overlapMs))
        t.enqueue(m.subject, m.message);
    }
  }
  if (fresh && kind.startWith) t.enqueue("start", { ...kind.startWith });
  // restored from a snapshot or from its journal: an actor that lived before resumes
  else if (!fresh && kind.resumeWith) t.enqueue("resume", { ...kind.resumeWith });
  return { revision: loaded?.revision ?? 0, replayed };
}
