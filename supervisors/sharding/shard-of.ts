/**
 * Which shard an entity id belongs to: FNV-1a (32 bit) of the id, modulo the kind's shard count. Every node and
 * every process computes the same shard for an id, so the shard's owner is the only place the entity runs.
 */
export function shardOf(id: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** The placed unit's id of shard `n` (`shard-07`): one lease and one placement entry per shard. */
export function shardName(n: number): string {
  return `shard-${String(n).padStart(2, "0")}`;
}

/** The shard number of a placed unit's id, or undefined when it is not a shard's name. */
export function shardNumber(name: string, shards: number): number | undefined {
  const m = /^shard-(\d+)$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n < shards ? n : undefined;
}

/** Every shard's name for a kind with `shards` shards. */
export function shardNames(shards: number): string[] {
  return Array.from({ length: shards }, (_, n) => shardName(n));
}
