import { assign, emit, setup } from "xstate";
import { defineKind, type Emitted, subjects } from "../../../actors/contract/index.ts";

/**
 * A bench-only kind on the market-data hot path: actor <id> consumes the quotes of instrument <id>.BENCH and counts
 * them. It declares `batchAs`, so a run of queued quotes is one transition, and skips schema validation (trusted
 * internal subject), as an instrument or strategy actor reading normalised market data would.
 */
type Ev = { type: "QuoteBatch"; items: unknown[]; nowUs: number } | { type: "Quote"; nowUs: number } | { type: "GetCount"; nowUs: number };

export const quoteCounterMachine = setup({
  types: {} as { context: { count: number; batches: number; lastUs: number }; events: Ev; emitted: Emitted },
}).createMachine({
  id: "quote-counter",
  context: { count: 0, batches: 0, lastUs: 0 },
  on: {
    QuoteBatch: {
      actions: assign(({ context, event }) => ({
        count: context.count + event.items.length,
        batches: context.batches + 1,
        lastUs: event.nowUs,
      })),
    },
    Quote: { actions: assign(({ context, event }) => ({ count: context.count + 1, batches: context.batches + 1, lastUs: event.nowUs })) },
    GetCount: {
      actions: emit(({ context }) => ({
        type: "reply" as const,
        ok: true as const,
        result: { count: context.count, batches: context.batches, lastUs: context.lastUs },
      })),
    },
  },
});

export const benchVenue = "BENCH";

export const quoteCounterKind = defineKind({
  name: "quote-counter",
  machine: quoteCounterMachine,
  consumes: (id) => [subjects.md("quote", { venue: benchVenue, symbol: id })],
  persistence: "none",
  validate: false,
  batchAs: "QuoteBatch",
  // market data conflates past this: a consumer that falls behind keeps the newest quotes, not a heap of old ones
  mailboxCapacity: 1_000,
  summarize: (c) => ({ count: (c as { count: number }).count }),
});
