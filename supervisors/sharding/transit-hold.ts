import type { Msg } from "@nats-io/transport-node";

export interface HeldMessage {
  msg: Msg;
  shard: number;
  heldAt: number;
}

/**
 * Messages of shards between owners, kept in arrival order per shard until the shard is owned here (delivered),
 * another region says it serves the shard (dropped: that region has its own copy), or `holdMs` passes (refused).
 */
export class TransitHold {
  private readonly byShard = new Map<number, HeldMessage[]>();
  private held = 0;

  constructor(
    readonly maxMessages: number,
    readonly holdMs: number,
  ) {
    if (!Number.isInteger(maxMessages) || maxMessages < 1) throw new Error(`maxHeld must be a positive integer, got ${maxMessages}`);
    if (!(holdMs > 0)) throw new Error(`holdMs must be positive, got ${holdMs}`);
  }

  get size(): number {
    return this.held;
  }

  /** False when the hold is full: the message is the caller's to refuse. */
  hold(msg: Msg, shard: number, now: number): boolean {
    if (this.held >= this.maxMessages) return false;
    const q = this.byShard.get(shard);
    if (q) q.push({ msg, shard, heldAt: now });
    else this.byShard.set(shard, [{ msg, shard, heldAt: now }]);
    this.held++;
    return true;
  }

  /** Removes and returns a shard's messages, oldest first. */
  take(shard: number): HeldMessage[] {
    const q = this.byShard.get(shard) ?? [];
    this.byShard.delete(shard);
    this.held -= q.length;
    return q;
  }

  clear(): void {
    this.byShard.clear();
    this.held = 0;
  }

  /** Removes and returns every message held `holdMs` or longer. */
  expire(now: number): HeldMessage[] {
    const out: HeldMessage[] = [];
    for (const [shard, q] of this.byShard) {
      let n = 0;
      while (n < q.length && now - q[n]!.heldAt >= this.holdMs) n++;
      if (n === 0) continue;
      out.push(...q.splice(0, n));
      if (q.length === 0) this.byShard.delete(shard);
    }
    this.held -= out.length;
    return out;
  }
}
