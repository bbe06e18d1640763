/**
 * The regime actor: Bayesian online changepoint detection on one instrument's bar returns.
 *
 * warming → tracking: the first warmupBars log returns set the scale the detector works in (their standard
 * deviation); from then on every bar of the actor's bar type is one observation, and its run-length posterior is
 * published as RegimeEstimated. Bars of other types, and bars not after the last one taken, change nothing.
 */
import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { estimated, logReturnOf, takes } from "./decide.ts";
import { afterBar, initialContext } from "./evolve.ts";
import type { RegimeContext, RegimeEvent, RegimeMachineInput } from "./state.ts";

export const regimeMachine = setup({
  types: {
    context: {} as RegimeContext,
    events: {} as RegimeEvent,
    input: {} as RegimeMachineInput,
    emitted: {} as Emitted,
  },
  actions: {
    takeBar: enqueueActions(({ context: c, event, enqueue }) => {
      if (event.type !== "Bar" || !takes(c, event)) return;
      const next = { ...c, ...afterBar(c, event.close, event.tsEvent, logReturnOf(c, event)) };
      enqueue.assign(next);
      if (next.model) for (const e of estimated(next, event, event.nowUs)) enqueue.emit(e);
    }),
  },
  guards: {
    tracking: ({ context }) => context.model !== undefined,
  },
}).createMachine({
  id: "regime",
  context: ({ input }) => initialContext(input),
  initial: "warming",
  states: {
    warming: {
      on: { Bar: { actions: "takeBar" } },
      always: { guard: "tracking", target: "tracking" },
    },
    tracking: {
      on: { Bar: { actions: "takeBar" } },
    },
  },
});

export type RegimeMachine = typeof regimeMachine;
