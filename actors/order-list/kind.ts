import { defineKind, escapeToken, type Forward, parseSubject, subjects } from "../contract/index.ts";
import { legOrder, listView } from "./decide.ts";
import { listMachine } from "./machine.ts";
import type { VenueCapabilityTable } from "../order/index.ts";
import { isDone, legOrderId, type ListContext, MAX_LEGS, workingLegs } from "./state.ts";

const LEG_EVENT_PREFIX = `${subjects.evtAll("order").slice(0, -1)}${escapeToken("list.")}`;

/** The list whose leg an order event is of (`am.evt.order.list~2E<listId>~2E<leg>.<Event>`), if any. */
export function listOfLegEvent(subject: string): string | undefined {
  // a string compare for every other order's event: no parse
  if (!subject.startsWith(LEG_EVENT_PREFIX)) return undefined;
  const id = parseSubject(subject).id;
  const m = id === undefined ? null : /^list\.([A-Za-z0-9_-]{1,40})\.\d$/.exec(id);
  return m?.[1];
}

/**
 * One entity per contingent order list (id = listId), event-sourced, in 16 shards: the shard's owner activates a
 * list on its first command (SubmitOrderList) and passivates it when idle or once every leg has ended. Its legs'
 * order events are routed to it by the shard's owner (one subscription per process, a prefix compare per order
 * event), so a passivated or restarted list wakes on its legs' next event.
 */
export const orderListKind = (settings: { venues?: VenueCapabilityTable } = {}) =>
  defineKind({
    name: "order-list",
    machine: listMachine,
    input: (listId) => ({ listId, venues: settings.venues ?? {} }),
    persistence: "event-sourced",
    // leg ids follow from the list id, so a restored list reads back exactly its legs' events published while it
    // was down (fills are taken by cumulative quantity, so the overlap counts once)
    catchUp: {
      subjects: (listId) => Array.from({ length: MAX_LEGS }, (_v, i) => subjects.evtOf("order", legOrderId(listId, i))),
      overlapMs: 2_000,
    },
    // a leg journaled as sent but never heard of may have died with its forward: the risk book takes a retry as the same order
    outbox: (c) => legForwards(c as ListContext),
    resumeWith: { type: "ResumeOrderList" },
    sharding: {
      shards: 16,
      doneWhen: (c) => isDone(c as ListContext),
      // the legs' order events reach their list, activating it if it was passivated or its node restarted
      routes: { subjects: [subjects.evtAll("order")], entityOf: listOfLegEvent },
    },
    summarize: (c) => {
      const v = listView(c as ListContext);
      return { status: v.status, contingency: v.contingency, outcome: v.outcome, native: v.native };
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
