import { enqueueActions, setup } from "xstate";
import type { Emitted, Quote, VenueCancelOrder, VenueNewOrder, VenueReplaceOrder } from "../domain/index.ts";
import { type SimulatedVenueConfig, SimulatedVenueSession } from "./venue-session.ts";

type In<T> = T & { nowUs: number };
export type SimulatedVenueInput =
  | In<{ type: "AdapterConnect"; venue: string }>
  | In<{ type: "AdapterDisconnect"; venue: string; reason: string }>
  | In<{ type: "AdapterRequestState"; venue: string; sinceSeq: number }>
  | In<{ type: "VenueNewOrder" } & VenueNewOrder>
  | In<{ type: "VenueCancelOrder" } & VenueCancelOrder>
  | In<{ type: "VenueReplaceOrder" } & VenueReplaceOrder>
  | In<{ type: "Quote" } & Quote>
  /** consecutive quotes folded into one event by the runtime (kind.batchAs) */
  | In<{ type: "QuoteBatch"; items: ({ type: string } & Quote)[] }>;

export interface SimulatedVenueContext {
  session: SimulatedVenueSession;
}

/**
 * The simulated exchange as an actor: one state, every input handed to its session, which answers through the
 * emitted publishes. Its context holds the matching engines (classes): the runtime hosts it without persistence,
 * and a restarted venue is a fresh venue (its clients reconcile against it).
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
      const s = context.session;
      const out: Emitted[] = [];
      const now = event.nowUs;
      switch (event.type) {
        case "AdapterConnect":
          s.connect(now, out);
          break;
        case "AdapterDisconnect":
          s.disconnect(now, event.reason, out);
          break;
        case "AdapterRequestState":
          s.requestState(now, event.sinceSeq, out);
          break;
        case "VenueNewOrder":
          s.newOrder(event, now, out);
          break;
        case "VenueCancelOrder":
          s.cancel(event, now, out);
          break;
        case "VenueReplaceOrder":
          s.replace(event, now, out);
          break;
        case "Quote":
          s.quote(event, now, out);
          break;
        case "QuoteBatch":
          for (const q of event.items) if (q.type === "Quote") s.quote(q, now, out);
          break;
      }
      for (const e of out) enqueue.emit(e);
    }),
  },
}).createMachine({
  id: "simulated-venue",
  context: ({ input }) => ({ session: new SimulatedVenueSession(input) }),
  initial: "open",
  states: { open: { on: { "*": { actions: "handle" } } } },
});

export type SimulatedVenueMachine = typeof simulatedVenueMachine;
