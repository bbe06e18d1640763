import { defineKind, type Forward, subjects } from "../contract/index.ts";
import { legOrder, listView } from "./decide.ts";
import { listMachine } from "./machine.ts";
import { isDone, legOrderId, type ListContext, MAX_LEGS, workingLegs } from "./state.ts";

/**
 * One entity per contingent order list (id = listId), event-sourced, in 16 shards: the shard's owner activates a
 * list on its first command (SubmitOrderList) and passivates it once every leg has ended. While legs work it hears
 * exactly their order events (am.evt.order.<legId>.*), nothing else.
 */
export const orderListKind = () =>
  defineKind({
    name: "order-list",
    machine: listMachine,
    input: (listId) => ({ listId }),
    persistence: "event-sourced",
    interest: (c) => {
      const context = c as ListContext;
      if (isDone(context)) return [];
      return workingLegs(context).map((i) => subjects.evtOf("order", context.legs[i]!.clientOrderId));
    },
    // leg ids follow from the list id, so a restored list reads back exactly its legs' events published while it
    // was down (fills are taken by cumulative quantity, so the overlap counts once)
    catchUp: {
      subjects: (listId) => Array.from({ length: MAX_LEGS }, (_v, i) => subjects.evtOf("order", legOrderId(listId, i))),
      overlapMs: 2_000,
    },
    // a leg journaled as sent but never heard of may have died with its forward: the risk book takes a retry as the same order
    outbox: (c) => legForwards(c as ListContext),
    resumeWith: { type: "ResumeOrderList" },
    sharding: { shards: 16, doneWhen: (c) => isDone(c as ListContext) },
    summarize: (c) => {
      const v = listView(c as ListContext);
      return { status: v.status, contingency: v.contingency, outcome: v.outcome };
    },
  });

function legForwards(c: ListContext): Forward[] {
  if (isDone(c)) return [];
  return workingLegs(c).flatMap((i) => {
    const l = c.legs[i]!;
    if (l.acked) return [];
    return [
      {
        type: "forward",
        key: l.clientOrderId,
        subject: subjects.cmd("risk-book", c.book),
        message: legOrder(c, l, l.quantity, c.nowUs, true),
      },
    ];
  });
}
