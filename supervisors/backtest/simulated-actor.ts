import type { AnyMachineSnapshot } from "xstate";
import {
  type ActorKind,
  type Clock,
  type Emitted,
  errorMessage,
  type Forward,
  type ReplyError,
  RuntimeError,
  subjects,
} from "../../actors/contract/index.ts";
import { DecodeError, type Message, readWireForm, type WireForm } from "../../infra/nats/codec.ts";
import { runMachineActions } from "../runtime/machine-actions.ts";
import { stepperFor } from "../runtime/machine-stepper.ts";
import { foldingOf, Mailbox } from "../runtime/mailbox.ts";
import { transientRefusals } from "../runtime/outbox.ts";
import { overflowOf, type Plane } from "../runtime/planes.ts";
import type { PendingTimer } from "../runtime/snapshots.ts";
import type { SimulatedTimer, SimulatedTimers } from "./simulated-timers.ts";

export interface ReplyBody {
  ok: boolean;
  result?: unknown;
  error?: ReplyError;
}
export type Answer = (body: ReplyBody) => void;

interface Mail {
  subject: string;
  md?: boolean;
  cmd?: boolean;
  event: Message & { nowUs?: number };
  /** the requester of a command (a forward), answered as the NATS host answers a request */
  answer?: Answer;
  correlationId?: string;
}

/** What an actor needs of the backtest around it: the simulated clock and timers, the bus, the run's verdicts. */
export interface ActorWorld {
  readonly clock: Clock;
  readonly timers: SimulatedTimers;
  /** `from`: the actor that sends it, whose link to each receiver may delay it */
  publish(subject: string, message: Message, correlationId?: string, from?: SimulatedActor): void;
  request(subject: string, message: Message, answer: Answer, from?: SimulatedActor): void;
  /** the actor has mail: step it in this round */
  ready(actor: SimulatedActor): void;
  deadLetter(actor: SimulatedActor, subject: string, code: string, reason: string, messageType: string): void;
  /** a machine threw: a backtest stops there (a restart would make the run depend on the failure) */
  failed(actor: SimulatedActor, error: Error, eventType: string): never;
}

const BATCH = 256;
/** a forward whose target could not take it now is asked again after this much simulated time, as live */
const FORWARD_RETRY_US = 1_000_000;
/** a detached forward's settling: asked again until answered, as any forward, with no requester waiting on it */
const settled = (): void => {};

interface PendingForward {
  forward: Forward;
  waiting: ((refusal?: ReplyError) => void)[];
  inFlight: boolean;
}

/**
 * One actor of a kind, hosted in the backtest's process: the same machine stepped by the same stepper and action
 * runner as the NATS host (supervisors/runtime/actor-host.ts), the same mailbox with its batching and overflow
 * policies, the codec's reading and validation of every message (on its wire form: no bytes are made in memory); the journal, timers and requests are in memory on the
 * simulated clock. An event-sourced kind's domain events are its journal: they go to the run's event journal as
 * they are published.
 */
export class SimulatedActor {
  snapshot: AnyMachineSnapshot | undefined;
  readonly mailbox: Mailbox<Mail>;
  private readonly folding: ((item: Mail) => string | undefined) | undefined;
  processed = 0;
  scheduled = false;
  /** the subjects of its kind's interest it is subscribed to now */
  interest: ReadonlySet<string> = new Set();
  private readonly timers = new Map<string, SimulatedTimer>();
  private readonly forwards = new Map<string, PendingForward>();
  private readonly delayed = { arm: (t: PendingTimer) => this.arm(t), disarm: (id: string) => this.disarm(id) };

  constructor(
    readonly kind: ActorKind,
    readonly id: string,
    private readonly world: ActorWorld,
  ) {
    this.mailbox = new Mailbox(kind.mailboxCapacity ?? 10_000);
    this.folding = foldingOf<Mail>(kind, (item) => item.answer !== undefined);
  }

  get key(): string {
    return `${this.kind.name}/${this.id}`;
  }

  /** The machine's initial state (a backtest restores nothing), then the kind's start event through the mailbox. */
  start(): void {
    const [s, actions] = stepperFor(this.kind.machine).initial(this.kind.input?.(this.id));
    this.snapshot = s;
    runMachineActions(actions, this.world.clock.nowUs(), this.delayed);
    if (this.kind.startWith) this.offer({ subject: "start", event: { ...this.kind.startWith } }, "accept");
  }

  /**
   * A message from the bus in its wire form (infra/nats/codec.ts `wireForm`), read (and validated as the kind asks)
   * for this actor alone, as over NATS (`handedOver`: no other receiver has it, so it is read without a copy).
   */
  receive(subject: string, plane: Plane, wire: WireForm, correlationId: string | undefined, handedOver: boolean, answer?: Answer): void {
    let message: Message;
    try {
      message = readWireForm(wire, this.validates(plane), handedOver);
    } catch (e) {
      const err = e instanceof DecodeError ? e : new DecodeError("invalid", errorMessage(e));
      this.world.deadLetter(this, subject, err.reason, `decode: ${err.message}`, wire.type);
      answer?.({ ok: false, error: { code: RuntimeError.Invalid, message: err.message } });
      return;
    }
    const mail: Mail = { subject, event: message, md: plane === "md", cmd: plane === "cmd" };
    if (answer) mail.answer = answer;
    if (correlationId) mail.correlationId = correlationId;
    if (!this.offer(mail, overflowOf(plane)))
      answer?.({ ok: false, error: { code: RuntimeError.Busy, message: `${this.key} mailbox is full (${this.mailbox.capacity})` } });
  }

  private validates(plane: Plane): boolean {
    const v = this.kind.validate;
    return v === "commands" ? plane === "cmd" : v !== false;
  }

  /** Delivers an event that is not a message (a Tick). */
  deliver(subject: string, event: Message): void {
    this.offer({ subject, event }, "accept");
  }

  private offer(mail: Mail, policy: "reject" | "conflate" | "accept"): boolean {
    if (!this.mailbox.offer(mail, policy)) return false;
    this.world.ready(this);
    return true;
  }

  /** Steps up to a batch of mail, as one drain of the NATS host does. */
  drain(): void {
    for (let i = 0; i < BATCH; i++) {
      const item = (this.folding ? this.mailbox.takeFolded(this.folding, BATCH) : this.mailbox.take()) as Mail | undefined;
      if (!item) break;
      const nowUs = this.world.clock.nowUs();
      item.event.nowUs = nowUs;
      let next: AnyMachineSnapshot;
      let emitted: Emitted[];
      try {
        const [n, actions] = stepperFor(this.kind.machine).step(this.snapshot!, item.event);
        if (n.status === "error") throw (n as { error?: unknown }).error ?? new Error("machine entered its error state");
        next = n;
        emitted = runMachineActions(actions, nowUs, this.delayed);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        this.world.deadLetter(this, item.subject, "handler-threw", `handler threw: ${err.message}`, item.event.type);
        this.world.failed(this, err, item.event.type);
      }
      this.snapshot = next;
      this.commit(item, emitted);
    }
  }

  private commit(item: Mail, emitted: Emitted[]): void {
    this.processed++;
    let reply: ReplyBody | undefined;
    const forwards: Forward[] = [];
    for (const e of emitted) {
      if (e.type === "publish") this.world.publish(e.subject, e.message as Message, item.correlationId, this);
      else if (e.type === "domain")
        this.world.publish(subjects.evt(this.kind.name, this.id, e.event.type), e.event as Message, item.correlationId, this);
      else if (e.type === "forward" && e.detached) this.forward(e, settled);
      else if (e.type === "forward") forwards.push(e);
      else if (e.type === "reply" && !reply) reply = e.ok ? { ok: true, result: e.result } : { ok: false, error: e.error };
    }
    const body = reply ?? { ok: true };
    const requester = item.cmd ? item.answer : undefined;
    if (!forwards.length) {
      requester?.(body);
      return;
    }
    // The requester hears this decision only once every forward's target has answered; a refusal is its answer.
    let left = forwards.length;
    let refused: ReplyBody | undefined;
    for (const f of forwards) {
      this.forward(f, (refusal) => {
        if (refusal && !refused) refused = { ok: false, error: refusal };
        if (--left === 0) requester?.(refused ?? body);
      });
    }
  }

  private forward(forward: Forward, settle: (refusal?: ReplyError) => void): void {
    let p = this.forwards.get(forward.key);
    if (!p) {
      p = { forward, waiting: [], inFlight: false };
      this.forwards.set(forward.key, p);
    } else p.forward = forward;
    p.waiting.push(settle);
    if (!p.inFlight) this.request(p);
  }

  private request(p: PendingForward): void {
    p.inFlight = true;
    this.world.request(
      p.forward.subject,
      p.forward.message as Message,
      (answer) => {
        if (this.forwards.get(p.forward.key) !== p) return;
        if (!answer.ok && transientRefusals.has(answer.error?.code ?? "")) {
          // the target could not take it now: asked again later, on simulated time
          p.inFlight = false;
          this.world.timers.schedule(this.world.clock.nowUs() + FORWARD_RETRY_US, () => {
            if (this.forwards.get(p.forward.key) === p && !p.inFlight) this.request(p);
          });
          return;
        }
        this.forwards.delete(p.forward.key);
        const refusal = answer.ok
          ? undefined
          : (answer.error ?? { code: RuntimeError.Invalid, message: `${p.forward.subject} refused without a reason` });
        for (const s of p.waiting) s(refusal);
        if (refusal)
          this.offer(
            {
              subject: "forward",
              event: {
                type: "ForwardRefused",
                key: p.forward.key,
                subject: p.forward.subject,
                messageType: p.forward.message.type,
                error: refusal,
              },
            },
            "accept",
          );
      },
      this,
    );
  }

  private arm(t: PendingTimer): void {
    this.disarm(t.id);
    const dueUs = Math.max(t.dueUs, this.world.clock.nowUs());
    this.timers.set(
      t.id,
      this.world.timers.schedule(dueUs, () => {
        this.timers.delete(t.id);
        this.offer({ subject: `timer:${t.id}`, event: { ...t.event } }, "accept");
      }),
    );
  }

  private disarm(id: string): void {
    const t = this.timers.get(id);
    if (t) t.canceled = true;
    this.timers.delete(id);
  }

  /** nothing queued, no delayed event armed, no forward awaiting its target: it may be passivated */
  get idle(): boolean {
    return this.mailbox.depth === 0 && this.timers.size === 0 && this.forwards.size === 0;
  }

  /** The machine's context, for the run's report (as operators see it through `summarize`). */
  get context(): unknown {
    return (this.snapshot as { context?: unknown } | undefined)?.context;
  }
}
