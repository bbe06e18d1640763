import { z } from "zod";
import { defineMessage, type MessageOf } from "../../actors/contract/index.ts";

/** A region's word on the shards it serves: said when it takes or lets one go, and every beat while it serves any. */
export const ShardOwners = defineMessage(
  "ShardOwners",
  1,
  z.object({
    kind: z.string(),
    region: z.string(),
    serving: z.array(z.number().int().nonnegative()),
    released: z.array(z.number().int().nonnegative()),
  }),
  "Which shards of a sharded kind one process's region serves now, and which it has just let go (am.admin.shard-owners.<kind>).",
);
export type ShardOwners = MessageOf<typeof ShardOwners>;

/**
 * Which shards another region serves, as the regions last said. A shard whose server released it, or has said
 * nothing for `staleMs` (its process died or stalls), counts as between owners: its messages are held, not ignored.
 */
export class ShardDirectory {
  private readonly servers = new Map<number, { region: string; heardAt: number }>();

  constructor(
    private readonly self: string,
    readonly staleMs: number,
  ) {}

  /**
   * Applies another region's word and returns the shards it spoke for: those it serves (it has its own copies of
   * their messages) and those it released (it handled every message delivered before its release).
   */
  hear(word: ShardOwners, now: number): readonly number[] {
    if (word.region === this.self) return [];
    for (const s of word.released) if (this.servers.get(s)?.region === word.region) this.servers.delete(s);
    for (const s of word.serving) this.servers.set(s, { region: word.region, heardAt: now });
    return word.released.length ? [...word.serving, ...word.released] : word.serving;
  }

  /** The region that last said it serves the shard and has not released it since, silent or not. */
  lastServer(shard: number): string | undefined {
    return this.servers.get(shard)?.region;
  }

  servedElsewhere(shard: number, now: number): boolean {
    const s = this.servers.get(shard);
    return s !== undefined && now - s.heardAt < this.staleMs;
  }
}
