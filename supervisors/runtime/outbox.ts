import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { RuntimeError, type Forward, type ReplyError } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { sharedInbox } from "../../infra/nats/reply-inbox.ts";
import { requestLocally } from "./local-commands.ts";

/** called with the target's refusal, or nothing once it accepted */
export type Settle = (refusal?: ReplyError) => void;

interface Entry {
  forward: Forward;
  waiting: Settle[];
  inFlight: boolean;
  /** its target on this connection could not take it (moving, stopped, silent): ask through NATS from now on */
  remote?: boolean;
  /** the trace context of the decision that forwards it */
  traceparent?: string;
}

/** Codes that say the target could not take the message now (not that it refused it): ask again. */
export const transientRefusals: ReadonlySet<string> = new Set<string>([
  RuntimeError.Busy,
  RuntimeError.ActorFailed,
  RuntimeError.Stopped,
  RuntimeError.NotHere,
  RuntimeError.NotRunning,
  RuntimeError.Quarantined,
]);

/**
 * An actor's forwards awaiting their target's answer. Each is requested at once (handed over in memory where its
 * target runs on the same connection: local-commands.ts), and again every `retryMs` while
 * the target is absent, slow or busy, until it answers; the answer settles the requesters waiting on it. A final
 * refusal is also reported to the actor (`onRefused`), so its machine can undo what it decided.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly onRefused: (f: Forward, error: ReplyError) => void,
    /** a forward its target took or refused: it is no longer owed */
    private readonly onSettled: (f: Forward) => void = () => {},
    private readonly retryMs = 1_000,
    private readonly timeoutMs = 5_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Forwards (or forwards again); `settle` is told the target's answer. */
  send(forward: Forward, settle?: Settle, traceparent?: string): void {
    let e = this.entries.get(forward.key);
    if (!e) {
      e = { forward, waiting: [], inFlight: false };
      this.entries.set(forward.key, e);
    } else e.forward = forward;
    if (traceparent) e.traceparent = traceparent;
    if (settle) e.waiting.push(settle);
    if (!e.inFlight) this.request(e);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const x of this.entries.values()) if (!x.inFlight) this.request(x);
      }, this.retryMs);
      this.timer.unref?.();
    }
  }

  private request(e: Entry): void {
    e.inFlight = true;
    const { data, headers } = encodeMessage(e.forward.message as Message, e.traceparent ? { traceparent: e.traceparent } : {});
    const local =
      !e.remote &&
      requestLocally(this.nc, e.forward.subject, data, headers, this.timeoutMs, (a) =>
        a ? this.answered(e, a, true) : this.unanswered(e, true),
      );
    if (local) return;
    sharedInbox(this.nc)
      .request(e.forward.subject, data, headers, this.timeoutMs)
      .then(
        (m) => this.answered(e, m, false),
        () => this.unanswered(e, false),
      );
  }

  private answered(e: Entry, m: { data: Uint8Array; headers?: MsgHdrs | undefined }, local: boolean): void {
    let answer: { ok?: boolean; error?: ReplyError };
    try {
      answer = decodeMessage(m.data, m.headers, false).message as { ok?: boolean; error?: ReplyError };
    } catch {
      answer = {
        ok: false,
        error: { code: RuntimeError.Invalid, message: `${e.forward.subject} answered something that is not a Reply` },
      };
    }
    if (this.entries.get(e.forward.key) !== e) return;
    if (!answer.ok && transientRefusals.has(answer.error?.code ?? "")) {
      e.inFlight = false;
      if (local) e.remote = true;
      return;
    }
    this.entries.delete(e.forward.key);
    this.idle();
    const refusal = answer.ok
      ? undefined
      : (answer.error ?? { code: RuntimeError.Invalid, message: `${e.forward.subject} refused without a reason` });
    for (const s of e.waiting) s(refusal);
    if (refusal) this.onRefused(e.forward, refusal);
    this.onSettled(e.forward);
  }

  /** no answer (target absent or slow): the timer asks again, through NATS if it was asked here */
  private unanswered(e: Entry, local: boolean): void {
    e.inFlight = false;
    if (local) e.remote = true;
  }

  private idle(): void {
    if (this.entries.size || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The forwards not answered yet. */
  pending(): Forward[] {
    return [...this.entries.values()].map((e) => e.forward);
  }

  /** Forgets everything (the actor stopped): its stop's save lists `pending()`, and its next owner sends them. */
  close(): void {
    this.entries.clear();
    this.idle();
  }
}
