import type { ReplayRecord } from "./records.ts";

/**
 * Merges sources that are each in time order into one stream in time order (by tsEvent; on a tie, the earlier
 * source first, so a merge is deterministic). Reads one record ahead per source: memory stays per source, not per
 * record.
 */
export async function* mergeByTime(
  sources: readonly (AsyncIterable<ReplayRecord> | Iterable<ReplayRecord>)[],
): AsyncGenerator<ReplayRecord> {
  const its = sources.map((s) => (Symbol.asyncIterator in s ? s[Symbol.asyncIterator]() : toAsync(s[Symbol.iterator]())));
  const heads: (ReplayRecord | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value ?? undefined));
  try {
    for (;;) {
      let k = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (k < 0 || h.tsEvent < heads[k]!.tsEvent)) k = i;
      }
      if (k < 0) return;
      const out = heads[k]!;
      const r = await its[k]!.next();
      heads[k] = r.done ? undefined : r.value;
      yield out;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

function toAsync<T>(it: Iterator<T>): AsyncIterator<T> {
  return { next: async () => it.next(), return: async () => it.return?.() ?? { done: true, value: undefined } };
}
