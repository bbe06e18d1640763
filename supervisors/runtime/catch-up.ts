import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeMessage, type Message } from "../../infra/nats/codec.ts";
import { readEvents } from "../../infra/nats/event-reader.ts";
import { streams } from "../../infra/nats/resources.ts";

/**
 * Events an actor may have missed while it was down: the domain events on `subjects` (core subscriptions
 * deliver only while subscribed) published since its own last journal append, less `overlapMs` for clock skew,
 * read back from the event stream in order. The actor must treat them idempotently (a risk book de-duplicates
 * fills by execId and ignores closes of orders it no longer holds).
 */
export async function* missedEvents(
  nc: NatsConnection,
  subjects: string[],
  lastJournalSeq: number,
  overlapMs: number,
): AsyncGenerator<{ subject: string; message: Message }> {
  if (lastJournalSeq <= 0 || subjects.length === 0) return;
  const jsm = await jetstreamManager(nc);
  const last = await jsm.streams.getMessage(streams.events, { seq: lastJournalSeq }).catch(() => null);
  if (!last) return;
  const from = last.time.getTime() - overlapMs;
  const selected = readEvents(jetstream(nc), {
    filter_subjects: subjects,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(from).toISOString(),
  });
  for await (const m of selected) {
    try {
      yield { subject: m.subject, message: decodeMessage(m.data, m.headers, false).message };
    } catch {
      // not a platform message: nothing to catch up on
    }
  }
}
