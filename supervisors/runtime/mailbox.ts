import type { ActorKind } from "../../actors/contract/index.ts";

/**
 * A bounded FIFO. When full, market data conflates (the newest message for a subject replaces the queued one),
 * commands are refused (the caller answers "busy"), and domain events are always taken: they come from streams
 * whose flow control bounds them upstream.
 */
export type OverflowPolicy = "conflate" | "reject" | "accept";

interface Foldable {
  md?: boolean;
  cmd?: boolean;
  event: { type: string };
}

/**
 * How a kind's mail folds (its `batchAs` and `foldCommands`): the batch event type of an item, or undefined for one
 * delivered alone; undefined for a kind that folds nothing. `awaitsReply` tells a command whose sender waits for a
 * Reply, which is never folded.
 */
export function foldingOf<T extends Foldable>(
  kind: Pick<ActorKind, "batchAs" | "foldCommands">,
  awaitsReply: (item: T) => boolean,
): ((item: T) => string | undefined) | undefined {
  const { batchAs: md, foldCommands: commands } = kind;
  if (!md && !commands) return undefined;
  return (item) => {
    if (item.md) return md;
    if (commands && item.cmd && item.event.type === commands.of && !awaitsReply(item)) return commands.as;
    return undefined;
  };
}

export class Mailbox<T extends { subject: string }> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private readonly bySubject = new Map<string, number>();

  constructor(readonly capacity: number) {}

  get depth(): number {
    return this.items.length - this.head;
  }

  /** false when the item was refused */
  offer(item: T, policy: OverflowPolicy): boolean {
    if (this.depth >= this.capacity) {
      if (policy === "reject") return false;
      if (policy === "conflate") {
        const at = this.bySubject.get(item.subject);
        if (at !== undefined && at >= this.head) {
          this.items[at] = item;
          return true;
        }
        // Nothing of this subject queued: drop the oldest market data instead of growing without bound.
        this.take();
      }
    }
    if (policy === "conflate") this.bySubject.set(item.subject, this.items.length);
    this.items.push(item);
    return true;
  }

  /**
   * The next item, or it and the consecutive items after it that fold the same way (up to `max`) as one event
   * `{ type, items }`, to pay a machine's transition cost once per batch. `foldOf` names an item's batch event type,
   * or undefined for an item that is delivered alone.
   */
  takeFolded(
    foldOf: (item: T) => string | undefined,
    max: number,
  ): T | (Omit<T, "event"> & { event: { type: string; items: unknown[] } }) | undefined {
    const first = this.take();
    if (!first) return undefined;
    const type = foldOf(first);
    if (type === undefined || !this.nextFolds(foldOf, type)) return first;
    const items: unknown[] = [(first as unknown as { event: unknown }).event];
    while (items.length < max && this.nextFolds(foldOf, type)) items.push((this.take() as unknown as { event: unknown }).event);
    return { ...first, event: { type, items } };
  }

  private nextFolds(foldOf: (item: T) => string | undefined, type: string): boolean {
    const next = this.items[this.head];
    return next !== undefined && foldOf(next) === type;
  }

  /** the next item, left in place */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Puts items taken earlier back at the head, in their order (to be handled again), beyond the capacity. */
  putBack(items: T[]): void {
    if (!items.length) return;
    const shift = items.length - this.head;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    for (const [s, i] of this.bySubject) this.bySubject.set(s, i + shift);
  }

  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const at = this.head++;
    const item = this.items[at];
    this.items[at] = undefined;
    if (item && this.bySubject.get(item.subject) === at) this.bySubject.delete(item.subject);
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
    return item;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    for (const [s, i] of this.bySubject) this.bySubject.set(s, i - this.head);
    this.head = 0;
  }

  clear(): T[] {
    const rest = this.items.slice(this.head).filter((x): x is T => x !== undefined);
    this.items = [];
    this.head = 0;
    this.bySubject.clear();
    return rest;
  }
}
