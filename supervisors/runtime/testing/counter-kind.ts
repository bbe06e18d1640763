import { z } from "zod";
import { assign, emit, setup } from "xstate";
import { defineKind, defineMessage, type Emitted, type Persistence } from "../../../actors/contract/index.ts";

/**
 * A small actor kind used by the runtime's own tests and benchmarks: it counts, fails on demand, hangs on demand,
 * and keeps a delayed event, so each failure mode and each persistence mode can be exercised for real.
 */
export const Increment = defineMessage("Increment", 1, z.object({ by: z.number().int().min(1).max(1_000_000) }), "Add to a test counter.");
export const IncrementBatch = defineMessage(
  "IncrementBatch",
  1,
  z.object({ n: z.number().int().min(1), sentUs: z.number().optional() }),
  "Add n (one event, many messages).",
);
export const Explode = defineMessage("Explode", 1, z.object({ where: z.enum(["action", "guard"]) }), "Make a test counter throw.");
export const Hang = defineMessage("Hang", 1, z.object({}), "Make a test counter loop forever.");
export const Hoard = defineMessage("Hoard", 1, z.object({}), "Make a test counter keep memory until its cell runs out.");
export const GetCount = defineMessage("GetCount", 1, z.object({}), "Ask a test counter for its count.");
export const Arm = defineMessage("Arm", 1, z.object({}), "Arm a test counter's 300 ms timer.");
export const Incremented = defineMessage(
  "Incremented",
  1,
  z.object({ by: z.number().int(), total: z.number().int(), tsEvent: z.number(), tsInit: z.number() }),
  "A test counter moved.",
);

type Ev =
  | { type: "Increment"; by: number; nowUs: number }
  | { type: "IncrementBatch"; n: number; sentUs?: number; nowUs: number }
  | { type: "Incremented"; by: number; total: number; nowUs: number }
  | { type: "Explode"; where: "action" | "guard"; nowUs: number }
  | { type: "Hang"; nowUs: number }
  | { type: "Hoard"; nowUs: number }
  | { type: "GetCount"; nowUs: number }
  | { type: "Arm"; nowUs: number };

export const counterMachine = setup({
  types: {} as {
    context: { count: number; fired: number; journaled: boolean };
    events: Ev;
    input: { journaled: boolean };
    emitted: Emitted;
  },
  guards: {
    explodes: ({ event }) => {
      if (event.type === "Explode" && event.where === "guard") throw new Error("guard exploded");
      return event.type === "Explode";
    },
  },
}).createMachine({
  id: "counter",
  context: ({ input }) => ({ count: 0, fired: 0, journaled: input?.journaled ?? false }),
  initial: "counting",
  states: {
    counting: {
      on: {
        Increment: [
          {
            guard: ({ context }) => context.journaled,
            actions: [
              emit(({ context, event }) => ({
                type: "domain" as const,
                event: { type: "Incremented", by: event.by, total: context.count + event.by, tsEvent: event.nowUs, tsInit: event.nowUs },
              })),
              assign({ count: ({ context, event }) => context.count + event.by }),
            ],
          },
          { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
        ],
        // Journaled kinds apply their own events, live (after the append) and in replay alike.
        Incremented: { actions: assign({ count: ({ event }) => event.total }) },
        IncrementBatch: { actions: assign({ count: ({ context, event }) => context.count + event.n }) },
        GetCount: {
          actions: emit(({ context }) => ({
            type: "reply" as const,
            ok: true as const,
            result: { count: context.count, fired: context.fired },
          })),
        },
        Explode: {
          guard: "explodes",
          actions: ({ event }) => {
            if (event.type === "Explode" && event.where === "action") throw new Error("action exploded");
          },
        },
        Hang: {
          actions: () => {
            for (;;) {
              // a handler that never returns: only a watchdog can end it
            }
          },
        },
        Hoard: {
          actions: () => {
            const kept: number[][] = [];
            for (;;) kept.push(new Array(1 << 16).fill(1)); // only the cell's heap budget can end it
          },
        },
        Arm: "armed",
      },
    },
    armed: {
      after: { 300: { target: "counting", actions: assign({ fired: ({ context }) => context.fired + 1 }) } },
      on: {
        Increment: { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
        GetCount: {
          actions: emit(({ context }) => ({
            type: "reply" as const,
            ok: true as const,
            result: { count: context.count, fired: context.fired },
          })),
        },
        Explode: {
          actions: () => {
            throw new Error("action exploded");
          },
        },
      },
    },
  },
});

export const counterKind = (persistence: Persistence, name = `counter-${persistence === "event-sourced" ? "es" : persistence}`) =>
  defineKind({
    name,
    machine: counterMachine,
    input: () => ({ journaled: persistence === "event-sourced" }),
    persistence,
    snapshotEveryMs: 50,
    summarize: (c) => ({ count: (c as { count: number }).count }),
    supervision: { maxRestarts: 3, periodMs: 60_000 },
  });
