/**
 * What a machine may emit (with XState's `emit()`), and what the runtime delivers to it. Machines never touch
 * NATS, QuestDB or the clock: the runtime turns these into publishes, journal appends and replies.
 *
 * - Every event the runtime delivers carries `nowUs`, the runtime clock (simulated in tests and backtests).
 * - `domain`: a domain event (past tense). Event-sourced kinds append it to the journal before the new state is
 *   committed, then it is published on am.evt.<kind>.<id>.<event.type>. The state committed live is the state the
 *   command's transition produced (the runtime does not apply the emitted events a second time); an event-sourced
 *   machine also accepts each domain event it emits as an input that produces the same state change, so replaying
 *   the journal rebuilds the state. Replayed events carry `replay: true`; during replay emissions are discarded.
 * - `publish`: a message for a subject built with `subjects` (market data and the like). It carries the trace of
 *   the input being handled, or `traceparent` when it answers an earlier one: `traceOf(event)` reads an input's.
 * - `reply`: the answer to the command being processed (request/reply on am.cmd.<kind>.<id>).
 * - `forward`: a command for another actor that this command's answer waits for (an approved order to its order
 *   entity). After this decision is journaled the runtime requests it and answers the requester only once the
 *   target has answered: ok, then with this machine's own reply; a refusal, then with the target's refusal, and the
 *   machine receives `ForwardRefused` to undo what it decided. A target that is busy or absent is asked again until
 *   it answers; the kind's `outbox` lists what must still be forwarded after a restart. `key` names the target
 *   (one forward per key is outstanding).
 */
export interface DomainEvent {
  type: string;
  tsEvent: number;
  tsInit: number;
  [field: string]: unknown;
}

export interface ReplyError {
  /** a stable, machine-readable reason code */
  code: string;
  /** what a person can act on: which field, which limit */
  message: string;
}

export type Emitted =
  | { type: "domain"; event: DomainEvent }
  | { type: "publish"; subject: string; message: { type: string; [field: string]: unknown }; traceparent?: string }
  | Forward
  | { type: "reply"; ok: true; result?: unknown }
  | { type: "reply"; ok: false; error: ReplyError };

export interface Forward {
  type: "forward";
  key: string;
  subject: string;
  message: { type: string; [field: string]: unknown };
  /**
   * The decision's requester is answered without waiting for this forward's target (a strategy's order: the
   * strategy hears how it ends from the order's events). It is still asked again until its target answers.
   */
  detached?: true;
}

/** What the runtime delivers when the target of a `forward` refused it for good. */
export interface ForwardRefused {
  type: "ForwardRefused";
  key: string;
  subject: string;
  /** the forwarded message's type */
  messageType: string;
  error: ReplyError;
}

const TRACE = Symbol("traceparent");

/**
 * The W3C trace context an input was delivered with, if it belongs to a trace. A machine whose answer comes after a
 * later input (a venue's order waiting out its latency while quotes arrive) keeps it and puts it on what it emits.
 * Not a field of the event: spreading or storing the event never copies it.
 */
export const traceOf = (event: object): string | undefined => (event as { [TRACE]?: string })[TRACE];

/** The runtime marks a delivered input with its trace context (see `traceOf`). */
export function deliverTrace(event: object, traceparent: string): void {
  Object.defineProperty(event, TRACE, { value: traceparent, configurable: true, enumerable: false });
}

/** The `nowUs` stamp every delivered event has. */
export interface Delivered {
  nowUs: number;
}
