import { emit, enqueueActions, setup } from "xstate";
import type { Emitted } from "../../contract/index.ts";
import { decideSnapshot, decideStep, feedStatus } from "./decide.ts";
import { initialContext, type SimulatorFeedContext, type SimulatorFeedEvent, type SimulatorFeedInput } from "./state.ts";

/**
 * The market simulator as a feed actor: it wakes every stepMs, lets the simulated market run up to the delivered
 * time, and publishes what happened as raw feed messages; it answers instruments' book snapshot requests. The
 * market starts at the actor's first delivered time, so a restarted feed starts a fresh (seeded) market.
 */
export const simulatorFeedMachine = setup({
  types: {} as { context: SimulatorFeedContext; events: SimulatorFeedEvent; input: SimulatorFeedInput; emitted: Emitted },
  delays: { step: ({ context }) => context.stepMs },
  actions: {
    step: enqueueActions(({ context, event, enqueue }) => {
      const o = decideStep(context, event.nowUs);
      for (const e of o.emitted) enqueue.emit(e);
      enqueue.assign(o.patch);
    }),
  },
}).createMachine({
  id: "simulator-feed",
  context: ({ input }) => initialContext(input),
  initial: "running",
  states: {
    running: {
      after: { step: { target: "running", reenter: true, actions: "step" } },
      on: {
        BookSnapshotRequest: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            for (const e of decideSnapshot(context, event.instrument, event.nowUs)) enqueue.emit(e);
          }),
        },
        GetFeedStatus: { actions: emit(({ context }) => feedStatus(context)) },
      },
    },
  },
});
