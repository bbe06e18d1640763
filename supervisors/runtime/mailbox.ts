/**
 * A bounded FIFO. When full, market data conflates (the newest message for a subject replaces the queued one),
 * commands are refused (the caller answers "busy"), and domain events are always taken: they come from streams
 * whose flow control bounds them upstream.
 */
export type OverflowPolicy = "conflate" | "reject" | "accept";

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

  /** true when the next item is market data (an item with `md: true`) */
  peekMd(): boolean {
    return (this.items[this.head] as { md?: boolean } | undefined)?.md === true;
  }

  /**
   * The next item, or consecutive market data items (up to `max`) folded into one batch event `{ type, items }`,
   * to pay a machine's transition cost once per batch.
   */
  takeBatch(type: string, max: number): T | { subject: string; event: { type: string; items: unknown[] } } | undefined {
    const first = this.take();
    if (!(first as { md?: boolean } | undefined)?.md || !this.peekMd()) return first;
    const items: unknown[] = [(first as unknown as { event: unknown }).event];
    while (items.length < max && this.peekMd()) items.push((this.take() as unknown as { event: unknown }).event);
    return { subject: first!.subject, event: { type, items } };
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
