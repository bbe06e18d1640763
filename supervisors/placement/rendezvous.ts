/**
 * Rendezvous (highest random weight) hashing: every node computes the same owner for a key from the same set of
 * live nodes, and a node joining or leaving moves only the keys it wins or held.
 */
function fnv1a64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  // final avalanche (splitmix64) so similar names spread
  h ^= h >> 30n;
  h = (h * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  h ^= h >> 27n;
  h = (h * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return h ^ (h >> 31n);
}

export function ownerOf(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const n of nodes) {
    const w = fnv1a64(`${n}|${key}`);
    if (w > bestWeight || (w === bestWeight && best !== undefined && n < best)) {
      best = n;
      bestWeight = w;
    }
  }
  return best;
}

/** A stable small hash for spreading keys over a node's cells. */
export function bucketOf(key: string, buckets: number): number {
  return Number(fnv1a64(key) % BigInt(buckets));
}
