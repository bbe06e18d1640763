import type { DomainEvent, Emitted } from "./runtime-contract.ts";

/**
 * For machines that decide in pure functions (execution algorithms, order lists): what one input decided, the
 * resulting state and what to emit, journaled events first and in order.
 */
export interface Decided<C> {
  context: C;
  emitted: Emitted[];
}

export const unchanged = <C>(context: C): Decided<C> => ({ context, emitted: [] });

export const replyOk = (result?: unknown): Emitted => ({ type: "reply", ok: true, result });

export const replyError = (code: string, message: string): Emitted => ({ type: "reply", ok: false, error: { code, message } });

/** Journals `events`, each applied to the state with `evolve` as it is emitted, then the other emissions. */
export function journaled<C, E extends DomainEvent>(evolve: (c: C, e: E) => C, c: C, events: E[], rest: Emitted[] = []): Decided<C> {
  let context = c;
  const emitted: Emitted[] = [];
  for (const e of events) {
    context = evolve(context, e);
    emitted.push({ type: "domain", event: e });
  }
  return { context, emitted: [...emitted, ...rest] };
}

/** The time of an input: its nowUs (else its tsEvent), never before the state's own clock. */
export function inputTime(event: { nowUs?: unknown; tsEvent?: unknown }, stateNowUs: number): number {
  const now = typeof event.nowUs === "number" ? event.nowUs : typeof event.tsEvent === "number" ? event.tsEvent : stateNowUs;
  return Math.max(now, stateNowUs);
}
