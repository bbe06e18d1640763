import type { ActorRef } from "./placement.ts";

/**
 * The actors declared to run (the config bucket's `actors.*` keys), as this node knows them: its own declarations
 * at once, everyone's from the bucket's watch. Each key keeps the KV revision of the last change applied to it, and
 * a watch event no newer than that is stale: the watch can still be delivering the declaration of an actor this
 * node has since unassigned, which would otherwise bring it back (started again, only to be stopped at the delete),
 * or the removal of one it has since declared again.
 */
export class DesiredActors {
  private readonly refs = new Map<string, ActorRef>();
  private readonly applied = new Map<string, number>();

  /** A change as the bucket's watch delivers it (in revision order). */
  watched(key: string, present: boolean, revision: number, ref: () => ActorRef): void {
    if (revision <= (this.applied.get(key) ?? 0)) return;
    if (present) {
      this.applied.set(key, revision);
      if (!this.refs.has(key)) this.refs.set(key, ref());
      return;
    }
    this.refs.delete(key);
    // nothing the watch delivers later is older than this removal: the key needs no revision kept
    this.applied.delete(key);
  }

  /** This node declared the actor; `revision` is its put's. */
  declared(key: string, ref: ActorRef, revision: number): void {
    this.applied.set(key, Math.max(revision, this.applied.get(key) ?? 0));
    this.refs.set(key, ref);
  }

  /**
   * This node deleted the actor's key: every declaration seen or made so far is older than the delete, and a
   * delivery of one of them from here on is stale.
   */
  removed(key: string): void {
    this.refs.delete(key);
  }

  has(key: string): boolean {
    return this.refs.has(key);
  }

  entries(): IterableIterator<[string, ActorRef]> {
    return this.refs.entries();
  }
}
