import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  barRecord,
  mergeByTime,
  quoteRecord,
  type ReplayClock,
  type ReplayRecord,
  type ReplaySpeed,
  type ReplaySummary,
  replay,
  tradeRecord,
} from "../../actors/feed/replay/index.ts";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { encodeMessage } from "../nats/index.ts";
import { barsOf, HistoryQueryError, ticksOf } from "./history.ts";

export interface QuestdbReplayQuery {
  /** `SYMBOL.VENUE` ids */
  instruments: string[];
  /** which recorded series to replay */
  quotes?: boolean;
  trades?: boolean;
  /** bars of this bar type, e.g. "1m" */
  barType?: string;
  /** event times (bars: open times) in [fromUs, toUs) */
  fromUs: number;
  toUs: number;
  /** rows per query (default 5 000): memory is one page per series */
  pageSize?: number;
}

async function* quotePages(url: string, instrument: string, q: QuestdbReplayQuery, pageSize: number): AsyncGenerator<ReplayRecord> {
  let after: { tsUs: number; seq: number } | undefined;
  for (;;) {
    const page = await ticksOf(url, {
      kind: "quote",
      instrument,
      fromUs: q.fromUs,
      toUs: q.toUs,
      limit: pageSize,
      ...(after ? { after } : {}),
    });
    for (const x of page) yield quoteRecord(x);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return;
    after = { tsUs: last.tsEvent, seq: last.seq };
  }
}

async function* tradePages(url: string, instrument: string, q: QuestdbReplayQuery, pageSize: number): AsyncGenerator<ReplayRecord> {
  let after: { tsUs: number; seq: number } | undefined;
  for (;;) {
    const page = await ticksOf(url, {
      kind: "trade",
      instrument,
      fromUs: q.fromUs,
      toUs: q.toUs,
      limit: pageSize,
      ...(after ? { after } : {}),
    });
    for (const x of page) yield tradeRecord(x);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return;
    after = { tsUs: last.tsEvent, seq: last.seq };
  }
}

async function* barPages(
  url: string,
  instrument: string,
  barType: string,
  q: QuestdbReplayQuery,
  pageSize: number,
): AsyncGenerator<ReplayRecord> {
  let from = q.fromUs;
  for (;;) {
    const page = await barsOf(url, { instrument, barType, fromUs: from, toUs: q.toUs, limit: pageSize });
    for (const b of page) yield barRecord(b);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return;
    // bars of one instrument and type have distinct open times: the next page starts just after the last one
    from = last.tsOpen + 1;
  }
}

/**
 * Recorded quotes, trades and bars from QuestDB in time order: one paged query stream per instrument and series,
 * merged by event time (a bar by its close time).
 */
export function questdbReplaySource(url: string, q: QuestdbReplayQuery): AsyncGenerator<ReplayRecord> {
  const pageSize = q.pageSize ?? 5_000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new HistoryQueryError(`pageSize must be a positive integer, got ${pageSize}`);
  if (!q.quotes && !q.trades && !q.barType) throw new HistoryQueryError("a replay needs quotes, trades or a barType");
  const sources: AsyncGenerator<ReplayRecord>[] = [];
  for (const instrument of q.instruments) {
    if (q.quotes) sources.push(quotePages(url, instrument, q, pageSize));
    if (q.trades) sources.push(tradePages(url, instrument, q, pageSize));
    if (q.barType) sources.push(barPages(url, instrument, q.barType, q, pageSize));
  }
  return mergeByTime(sources);
}

/** The wall clock of a live replay. */
export const systemReplayClock: ReplayClock = {
  nowMs: () => performance.now(),
  sleep: (ms) => sleep(ms),
};

export interface ReplayFeedOptions {
  speed: ReplaySpeed;
  /** the feed source token of the subjects (default "replay": am.feed.replay.<venue>.<symbol>) */
  source?: string;
  clock?: ReplayClock;
  signal?: AbortSignal;
}

/**
 * Publishes records on am.feed.<source>.<venue>.<symbol> as the codec's standard msgpack, paced by `speed`. Feed
 * input is core NATS (raw, untrusted, not journaled), as with the live feeds.
 */
export async function publishReplayFeed(
  nc: NatsConnection,
  records: AsyncIterable<ReplayRecord> | Iterable<ReplayRecord>,
  opts: ReplayFeedOptions,
): Promise<ReplaySummary> {
  const source = opts.source ?? "replay";
  const subjectOf = new Map<string, string>();
  const summary = await replay(records, {
    speed: opts.speed,
    clock: opts.clock ?? systemReplayClock,
    ...(opts.signal ? { signal: opts.signal } : {}),
    publish: (r) => {
      let subject = subjectOf.get(r.instrument);
      if (!subject) {
        subject = subjects.feed(source, parseInstrumentId(r.instrument));
        subjectOf.set(r.instrument, subject);
      }
      const { data, headers } = encodeMessage(r);
      nc.publish(subject, data, { headers });
    },
  });
  await nc.flush();
  return summary;
}
