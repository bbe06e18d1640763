// Over 400 lines on purpose: one message's path (receive, decide, journal, commit, forward) shares per-actor state.
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Span } from "@opentelemetry/api";
import type { AnyMachineSnapshot } from "xstate";
import { stepperFor } from "./machine-stepper.ts";
import {
  type ActorKind,
  appendedSubject,
  type Clock,
  deliverTrace,
  type DomainEvent,
  type Emitted,
  type Forward,
  errorMessage,
  RuntimeError,
  storedSubject,
  subjects,
} from "../../actors/contract/index.ts";
import { DecodeError, decodeMessage, encodeForPublish, encodeMessage, encodePayload, type Message } from "../../infra/nats/codec.ts";
import { FencingError, Journal } from "../../infra/nats/journal.ts";
import { headersOf } from "../../infra/nats/received-headers.ts";
import { SnapshotFencedError, type SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { actorMetrics } from "../../infra/telemetry/metrics.ts";
import { endSpan, startHandlingSpan, traceparentOf } from "../../infra/telemetry/trace.ts";
import { runMachineActions } from "./machine-actions.ts";
import { foldingOf, Mailbox, type OverflowPolicy } from "./mailbox.ts";
import { overflowOf, type Plane, planeOf } from "./planes.ts";
import { serveCommands } from "./local-commands.ts";
import { JournalCompaction } from "./journal-compaction.ts";
import { Outbox } from "./outbox.ts";
import { type MachineAction, restore } from "./restore.ts";
import { type PendingTimer, SnapshotWriter, toStored } from "./snapshots.ts";

export interface HostEnv {
  nc: NatsConnection;
  store: SnapshotStore;
  clock: Clock;
  log: Logger;
  /** the incarnation ended by itself: a thrown error, a failed append, a lost fence (also see onExitOnce) */
  onExit?: (host: ActorHost, reason: { error: Error }) => void;
  /** the actor is processing (start) or done (end); lets a watchdog name the culprit of a hang */
  onProcessing?: (host: ActorHost, busy: boolean) => void;
  /** a message arrived: the thread is making progress even while no handler runs (a watchdog's heartbeat) */
  onReceive?: () => void;
  /** messages arrive through `receive` from a shard region: the host subscribes to nothing itself */
  routed?: boolean;
}

interface MailItem {
  subject: string;
  /** market data (may be batched) rather than a command or event */
  md?: boolean;
  event: Message & { nowUs?: number };
  msg?: Msg;
  /** a command (am.cmd): its requester gets a Reply. Events and market data are never answered: a JetStream
   * publish of an event is a request too, and an answer from a subscriber would race the stream's PubAck. */
  cmd?: boolean;
  correlationId?: string;
  /** W3C trace context: the sender's, then (once a span handles the item) the span's, which emissions carry */
  traceparent?: string;
  span?: Span;
}

type ReplyBody = { ok: boolean; result?: unknown; error?: { code: string; message: string } };

/** The requester a command waits to answer; none for events, market data, and commands sent without a reply subject. */
const requesterOf = (item: MailItem): Msg | undefined => (item.cmd && item.msg?.reply ? item.msg : undefined);

export type HostStatus = "idle" | "running" | "failed" | "stopped";

const BATCH = 256;

/**
 * Actors with mail, drained together in one macrotask: what they publish leaves in one socket write per round
 * (nats.js flushes once per microtask checkpoint, and Node runs one between any two setImmediate callbacks), not
 * one write per actor, which cost a syscall per tick when a burst of feed messages reached many instruments.
 */
const due: (() => void)[] = [];
let roundScheduled = false;
/** how often held actors look again whether they may act */
const HELD_POLL_MS = 5;
let mayAct: () => boolean = () => true;

/**
 * Holds every actor of this thread while `gate` says no: their mail waits (commands past a full mailbox are refused
 * as busy), nothing is decided, and the round runs once it says yes. A cell gates on its node's leases (see
 * Placement's fence); a thread with no gate acts always.
 */
export function gateActing(gate: () => boolean): void {
  mayAct = gate;
}

function runRound(): void {
  if (!mayAct()) {
    setTimeout(runRound, HELD_POLL_MS);
    return;
  }
  roundScheduled = false;
  const hosts = due.splice(0);
  for (const drain of hosts) {
    try {
      drain();
    } catch (e) {
      // as uncaught as it was in its own setImmediate, without stranding the actors after it in this round
      setImmediate(() => {
        throw e;
      });
    }
  }
}
function scheduleDrain(drain: () => void): void {
  due.push(drain);
  if (!roundScheduled) {
    roundScheduled = true;
    setImmediate(runRound);
  }
}

/**
 * Hosts one actor (a kind and an id) on NATS: subscribes to its subjects, turns messages into XState events,
 * decides with the pure `transition()`, journals domain events (event-sourced kinds) before committing the new
 * state, then publishes and replies. A decode failure dead-letters the message; a throw ends the incarnation
 * (the supervisor restarts it from its last committed state) and dead-letters the message that caused it, so a
 * poison message cannot loop. The subscription and mailbox outlive incarnations: nothing queued is lost.
 */
export class ActorHost {
  status: HostStatus = "idle";
  snapshot: AnyMachineSnapshot | undefined;
  readonly mailbox: Mailbox<MailItem>;
  private readonly folding: ((item: MailItem) => string | undefined) | undefined;
  readonly stats = {
    processed: 0,
    deadLettered: 0,
    busyRefusals: 0,
    restarts: 0,
    /** journal events the last restore replayed after its snapshot (what a restart costs: the journal since then) */
    replayed: 0,
    lastError: undefined as string | undefined,
    startedAt: 0,
  };
  private subs: Subscription[] = [];
  /** stops handing this actor commands in memory (local-commands.ts) */
  private unserve: (() => void) | undefined;
  /** the kind's `interest` now: subject → subscription, followed after each drain */
  private readonly interestSubs = new Map<string, Subscription>();
  private timers = new Map<string, PendingTimer>();
  /** the trace of the step now deciding: timers it arms carry it */
  private armingTrace: string | undefined;
  private journal: Journal | undefined;
  private seq = 0;
  private scheduled = false;
  private draining = false;
  /** pipelined kinds: drained batches whose appends and effects are not all done yet */
  private storing = 0;
  /**
   * The items decided, in order, since this incarnation took its journal to be empty (kind.sharding.createdBy):
   * decided again if it was not. Undefined for an incarnation that read its journal.
   */
  private assumedItems: MailItem[] | undefined;
  /** cleared once an entity taken to be new had history: this host reads its journal from then on */
  private mayAssumeNew = true;
  private readonly snapshots: SnapshotWriter;
  /** purges the journal behind saved snapshots (kind.compactJournal), made at the first save */
  private compaction: JournalCompaction | undefined;
  private exitListener: ((reason: { error: Error }) => void) | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** forwards whose target has not answered yet */
  private outbox: Outbox | undefined;
  /** what the outbox still held when the actor stopped: its stop's save lists them for the next owner */
  private owedAtStop: Forward[] = [];

  constructor(
    readonly kind: ActorKind,
    readonly id: string,
    private readonly env: HostEnv,
  ) {
    this.mailbox = new Mailbox(kind.mailboxCapacity ?? 10_000);
    this.folding = foldingOf<MailItem>(kind, (item) => requesterOf(item) !== undefined);
    this.snapshots = new SnapshotWriter(
      kind,
      id,
      env.store,
      env.log,
      () => {
        const journal = this.journal;
        // an event-sourced state is saved only once all of it is journaled: its seq then says what it includes
        if (!this.snapshot || (journal && !journal.idle)) return undefined;
        // The forwards still unanswered are saved with the state, for the next owner to send: a move must not drop
        // them, nor may a crash or a lost lease after a save. A snapshot kind's state may count what it forwarded (a
        // venue connection's last report), and its restore then owes nothing else. An event-sourced kind's state
        // says what it owes (kind.outbox), so only its stop lists them.
        const owed = this.status === "stopped" ? this.owedAtStop : kind.persistence === "snapshot" ? (this.outbox?.pending() ?? []) : [];
        return toStored(kind, this.snapshot, journal ? journal.lastSeq : this.seq, journal?.count ?? 0, this.timers.values(), owed);
      },
      (fenced) => {
        // another owner saved a newer snapshot: this incarnation's state is stale, reload it
        if (this.status !== "running") return;
        this.snapshot = undefined;
        this.end(fenced);
      },
      (saved) => {
        const rule = kind.compactJournal;
        // a stopped host's last save is compacted by the next owner, not by a timer left behind here
        if (!rule || !this.journal || saved.seq === 0 || this.status === "stopped") return;
        this.compaction ??= new JournalCompaction(rule, this.journal, env.nc, kind.snapshotEveryMs ?? 1_000, env.log, this.key);
        this.compaction.saved(saved.seq);
      },
    );
  }

  get key(): string {
    return `${this.kind.name}/${this.id}`;
  }

  /** Subscribes once for the life of the actor on this node; messages queue until an incarnation runs. */
  open(): void {
    if (this.subs.length || this.env.routed) return;
    const command = subjects.cmd(this.kind.name, this.id);
    this.unserve = serveCommands(this.env.nc, command, (msg) => {
      if (this.status !== "running") return false;
      this.receive(msg, command, "cmd");
      return true;
    });
    const list = [command, ...(this.kind.consumes?.(this.id) ?? [])];
    for (const s of list) {
      // A subject without wildcards is known here once: no per-message subject decode or plane lookup.
      const fixed = /[*>]/.test(s) ? undefined : s;
      const plane = fixed ? planeOf(fixed) : undefined;
      this.subs.push(
        this.env.nc.subscribe(storedSubject(s), { callback: (err, msg) => (err ? undefined : this.receive(msg, fixed, plane)) }),
      );
    }
  }

  /** Starts an incarnation: restores the last committed state (memory, KV snapshot, journal) and drains. */
  async incarnate(): Promise<void> {
    this.open();
    this.stats.startedAt = Date.now();
    if (this.kind.persistence === "event-sourced" && !this.journal) {
      const filter = subjects.evtOf(this.kind.name, this.id);
      this.journal = new Journal(this.env.nc, filter, (t) => subjects.evt(this.kind.name, this.id, t), `${this.kind.name}/${this.id}`);
    }
    this.outbox ??= new Outbox(
      this.env.nc,
      (f, error) => {
        // the target's final word, which the machine may or may not act on: in the log when tracing a lost message
        this.env.log.debug("forward refused", {
          actor: this.key,
          subject: f.subject,
          message: f.message.type,
          code: error.code,
          error: error.message,
        });
        this.mailbox.offer(
          { subject: "forward", event: { type: "ForwardRefused", key: f.key, subject: f.subject, messageType: f.message.type, error } },
          "accept",
        );
        this.schedule();
      },
      // a snapshot kind's saves list what it owes: one taken after this answer no longer does
      () => {
        if (this.kind.persistence === "snapshot" && this.status === "running") this.snapshots.markDirty();
      },
    );
    if (!this.snapshot) {
      const owed: Forward[] = [];
      const missed: MailItem[] = [];
      this.assumedItems = this.assumesNew() ? [] : undefined;
      const { revision, replayed } = await restore({
        kind: this.kind,
        id: this.id,
        env: this.env,
        journal: this.journal,
        assumeNew: this.assumedItems !== undefined,
        settle: (snapshot, seq) => {
          this.snapshot = snapshot;
          if (seq !== undefined) this.seq = seq;
        },
        act: (actions, nowUs, replay) => void this.afterTransition(actions, nowUs, replay),
        arm: (timer) => this.arm(timer),
        enqueue: (subject, event) => void missed.push({ subject, event }),
        owe: (f) => owed.push(f),
      }).catch((e: unknown) => {
        // Read part way (a journal get that timed out in an election): the state so far is not the actor's. Kept, it
        // would let the next incarnation skip the restore and run on it (an order with no order, refusing its fill).
        this.snapshot = undefined;
        for (const id of [...this.timers.keys()]) this.disarm(id);
        // the supervisor restarts it; an append's failure says so in end(), a restore's here
        this.env.log.warn("actor restore failed", { actor: this.key, error: errorMessage(e) });
        throw e;
      });
      // stopped while it restored (a shard moved, an idle entity passivated): it must not run, listen or send
      if (this.status === "stopped") {
        for (const id of [...this.timers.keys()]) this.disarm(id);
        return;
      }
      this.snapshots.revision = revision;
      this.stats.replayed = replayed;
      // what the restore queued (events missed while down, the kind's start or resume), once it is whole
      for (const item of missed) this.mailbox.offer(item, "accept");
      // forwards the restored state still owes (an approval whose order was never confirmed), and those the previous
      // owner stopped before it saw answered (a venue connection's report to an order in transit between owners)
      const context = (this.snapshot as { context?: unknown } | undefined)?.context;
      for (const f of [...(this.kind.outbox?.(context) ?? []), ...owed]) this.outbox.send(f);
      // the next save lists them only while they are unanswered: a later restore must not send them again
      if (owed.length && this.kind.persistence !== "none") this.snapshots.markDirty();
    }
    this.status = "running";
    this.followInterest();
    if (this.kind.tickEveryMs && !this.ticker) {
      this.ticker = setInterval(() => {
        if (this.status !== "running") return;
        this.mailbox.offer({ subject: "tick", event: { type: "Tick" } }, "accept");
        this.schedule();
      }, this.kind.tickEveryMs);
      this.ticker.unref?.();
    }
    this.schedule();
  }

  /** A sharded entity whose first message creates it (kind.sharding.createdBy) takes its journal to be empty. */
  private assumesNew(): boolean {
    const createdBy = this.kind.sharding?.createdBy;
    const first = this.mailbox.peek();
    return this.mayAssumeNew && !this.kind.catchUp && first !== undefined && createdBy?.includes(first.event.type) === true;
  }

  /** Takes a message from the actor's subscriptions, or from the shard region that routes to it. */
  receive(msg: Msg, fixedSubject?: string, fixedPlane?: Plane): void {
    this.env.onReceive?.();
    // events come from the stream's republish (am.stored.…), named here as they were appended
    const subject = fixedSubject ?? appendedSubject(msg.subject);
    const plane = fixedPlane ?? planeOf(subject);
    let decoded: ReturnType<typeof decodeMessage>;
    const headers = headersOf(msg);
    try {
      decoded = decodeMessage(msg.data, headers, this.validates(plane));
    } catch (e) {
      const err = e instanceof DecodeError ? e : new DecodeError("invalid", errorMessage(e));
      this.deadLetter(subject, msg.data, headers, `decode: ${err.message}`, err.reason);
      if (msg.reply && msg.subject.startsWith("am.cmd."))
        this.respond(msg, { ok: false, error: { code: RuntimeError.Invalid, message: err.message } });
      return;
    }
    const policy: OverflowPolicy = overflowOf(plane);
    // Market data without a reply subject does not keep its Msg: it would pin the connection's read buffer.
    const item: MailItem =
      plane === "md" && !msg.reply
        ? { subject, event: decoded.message, md: true }
        : { subject, event: decoded.message, msg, md: plane === "md", cmd: plane === "cmd" };
    if (decoded.envelope.correlationId) item.correlationId = decoded.envelope.correlationId;
    if (decoded.envelope.traceparent) item.traceparent = decoded.envelope.traceparent;
    if (this.status === "stopped") {
      this.refuse(item, RuntimeError.Stopped, `${this.key} is stopped`);
      return;
    }
    if (!this.mailbox.offer(item, policy)) {
      this.stats.busyRefusals++;
      if (actorMetrics) actorMetrics.of(this.kind.name).refusedBusy++;
      this.refuse(item, RuntimeError.Busy, `${this.key} mailbox is full (${this.mailbox.capacity})`);
      return;
    }
    if (actorMetrics) actorMetrics.of(this.kind.name).received++;
    this.schedule();
  }

  private validates(plane: Plane): boolean {
    const v = this.kind.validate;
    return v === "commands" ? plane === "cmd" : v !== false;
  }

  /** Delivers an event directly (local fast path and tests); it still passes the codec. */
  deliver(message: Message, subject = subjects.cmd(this.kind.name, this.id)): void {
    const { data, headers } = encodeMessage(message);
    const decoded = decodeMessage(data, headers, this.validates(planeOf(subject)));
    this.mailbox.offer({ subject, event: decoded.message }, "accept");
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.draining || this.status !== "running") return;
    this.scheduled = true;
    scheduleDrain(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.status !== "running") return;
    if (this.kind.persistence === "event-sourced") {
      const drained = () => {
        // Stopped (or failed) while its appends were in flight: its stop saved what it could, a restart reloads. A
        // save scheduled now would land after the next owner restored, and fence that owner's own first save.
        if (this.status !== "running") return;
        // a compaction snapshot (sharded entities keep none)
        if (this.kind.snapshotEveryMs !== undefined && !this.kind.sharding) this.snapshots.markDirty();
        this.followInterest();
        if (this.mailbox.depth) this.schedule();
      };
      this.draining = true;
      const stored = this.drainJournaled();
      if (!this.kind.pipelined) {
        void stored.finally(() => {
          this.draining = false;
          drained();
        });
        return;
      }
      // the next batch is decided while this one's appends are in flight: they join the journal's next group
      this.draining = false;
      this.storing++;
      void stored.finally(() => this.storing--);
      drained();
      return;
    }
    for (let i = 0; i < BATCH && this.status === "running"; i++) {
      const item = this.next();
      if (!item) break;
      const out = this.decide(item);
      if (!out) continue;
      this.snapshot = out.next;
      this.commit(item, out.emitted);
    }
    if (this.kind.persistence === "snapshot") {
      this.snapshots.flushReplies();
      this.snapshots.markDirty();
    }
    this.followInterest();
    if (this.mailbox.depth) this.schedule();
  };

  /**
   * Subscribes to what the committed state is interested in and drops what it no longer is. Once per drain, not
   * per message: a kind without `interest` pays one property read.
   */
  private followInterest(): void {
    const interest = this.kind.interest;
    if (!interest) return;
    const context = this.status === "running" ? (this.snapshot as { context?: unknown } | undefined)?.context : undefined;
    const wanted = context === undefined ? [] : interest(context);
    if (wanted.length === 0 && this.interestSubs.size === 0) return;
    for (const [subject, sub] of this.interestSubs) {
      if (wanted.includes(subject)) continue;
      sub.unsubscribe();
      this.interestSubs.delete(subject);
    }
    for (const subject of wanted) {
      if (this.interestSubs.has(subject)) continue;
      const fixed = /[*>]/.test(subject) ? undefined : subject;
      const plane = fixed ? planeOf(fixed) : undefined;
      this.interestSubs.set(
        subject,
        this.env.nc.subscribe(storedSubject(subject), { callback: (err, msg) => (err ? undefined : this.receive(msg, fixed, plane)) }),
      );
    }
  }

  /** subscriptions held for the kind's `interest`: a sharded entity with any is not passivated when idle */
  get listening(): number {
    return this.interestSubs.size;
  }

  /** The next item, or it and the consecutive items that fold with it as one batch event (kind.batchAs, foldCommands). */
  private next(): MailItem | undefined {
    return this.folding ? (this.mailbox.takeFolded(this.folding, BATCH) as MailItem | undefined) : this.mailbox.take();
  }

  /**
   * Decides up to a batch of items without waiting for the journal: each decision builds on the one before, its
   * events join the journal's next group commit, and its effects (publishes, the reply) follow once they are
   * stored, in order. A failed append commits nothing from there on: the incarnation ends and reloads.
   */
  private async drainJournaled(): Promise<void> {
    // none between a failed append (which drops it) and the restart that reads the journal again
    const journal = this.journal;
    if (!journal) return;
    const effects: Promise<void>[] = [];
    for (let i = 0; i < BATCH && this.status === "running"; i++) {
      const item = this.next();
      if (!item) break;
      const out = this.decide(item);
      if (!out) break;
      const assumed = journal.assuming ? this.assumedItems : undefined;
      assumed?.push(item);
      const domain = out.emitted.filter((e): e is Extract<Emitted, { type: "domain" }> => e.type === "domain").map((e) => e.event);
      const stored = domain.length
        ? journal.append(
            domain,
            (e) => encodeMessage(e as Message, { correlationId: item.correlationId, traceparent: item.traceparent }).headers,
          )
        : journal.settled();
      this.snapshot = out.next;
      effects.push(
        stored.then(
          (seq) => {
            if (domain.length) this.seq = seq;
            this.commit(item, out.emitted, true);
          },
          (e) => {
            // still assuming: the first append (or the get) found history, not a second writer after it
            if (assumed && journal.assuming && e instanceof FencingError) this.assumedWrong(assumed, e);
            else this.appendFailed(item, e as Error, journal);
          },
        ),
      );
    }
    await Promise.all(effects);
  }

  /**
   * An entity taken to be new had history (its first append, fenced on sequence 0, failed): nothing decided since
   * is committed, so those items go back to the head of the mailbox, in order, and are decided again on the state
   * its journal holds. Called once per item decided on the assumption; the first call does it.
   */
  private assumedWrong(items: MailItem[], err: FencingError): void {
    if (this.assumedItems !== items) return;
    this.assumedItems = undefined;
    if (this.status !== "running") {
      for (const item of items) this.appendFailed(item, err, this.journal);
      return;
    }
    this.env.log.info("entity taken to be new has history: reading its journal", { actor: this.key, error: err.message });
    for (const item of items) {
      endSpan(item.span);
      item.span = undefined;
    }
    this.mailbox.putBack(items);
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    this.timers.clear();
    this.snapshot = undefined;
    this.journal = undefined;
    this.mayAssumeNew = false;
    this.status = "idle";
    this.incarnate().catch((e) => this.end(e instanceof Error ? e : new Error(String(e))));
  }

  private appendFailed(item: MailItem, err: Error, journal: Journal | undefined): void {
    // Not appended (or a second writer fenced us out): nothing from here on is committed; the incarnation ends.
    this.refuse(item, RuntimeError.ActorFailed, `journal append failed: ${err.message}`);
    endSpan(item.span, err);
    // The appends of one group fail together, each calling here: the first ends the incarnation and its restart
    // reads the journal again. The later ones belong to that ended incarnation and must not touch the next one
    // (dropping the journal the restart is reading left it running with none, deciding nothing, for good).
    if (journal !== this.journal) return;
    this.snapshot = undefined; // reload from the journal on restart
    this.journal = undefined;
    if (this.status === "running") this.end(err instanceof FencingError ? err : new Error(`journal append failed: ${err.message}`));
  }

  /** The pure decision plus the machine's own actions; a throw anywhere ends the incarnation, nothing committed. */
  private decide(item: MailItem): { next: AnyMachineSnapshot; emitted: Emitted[] } | undefined {
    const nowUs = this.env.clock.nowUs();
    item.event.nowUs = nowUs;
    // only a message that is part of a trace gets a span: feed ticks and timers start none
    if (item.traceparent) {
      item.span = startHandlingSpan(this.kind.name, this.id, item.event.type, item.traceparent);
      if (item.span) item.traceparent = traceparentOf(item.span);
      deliverTrace(item.event, item.traceparent);
    }
    this.env.onProcessing?.(this, true);
    const started = actorMetrics ? performance.now() : 0;
    this.armingTrace = item.traceparent;
    try {
      const [next, actions] = stepperFor(this.kind.machine).step(this.snapshot!, item.event);
      if (next.status === "error") throw (next as { error?: unknown }).error ?? new Error("machine entered its error state");
      const emitted = this.afterTransition(actions, nowUs);
      if (actorMetrics) {
        actorMetrics.of(this.kind.name).handled++;
        actorMetrics.handlingUs.record((performance.now() - started) * 1000, actorMetrics.kindOnly(this.kind.name));
      }
      return { next, emitted };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      endSpan(item.span, err);
      this.deadLetter(
        item.subject,
        encodePayload(item.event),
        item.msg?.headers,
        `handler threw: ${err.message}`,
        "handler-threw",
        item.event.type,
      );
      this.refuse(item, RuntimeError.ActorFailed, `${this.key} failed on ${item.event.type}: ${err.message}`);
      this.end(err);
      return undefined;
    } finally {
      this.armingTrace = undefined;
      this.env.onProcessing?.(this, false);
    }
  }

  /** Runs custom actions, arms and cancels delayed events; returns what the machine emitted. */
  private afterTransition(actions: MachineAction[], nowUs: number, replay = false): Emitted[] {
    return runMachineActions(actions, nowUs, this.delayed, replay);
  }

  private readonly delayed = { arm: (t: PendingTimer) => this.arm(t), disarm: (id: string) => this.disarm(id) };

  private commit(item: MailItem, emitted: Emitted[], journaled = false): void {
    this.stats.processed++;
    let reply: ReplyBody | undefined;
    const forwards: Extract<Emitted, { type: "forward" }>[] = [];
    for (const e of emitted) {
      if (e.type === "publish") this.publish(e.subject, e.message as Message, item, e.traceparent);
      else if (e.type === "domain" && !journaled)
        this.publish(subjects.evt(this.kind.name, this.id, e.event.type), e.event as DomainEvent & Message, item);
      else if (e.type === "forward" && e.detached) this.outbox!.send(e, undefined, item.traceparent);
      else if (e.type === "forward") forwards.push(e);
      else if (e.type === "reply" && !reply) reply = e.ok ? { ok: true, result: e.result } : { ok: false, error: e.error };
    }
    endSpan(item.span);
    const requester = requesterOf(item);
    const body = reply ?? { ok: true };
    if (!forwards.length) {
      if (requester) this.answer(requester, body, item.correlationId);
      return;
    }
    // The requester hears this decision only once every forward's target has answered; a refusal is its answer.
    let left = forwards.length;
    let refused: ReplyBody | undefined;
    for (const f of forwards) {
      this.outbox!.send(
        f,
        (refusal) => {
          if (refusal && !refused) refused = { ok: false, error: refusal };
          if (--left > 0 || !requester) return;
          this.answer(requester, refused ?? body, item.correlationId);
          // a snapshot kind's answer waits for a save; the drain that made this decision has flushed already
          if (this.kind.persistence === "snapshot") this.snapshots.flushReplies();
        },
        item.traceparent,
      );
    }
  }

  /** A snapshot kind acknowledges a command only once the state that includes it is in KV (see SnapshotWriter). */
  private answer(msg: Msg, body: ReplyBody, correlationId?: string): void {
    if (this.kind.persistence !== "snapshot") this.respond(msg, body, correlationId);
    else {
      this.snapshots.hold((e) =>
        this.respond(
          msg,
          e ? { ok: false, error: { code: RuntimeError.ActorFailed, message: `${this.key}: state not saved: ${e.message}` } } : body,
          correlationId,
        ),
      );
    }
  }

  private publish(subject: string, message: Message, cause: MailItem, traceparent = cause.traceparent): void {
    const { data, headers } = encodeForPublish(message, cause.correlationId, traceparent);
    this.env.nc.publish(subject, data, { headers });
  }

  /** Answers the item's requester, if it has one, with a refusal. */
  private refuse(item: MailItem, code: string, message: string): void {
    const requester = requesterOf(item);
    if (requester) this.respond(requester, { ok: false, error: { code, message } });
  }

  private respond(msg: Msg, body: ReplyBody, correlationId?: string): void {
    const { data, headers } = encodeMessage({ type: "Reply", ...body }, correlationId ? { correlationId } : {});
    msg.respond(data, { headers });
  }

  private deadLetter(
    subject: string,
    data: Uint8Array,
    headers: MsgHdrs | undefined,
    reason: string,
    code: string,
    messageType?: string,
  ): void {
    this.stats.deadLettered++;
    if (actorMetrics) actorMetrics.of(this.kind.name).deadLettered++;
    const { data: body, headers: h } = encodeMessage({
      type: "DeadLetter",
      kind: this.kind.name,
      id: this.id,
      subject,
      code,
      reason,
      messageType: headers?.get("am-type") || messageType || "",
      payload: data,
      tsInit: this.env.clock.nowUs(),
    });
    this.env.nc.publish(subjects.dlq(this.kind.name, this.id), body, { headers: h });
    this.env.log.warn("dead-lettered", { actor: this.key, subject, code, reason });
  }

  private arm(t: PendingTimer): void {
    this.disarm(t.id);
    t.traceparent ??= this.armingTrace;
    const delayMs = Math.max(0, (t.dueUs - this.env.clock.nowUs()) / 1000);
    t.handle = setTimeout(() => {
      this.timers.delete(t.id);
      // a delay the message asked for (a venue's latency, a slice's wait) stays inside the message's trace
      this.mailbox.offer(
        { subject: `timer:${t.id}`, event: { ...t.event }, ...(t.traceparent ? { traceparent: t.traceparent } : {}) },
        "accept",
      );
      this.schedule();
    }, delayMs);
    t.handle.unref?.();
    this.timers.set(t.id, t);
  }

  private disarm(id: string): void {
    const t = this.timers.get(id);
    if (t?.handle) clearTimeout(t.handle);
    this.timers.delete(id);
  }

  private end(error: Error): void {
    this.status = "failed";
    this.stats.lastError = error.message;
    // Pause the delayed events of the committed state; a restart re-arms them.
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    this.env.log.warn("actor failed", { actor: this.key, error: error.message });
    const listener = this.exitListener;
    this.exitListener = undefined;
    listener?.({ error });
    this.env.onExit?.(this, { error });
  }

  /** delayed events armed: an entity with one is not passivated */
  get armedTimers(): number {
    return this.timers.size;
  }

  /** a drain (and its journal appends) is under way, or a forward awaits its target */
  get busy(): boolean {
    return this.scheduled || this.draining || this.storing > 0 || (this.outbox?.size ?? 0) > 0;
  }

  /** Called once when the current incarnation fails (the supervisor's view of the child). */
  onExitOnce(listener: (reason: { error: Error }) => void): void {
    this.exitListener = listener;
  }

  /** Restart after a failure: keep subscriptions and mailbox, restore the last committed state. */
  async restart(): Promise<void> {
    this.stats.restarts++;
    if (actorMetrics) actorMetrics.of(this.kind.name).restarts++;
    if (this.snapshot) for (const t of [...this.timers.values()]) this.arm(t);
    else this.timers.clear();
    await this.incarnate();
  }

  /** Saves in turn (each save fences the next); a newer snapshot by another owner ends this incarnation. */
  saveSnapshot(): Promise<void> {
    return this.snapshots.save();
  }

  /** Stops for good on this node: unsubscribes, saves the state, cancels timers. */
  async stop(): Promise<void> {
    if (this.status === "stopped") return;
    // A failed incarnation still holds its last committed state (a throw commits nothing): save it too, or a
    // quarantine within snapshotEveryMs of the last commit drops acknowledged changes with the pending save.
    const hadState = this.status === "running" || this.status === "failed";
    this.status = "stopped";
    if (this.ticker) clearInterval(this.ticker);
    this.owedAtStop = this.outbox?.pending() ?? [];
    this.outbox?.close();
    this.unserve?.();
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    for (const s of this.interestSubs.values()) s.unsubscribe();
    this.interestSubs.clear();
    // commands still queued are answered, not left to their senders' timeouts: they ask again where it runs next.
    // Not handled here is all it says: during a move the next owner may have heard the same request and handle it,
    // so a sender asks again with the same ids, which the actors de-duplicate.
    for (const item of this.mailbox.clear())
      this.refuse(
        item,
        RuntimeError.Stopped,
        `${this.key} stopped on this node before it handled ${item.event.type}: ask again with the same ids (its next owner may have it already)`,
      );
    this.snapshots.cancel();
    this.compaction?.stop();
    this.compaction = undefined;
    if (hadState && this.kind.persistence !== "none") {
      // a newer owner's snapshot stays; this one's state is in the journal (event-sourced) or superseded
      await this.saveSnapshot().catch((e) => {
        if (!(e instanceof SnapshotFencedError)) throw e;
        this.env.log.warn("snapshot not saved on stop: another owner saved a newer one", { actor: this.key, error: e.message });
      });
    }
    for (const id of [...this.timers.keys()]) this.disarm(id);
  }

  /** What operators see. */
  describe(): Record<string, unknown> {
    const ctx = (this.snapshot as { context?: unknown } | undefined)?.context;
    return {
      kind: this.kind.name,
      id: this.id,
      status: this.status,
      state: this.snapshot?.value,
      context: ctx && this.kind.summarize ? this.kind.summarize(ctx) : undefined,
      mailbox: this.mailbox.depth,
      ...this.stats,
    };
  }
}
