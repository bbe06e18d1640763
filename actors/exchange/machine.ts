import { enqueueActions, setup } from "xstate";
import type { Emitted } from "../contract/index.ts";
import { decide, type SimulatedVenueInput } from "./decide.ts";
import { evolve } from "./evolve.ts";
import { type SimulatedVenueConfig, SimulatedVenueSession } from "./venue-session.ts";

export type { SimulatedVenueInput } from "./decide.ts";

export interface SimulatedVenueContext {
  session: SimulatedVenueSession;
}

/**
 * The simulated exchange as an actor: one state; each input is decided against the session, what it publishes is
 * folded back into it (evolve) and emitted. Its context holds the matching engines (classes): the kind snapshots
 * the session's open orders as plain data (`SimulatedVenueSession.snapshot`), and a restarted venue puts them back
 * in a new trading session (its clients reconcile against it). An input outside the protocol is refused and
 * changes nothing.
 */
export const simulatedVenueMachine = setup({
  types: {
    context: {} as SimulatedVenueContext,
    events: {} as SimulatedVenueInput,
    input: {} as SimulatedVenueConfig,
    emitted: {} as Emitted,
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      const decision = decide(context.session, event);
      if (!decision.ok) return;
      // write-ahead: the record of what changed goes to the journal, and the host publishes this input's reports
      // only once it is stored
      const change = event.type === "VenueBookChanged" ? undefined : context.session.takeChange(event.nowUs);
      if (change) enqueue.emit({ type: "domain", event: change });
      for (const e of decision.events) {
        evolve(context.session, e);
        enqueue.emit(e);
      }
      // With a latency model, commands wait in flight: wake when the oldest is due, not at the next quote.
      const due = context.session.exchange.nextArrivalUs;
      if (due !== undefined) {
        enqueue.raise(
          { type: "CommandsArrived", nowUs: due },
          { id: "commands-arrived", delay: Math.max(0, Math.ceil((due - event.nowUs) / 1000)) },
        );
      }
    }),
  },
}).createMachine({
  id: "simulated-venue",
  context: ({ input }) => ({ session: new SimulatedVenueSession(input) }),
  initial: "open",
  states: { open: { on: { "*": { actions: "handle" } } } },
});

export type SimulatedVenueMachine = typeof simulatedVenueMachine;
