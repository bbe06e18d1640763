import { createReadStream } from "node:fs";
import { CsvRecordReader, type ReplayRecord } from "../../actors/feed/replay/index.ts";

/**
 * Reads a CSV replay file (quotes, trades or bars; actors/feed/replay/csv.ts) in chunks of records: one file
 * chunk at a time is in memory, whatever the file's size.
 */
export async function* csvRecordChunks(path: string, chunkBytes = 1 << 20): AsyncGenerator<ReplayRecord[]> {
  const reader = new CsvRecordReader(path);
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: chunkBytes })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop() ?? "";
    const out: ReplayRecord[] = [];
    for (const line of lines) {
      const r = reader.line(line);
      if (r) out.push(r);
    }
    if (out.length) yield out;
  }
  const last = rest ? reader.line(rest) : undefined;
  if (last) yield [last];
}

/** Anything merged by event time: market data records, and the recorded L2 book beside them. */
interface Timed {
  tsEvent: number;
}

interface Cursor<R extends Timed = Timed> {
  index: number;
  it: AsyncIterator<R[]>;
  chunk: R[];
  at: number;
}

/**
 * Merges sources that are each in time order into one stream in event-time order, in batches: by tsEvent, on a tie
 * the earlier source first (deterministic). Each source holds one chunk in memory; a binary heap picks the next.
 */
export async function* mergeInTimeOrder<R extends Timed = ReplayRecord>(
  sources: readonly AsyncIterable<R[]>[],
  batch = 4096,
): AsyncGenerator<R[]> {
  const heap: Cursor<R>[] = [];
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  try {
    for (let index = 0; index < its.length; index++) {
      const c: Cursor<R> = { index, it: its[index]!, chunk: [], at: 0 };
      if (await refill(c)) push(heap, c);
    }
    let out: R[] = [];
    while (heap.length) {
      const c = heap[0]!;
      out.push(c.chunk[c.at++]!);
      if (c.at >= c.chunk.length && !(await refill(c))) popTop(heap);
      else siftDown(heap, 0);
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

async function refill<R extends Timed>(c: Cursor<R>): Promise<boolean> {
  for (;;) {
    const r = await c.it.next();
    if (r.done) return false;
    if (r.value.length) {
      c.chunk = r.value;
      c.at = 0;
      return true;
    }
  }
}

const before = (a: Cursor, b: Cursor): boolean => {
  const x = a.chunk[a.at]!.tsEvent;
  const y = b.chunk[b.at]!.tsEvent;
  return x < y || (x === y && a.index < b.index);
};

function push(h: Cursor[], c: Cursor): void {
  h.push(c);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}

function popTop(h: Cursor[]): void {
  const last = h.pop()!;
  if (h.length) {
    h[0] = last;
    siftDown(h, 0);
  }
}

function siftDown(h: Cursor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) return;
    const r = l + 1;
    const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
    if (!before(h[c]!, h[i]!)) return;
    [h[i], h[c]] = [h[c]!, h[i]!];
    i = c;
  }
}

/** Each record of a batched stream mapped (undefined: dropped), batch by batch; empty batches are left out. */
export async function* adjustedChunks(
  source: AsyncIterable<ReplayRecord[]>,
  map: (r: ReplayRecord) => ReplayRecord | undefined,
): AsyncGenerator<ReplayRecord[]> {
  for await (const chunk of source) {
    const out: ReplayRecord[] = [];
    for (const r of chunk) {
      const x = map(r);
      if (x) out.push(x);
    }
    if (out.length) yield out;
  }
}
