import { DeliverPolicy, type JetStreamClient, JetStreamApiError, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeBody, encodePayload, envelopeOf } from "./codec.ts";
import { readEvents } from "./event-reader.ts";

export interface JournalRecord {
  /** stream sequence */
  seq: number;
  subject: string;
  event: { type: string; [field: string]: unknown };
}

export class FencingError extends Error {
  override name = "FencingError";
}

/**
 * The event journal of one event-sourced actor: its events on am.evt.<kind>.<id>.<Event> in the AM_EVT stream.
 * Appends are fenced (expected last sequence over the actor's subjects, so a second writer fails) and carry a
 * deterministic Nats-Msg-Id (the actor's event number, so a retried append is deduplicated, never doubled).
 */
export class Journal {
  private readonly js: JetStreamClient;
  /** stream sequence of the actor's last event, the fence of the next append */
  lastSeq = 0;
  /** number of events the actor has, the next event's number - 1 */
  count = 0;

  constructor(
    nc: NatsConnection,
    readonly filter: string,
    private readonly subjectOf: (eventType: string) => string,
    private readonly idPrefix: string,
  ) {
    this.js = jetstream(nc);
  }

  /** Reads every event after `afterSeq` in order, and sets the fence to the last one. */
  async *read(afterSeq = 0, afterCount = 0): AsyncGenerator<JournalRecord> {
    this.lastSeq = afterSeq;
    this.count = afterCount;
    const selected = readEvents(this.js, {
      filter_subjects: [this.filter],
      deliver_policy: afterSeq > 0 ? DeliverPolicy.StartSequence : DeliverPolicy.All,
      ...(afterSeq > 0 ? { opt_start_seq: afterSeq + 1 } : {}),
    });
    for await (const m of selected) {
      const type = envelopeOf(m.headers)?.type ?? "";
      const body = decodeBody(type, m.data);
      this.lastSeq = m.seq;
      this.count++;
      yield { seq: m.seq, subject: m.subject, event: { ...body, type } };
    }
  }

  /** Appends events in order; resolves with the last stream sequence. A FencingError means another writer won. */
  async append(events: { type: string; [field: string]: unknown }[], headersOf: (e: { type: string }) => import("@nats-io/transport-node").MsgHdrs): Promise<number> {
    for (const e of events) {
      const { type: _t, ...body } = e;
      const number = this.count + 1;
      try {
        const ack = await this.js.publish(this.subjectOf(e.type), encodePayload(body), {
          headers: headersOf(e),
          msgID: `${this.idPrefix}/${number}`,
          expect: { lastSubjectSequence: this.lastSeq, lastSubjectSequenceSubject: this.filter },
        });
        this.lastSeq = ack.seq;
        this.count = number;
      } catch (err) {
        if (err instanceof JetStreamApiError && (err.code === 10071 || /wrong last sequence/i.test(err.message))) {
          throw new FencingError(`journal ${this.filter}: another writer appended after sequence ${this.lastSeq}`);
        }
        throw err;
      }
    }
    return this.lastSeq;
  }
}

export type { NatsConnection };
