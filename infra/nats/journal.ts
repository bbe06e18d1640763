import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { decodeBody, encodePayload, envelopeOf } from "./codec.ts";
import { ConnectionLost, NoResponders, sharedInbox } from "./reply-inbox.ts";
import { streams } from "./resources.ts";

export interface JournalRecord {
  /** stream sequence */
  seq: number;
  subject: string;
  event: { type: string; [field: string]: unknown };
}

/**
 * Event types renamed since they were first journaled, old → new. Journals written before the rename must still
 * replay, so the read path (and only it) upcasts them; live subjects and commands accept the new names alone.
 */
const legacyEventTypes: ReadonlyMap<string, string> = new Map([["OrderCancelled", "OrderCanceled"]]); // legacy spelling, before FIX's

export class FencingError extends Error {
  override name = "FencingError";
}

type Event = { type: string; [field: string]: unknown };

interface Queued {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
  /** the appends this event ends: resolved with the stream sequence once its group is stored */
  settle?: { resolve: (seq: number) => void; reject: (e: Error) => void };
}

/** the server's limit on one atomic batch (messages) */
const MAX_GROUP = 1_000;
/**
 * On a stream with one replica on disk, nats-server stages each atomic batch in a file store of its own, created,
 * synced and deleted per batch (server/jetstream_batching.go, newBatchStore): ~2.3 ms a batch on this machine,
 * against ~0.3 ms for one fenced publish (a replicated stream stages in memory). So there, up to this many pending
 * decisions go out one by one, each fenced on the sequence the one before was stored at, and only a longer queue
 * pays for a batch. A decision's own events still go out together, atomically.
 */
const ONE_BY_ONE_UP_TO = 6;
/**
 * How long an append waits for the event stream to have a leader again: nats-server's RAFT followers wait 4-9 s
 * without a heartbeat before they campaign (server/raft.go), and a split vote takes a second round.
 */
const LEADERLESS_WAIT_MS = 15_000;
const LEADERLESS_RETRY_MS = 100;
/** how many events one replay request reads at most */
const READ_BATCH = 1_000;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();
/** one manager per connection, made without the account-info round trip: an entity activates with one get */
const managers = new WeakMap<NatsConnection, JetStreamManager>();
/** per connection: whether the event stream stages atomic batches on disk (one replica, file storage) */
const diskStaged = new WeakMap<NatsConnection, Promise<boolean>>();

async function managerOf(nc: NatsConnection): Promise<JetStreamManager> {
  let jsm = managers.get(nc);
  if (!jsm) {
    jsm = await jetstreamManager(nc, { checkAPI: false });
    managers.set(nc, jsm);
  }
  return jsm;
}

/**
 * Where a journal may be purged up to (exclusive) so that `durable`, a consumer of the event stream (an archive's),
 * has acknowledged everything dropped: at most `seq`; 0, nothing, while that consumer is missing or unreadable.
 */
export async function archivedBefore(nc: NatsConnection, durable: string, seq: number): Promise<number> {
  const jsm = await managerOf(nc);
  const info = await jsm.consumers.info(streams.events, durable).catch(() => null);
  return info ? Math.min(seq, info.ack_floor.stream_seq + 1) : 0;
}

/**
 * The event journal of one event-sourced actor: its events on am.evt.<kind>.<id>.<Event> in the AM_EVT stream.
 * Appends are fenced (expected last sequence over the actor's subjects, so a second writer fails) and carry a
 * deterministic Nats-Msg-Id (the actor's event number, so a retried append is deduplicated, never doubled).
 *
 * Appends group-commit: while one group is in flight, later appends queue and go out together as the next group,
 * one JetStream atomic batch fenced on its first message by the sequence the previous group ended at (on a
 * single-replica stream, a few queued decisions go one by one instead: see ONE_BY_ONE_UP_TO). The fence
 * of a publish cannot be computed before the previous publish is stored (stream sequences are global), so a group
 * per round trip, not a publish per round trip, is what keeps fencing exact under load.
 * Reading never creates a consumer: one get of the last message, by the stream's leader, says whether there is
 * history and where it ends; replay reads up to there with direct batch gets, and fails rather than stop short.
 */
export class Journal {
  /** stream sequence of the actor's last stored event, the fence of the next group */
  lastSeq = 0;
  /** number of events the actor has stored */
  count = 0;
  /** events numbered but not yet stored */
  private numbered = 0;
  private queue: Queued[] = [];
  private inFlight = false;
  private failure: Error | undefined;
  private tail: Promise<number> = Promise.resolve(0);
  /** taken to be empty without a read (assumeEmpty), and not yet confirmed by an append or a get */
  private assumed = false;
  private confirming = false;

  constructor(
    private readonly nc: NatsConnection,
    readonly filter: string,
    private readonly subjectOf: (eventType: string) => string,
    private readonly idPrefix: string,
  ) {}

  private manager(): Promise<JetStreamManager> {
    return managerOf(this.nc);
  }

  /**
   * The stream sequence of the actor's last event, 0 when it has none: one get of the last message on the actor's
   * subjects, no consumer, answered by the stream's leader. Not a direct get: any replica answers those, and one
   * still catching up (restarted, or behind a new leader) would say "no history" of an actor that has some, which
   * then refuses what it owns (a fill for an order it does not know). Requested through the connection's shared
   * inbox, not jsm.streams.getMessage: nats.js builds Error objects, a promise-wrapped timer and a message wrapper
   * per call, and every activation of a sharded entity makes this call.
   */
  async lastSequence(): Promise<number> {
    const m = await sharedInbox(this.nc).request(
      `$JS.API.STREAM.MSG.GET.${streams.events}`,
      encoder.encode(JSON.stringify({ last_by_subj: this.filter })),
      undefined,
      5_000,
    );
    const answer = JSON.parse(utf8.decode(m.data)) as { message?: { seq?: unknown }; error?: { code?: number; description?: string } };
    if (answer.error?.code === 404) return 0; // no message on these subjects: no history
    if (answer.error)
      throw new Error(`journal ${this.filter}: get of the last event refused: ${answer.error.code} ${answer.error.description ?? ""}`);
    const seq = Number(answer.message?.seq);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`journal ${this.filter}: the last event's get answered without a sequence`);
    return seq;
  }

  /**
   * Takes the actor to have no history, without a read: for an entity whose first message usually creates it (a
   * new order), which saves the get of the last event. Nothing decided on the assumption commits unless it holds:
   * the first append is fenced on sequence 0, so it fails with a FencingError where there is history after all, and
   * an answer that appends nothing before the first append waits for one get (see `settled`).
   */
  assumeEmpty(): void {
    this.lastSeq = 0;
    this.count = 0;
    this.numbered = 0;
    this.assumed = true;
  }

  /** empty by assumption (assumeEmpty), not yet confirmed: what is decided now may have to be decided again */
  get assuming(): boolean {
    return this.assumed;
  }

  /** Reads every event after `afterSeq` in order, and sets the fence to the last one. */
  async *read(afterSeq = 0, afterCount = 0): AsyncGenerator<JournalRecord> {
    this.assumed = false;
    this.lastSeq = afterSeq;
    this.count = afterCount;
    this.numbered = afterCount;
    const end = await this.lastSequence();
    const jsm = await this.manager();
    let from = afterSeq + 1;
    while (end >= from) {
      const batch = await jsm.direct.getBatch(streams.events, { seq: from, next_by_subj: this.filter, batch: READ_BATCH });
      let got = 0;
      for await (const m of batch) {
        if (m.seq > end) break;
        got++;
        from = m.seq + 1;
        const stored = envelopeOf(m.header)?.type ?? "";
        const type = legacyEventTypes.get(stored) ?? stored;
        const body = decodeBody(type, m.data);
        this.lastSeq = m.seq;
        this.count++;
        this.numbered++;
        yield { seq: m.seq, subject: m.subject, event: { ...body, type } };
      }
      if (got === 0) break;
    }
    // the batches come from any replica: one behind the leader ends early, and a state built from it would miss events
    if (this.lastSeq < end)
      throw new Error(
        `journal ${this.filter}: replay ended at sequence ${this.lastSeq}, before the last event at ${end} (a replica behind the leader)`,
      );
  }

  /**
   * Appends one decision's events, in order; resolves with the last stream sequence once they are stored (with
   * the group they went out in). A FencingError means another writer won; after any failure every later append
   * fails too (it was decided on a state that is not stored), until the actor reads its journal again.
   */
  append(events: Event[], headersOf: (e: Event) => MsgHdrs): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (events.length === 0) return this.tail;
    const done = new Promise<number>((resolve, reject) => {
      events.forEach((e, i) => {
        const { type: _t, ...body } = e;
        const h = headersOf(e);
        h.set("Nats-Msg-Id", `${this.idPrefix}/${++this.numbered}`);
        this.queue.push({
          subject: this.subjectOf(e.type),
          data: encodePayload(body),
          headers: h,
          ...(i === events.length - 1 ? { settle: { resolve, reject } } : {}),
        });
      });
    });
    this.tail = done;
    if (!this.inFlight) void this.flush();
    return done;
  }

  /**
   * Drops the events before stream sequence `seq` (a snapshot holds them); the one at `seq` stays, so the last
   * sequence, the fence of the next append, is unchanged.
   */
  async purgeBefore(seq: number): Promise<void> {
    const jsm = await this.manager();
    await jsm.streams.purge(streams.events, { filter: this.filter, seq });
  }

  /** Every event appended so far is stored, and none failed: a state decided so far is all in the journal. */
  get idle(): boolean {
    return !this.failure && this.numbered === this.count;
  }

  /**
   * Resolves once every append made so far is stored (a reply that reads state waits for it). On a journal assumed
   * empty with nothing appended yet, once one get confirms that it is; a FencingError where it is not.
   */
  settled(): Promise<number> {
    if (this.assumed && this.numbered === 0 && !this.confirming) {
      this.confirming = true;
      this.tail = this.confirmEmpty();
    }
    return this.tail;
  }

  private async confirmEmpty(): Promise<number> {
    try {
      const last = await this.lastSequence();
      // An append made since the get went out may be what it saw: that append, fenced on 0, tells instead. The
      // tail is stored only once the first group is, so it resolves only where the journal was empty.
      if (last !== 0 && this.numbered > 0) return await this.tail.then(() => 0);
      if (last !== 0) throw new FencingError(`journal ${this.filter}: taken to be new, but it has events up to sequence ${last}`);
      this.assumed = false;
      return 0;
    } catch (e) {
      // decided on a state that is not the stored one: nothing more commits until the actor reads its journal
      this.failure ??= e as Error;
      throw e;
    }
  }

  /**
   * Whether an atomic batch costs a file store on the server (see ONE_BY_ONE_UP_TO): asked once per connection.
   * While the stream's info cannot be read, batches it is, which are right on any stream.
   */
  private batchesStagedOnDisk(): Promise<boolean> {
    let staged = diskStaged.get(this.nc);
    if (!staged) {
      staged = this.manager()
        .then((jsm) => jsm.streams.info(streams.events))
        .then(
          (info) => info.config.num_replicas <= 1 && info.config.storage === "file",
          () => {
            diskStaged.delete(this.nc); // asked again by the next group: no stream now (an election) is not no stream ever
            return false;
          },
        );
      diskStaged.set(this.nc, staged);
    }
    return staged;
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    const oneByOne = await this.batchesStagedOnDisk();
    while (this.queue.length && !this.failure) {
      // a decision's events never split across groups: a group ends after an event that settles an append
      let n = Math.min(this.queue.length, MAX_GROUP);
      while (n > 1 && !this.queue[n - 1]!.settle) n--;
      if (oneByOne) n = this.firstDecisionUnlessMany(n);
      const group = this.queue.splice(0, n);
      try {
        const seq = await this.store(group);
        // a group fenced on sequence 0 was stored: a journal taken to be empty was
        this.assumed = false;
        this.lastSeq = seq;
        this.count += group.length;
        for (const q of group) q.settle?.resolve(seq);
      } catch (e) {
        const err = e as Error;
        this.failure = err;
        for (const q of [...group, ...this.queue]) q.settle?.reject(err);
        this.queue = [];
      }
    }
    this.inFlight = false;
  }

  /** The first queued decision's events, where the first `n` queued events hold few decisions; else `n`. */
  private firstDecisionUnlessMany(n: number): number {
    let decisions = 0;
    let first = 0;
    for (let i = 0; i < n; i++) {
      if (!this.queue[i]!.settle) continue;
      if (decisions++ === 0) first = i + 1;
      if (decisions > ONE_BY_ONE_UP_TO) return n;
    }
    return first;
  }

  /**
   * Stores a group, resending it while no server leads the event stream. A stream subscribes to its subjects on its
   * leader only, so "no responders" means no server took the group (the leader died, an election is on): nothing of
   * it was stored, and resending it to the next leader keeps fencing exact. A timeout stays a failure (the group
   * may have been stored), and the actor reads its journal again.
   */
  private async store(group: Queued[]): Promise<number> {
    const deadline = Date.now() + LEADERLESS_WAIT_MS;
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send(group, attempt, resent);
      } catch (e) {
        // Written to a connection that dropped since: sent again at once on the one that is back. If the first copy
        // was stored after all, the fence or the message id refuses the second, and the actor reads its journal
        // again, as it would after the timeout, only sooner.
        if (e instanceof ConnectionLost && Date.now() < deadline) {
          resent = true;
          continue;
        }
        if (!(e instanceof NoResponders)) throw e;
        if (Date.now() + LEADERLESS_RETRY_MS > deadline)
          throw new Error(`journal ${this.filter}: no server led the event stream ${streams.events} for ${LEADERLESS_WAIT_MS} ms`);
        await new Promise((r) => setTimeout(r, LEADERLESS_RETRY_MS));
      }
    }
  }

  /** One fenced publish, or one atomic batch fenced on its first message; resolves with the last sequence. */
  private async send(group: Queued[], attempt: number, resent: boolean): Promise<number> {
    const batchId =
      group.length > 1
        ? `${this.idPrefix.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40)}-${this.count}-${attempt}-${Date.now().toString(36)}`
        : "";
    for (let i = 0; i < group.length; i++) {
      const q = group[i]!;
      const h = q.headers ?? natsHeaders();
      if (i === 0) {
        h.set("Nats-Expected-Last-Subject-Sequence", String(this.lastSeq));
        h.set("Nats-Expected-Last-Subject-Sequence-Subject", this.filter);
      }
      if (batchId) {
        h.set("Nats-Batch-Id", batchId);
        h.set("Nats-Batch-Sequence", String(i + 1));
      }
      if (i < group.length - 1) {
        this.nc.publish(q.subject, q.data, { headers: h });
        continue;
      }
      if (batchId) h.set("Nats-Batch-Commit", "1");
      const reply = await sharedInbox(this.nc).request(q.subject, q.data, h, 5_000);
      const ack = JSON.parse(utf8.decode(reply.data)) as {
        seq?: number;
        duplicate?: boolean;
        error?: { err_code?: number; description?: string };
      };
      if (ack.error) {
        if (ack.error.err_code === 10071 || /wrong last sequence/i.test(ack.error.description ?? "")) {
          throw new FencingError(`journal ${this.filter}: another writer appended after sequence ${this.lastSeq}`);
        }
        throw new Error(`journal ${this.filter}: append refused: ${ack.error.description ?? "unknown error"}`);
      }
      // An event is sent again only after its connection dropped: otherwise a duplicate means another writer stored
      // this event number first. Either way the journal holds what this actor did not see stored: read it again.
      if (ack.duplicate)
        throw new FencingError(
          resent
            ? `journal ${this.filter}: event ${this.count + group.length} is stored already (sent again after a lost connection)`
            : `journal ${this.filter}: another writer stored event ${this.count + group.length} first`,
        );
      if (typeof ack.seq !== "number") throw new Error(`journal ${this.filter}: no sequence in the acknowledgement`);
      return ack.seq;
    }
    return this.lastSeq;
  }
}

export type { NatsConnection };
