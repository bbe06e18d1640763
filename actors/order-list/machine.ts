/**
 * The order list actor: one state, no timers. Every input goes through `step`, which decides from the committed
 * context; the list's status lives in the context (idle → working → done), where the kind's outbox and the
 * shard's passivation read it.
 */
import { enqueueActions, setup } from "xstate";
import { type Emitted, inputTime, unchanged } from "../contract/index.ts";
import { decideCancel, decideLegReport, decideRefused, decideResume, decideSubmit, listView, type Step } from "./decide.ts";
import { evolve, type ListEvent, listEventTypes } from "./evolve.ts";
import type { ListInput } from "./inputs.ts";
import type { VenueCapabilityTable } from "../order/index.ts";
import { initialContext, type ListContext } from "./state.ts";

export interface ListMachineInput {
  listId: string;
  /** what each venue accepts natively (AM_VENUE_CAPABILITIES): a venue naming the list's type holds it */
  venues?: VenueCapabilityTable;
}

/** One input to its step; inputs the list has no use for change nothing. */
export function step(c: ListContext, e: ListInput): Step {
  if (listEventTypes.has(e.type)) return unchanged(evolve(c, e as ListEvent));
  switch (e.type) {
    case "SubmitOrderList":
      return decideSubmit(c, e);
    case "CancelOrderList":
      return decideCancel(c, e);
    case "GetOrderList":
      return { context: c, emitted: [{ type: "reply", ok: true, result: listView(c) }] };
    case "ResumeOrderList":
      return decideResume(c, e.nowUs);
    case "ForwardRefused":
      return decideRefused(c, e);
    case "OrderAccepted":
    case "OrderFilled":
    case "OrderCanceled":
    case "OrderExpired":
    case "OrderRejected":
      return decideLegReport(c, e);
    default:
      return unchanged(c);
  }
}

export const listMachine = setup({
  types: {
    context: {} as ListContext,
    events: {} as ListInput,
    input: {} as ListMachineInput,
    emitted: {} as Emitted,
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      const nowUs = inputTime(event, context.nowUs);
      const s = step({ ...context, nowUs }, { ...event, nowUs } as ListInput);
      for (const e of s.emitted) enqueue.emit(e);
      enqueue.assign(() => s.context);
    }),
  },
}).createMachine({
  id: "order-list",
  context: ({ input }) => initialContext(input.listId, input.venues),
  on: { "*": { actions: "handle" } },
});

export type ListMachine = typeof listMachine;
