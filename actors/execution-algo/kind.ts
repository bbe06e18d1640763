import { defineKind, type Forward, parseInstrumentId, subjects } from "../contract/index.ts";
import { childCancels, childForward } from "./child-order.ts";
import { algoView } from "./decide.ts";
import { algoMachine, type AlgoMachineInput } from "./machine.ts";
import type { VenueTerms } from "./routing.ts";
import { type AlgoContext, AlgoStatus, isDone } from "./state.ts";

/**
 * One execution algorithm per parent order (id = parentId), event-sourced, started on demand like any actor
 * (placement's spawn, then StartAlgo). While it works the parent (started, not yet completed or canceled) it hears
 * its children's order events on am.evt.order.> (child ids share no subject prefix; it keeps its own) and its
 * instrument's quotes and trades; a finished parent lets go of market data at once and of order events once its last
 * child closed, and then answers only its commands (progress, TCA).
 */
export const executionAlgoKind = (settings: { venues?: Readonly<Record<string, VenueTerms>> } = {}) =>
  defineKind({
    name: "execution-algo",
    machine: algoMachine,
    input: (parentId): AlgoMachineInput => ({ parentId, venues: { ...settings.venues } }),
    interest: (c) => {
      const context = c as AlgoContext;
      if (context.parent === null) return [];
      // a finished parent hears its children until the last one closes (a fill that raced its cancel counts)
      if (isDone(context)) return Object.keys(context.children).length ? [subjects.evtAll("order")] : [];
      const instrument = parseInstrumentId(context.parent.instrument);
      const params = context.parent.params;
      // a routed parent hears every listing it may route to: their quotes are its consolidated book
      const listings =
        params.algo === "SOR" ? params.venues.filter((v) => v !== instrument.venue).map((venue) => ({ ...instrument, venue })) : [];
      return [
        subjects.evtAll("order"),
        subjects.md("quote", instrument),
        subjects.md("trade", instrument),
        ...listings.map((l) => subjects.md("quote", l)),
      ];
    },
    persistence: "event-sourced",
    // only commands are checked against their schemas: the machine filters market data and order events by id
    validate: "commands",
    // children's order events published while the parent was down are read back before it sends more (their
    // fills are taken by cumulative quantity, so the overlap counts once)
    catchUp: { subjects: () => [subjects.evtAll("order")], overlapMs: 2_000 },
    // a child journaled but never heard of may have died with its forward: the risk book takes a retry as the same
    // order; so may a stopped parent's cancels of its children, which are sent again
    outbox: (c) => childForwards(c as AlgoContext),
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const v = algoView(c as AlgoContext);
      return {
        status: v.status,
        algo: v.algo,
        instrument: v.instrument,
        side: v.side,
        quantity: v.quantity,
        filled: v.filled,
        open: v.open,
        scheduled: v.scheduledSoFar,
        slice: v.slice,
        slices: v.slices,
      };
    },
  });

function childForwards(c: AlgoContext): Forward[] {
  const p = c.parent;
  if (!p) return [];
  // a paused or canceled parent's open children were canceled, and the cancels may have died with the process
  if (c.status === AlgoStatus.Paused || c.status === AlgoStatus.Canceled) return childCancels(c, c.nowUs);
  if (isDone(c)) return [];
  return Object.entries(c.children)
    .filter(([, child]) => !child.acked)
    .map(([clientOrderId, child]) => childForward(p, clientOrderId, child, c.nowUs, true));
}
