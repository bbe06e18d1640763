/**
 * What each journaled event does to the list's state. Pure and total over the events the list journals, so
 * replaying the journal after a restart rebuilds exactly the state that was committed.
 */
import type {
  OrderListAccepted,
  OrderListCancelRequested,
  OrderListDone,
  OrderListLegClosed,
  OrderListLegFilled,
  OrderListLegSent,
} from "../domain/index.ts";
import { type LegState, legOrderId, type ListContext, ListStatus } from "./state.ts";

type Tagged<T, N extends string> = T & { type: N };
export type ListEvent =
  | Tagged<OrderListAccepted, "OrderListAccepted">
  | Tagged<OrderListLegSent, "OrderListLegSent">
  | Tagged<OrderListLegFilled, "OrderListLegFilled">
  | Tagged<OrderListLegClosed, "OrderListLegClosed">
  | Tagged<OrderListCancelRequested, "OrderListCancelRequested">
  | Tagged<OrderListDone, "OrderListDone">;

export const listEventTypes: ReadonlySet<string> = new Set([
  "OrderListAccepted",
  "OrderListLegSent",
  "OrderListLegFilled",
  "OrderListLegClosed",
  "OrderListCancelRequested",
  "OrderListDone",
]);

function withLeg(c: ListContext, leg: number, change: (l: LegState) => LegState): ListContext {
  const current = c.legs[leg];
  if (!current) return c;
  const legs = c.legs.slice();
  legs[leg] = change(current);
  return { ...c, legs };
}

export function evolve(c: ListContext, e: ListEvent): ListContext {
  switch (e.type) {
    case "OrderListAccepted":
      return {
        ...c,
        status: ListStatus.Working,
        contingency: e.contingency,
        triggerOnPartial: e.triggerOnPartial,
        native: e.native ?? false,
        book: e.book,
        strategy: e.strategy,
        legs: e.legs.map((l, i) => ({
          ...l,
          clientOrderId: legOrderId(c.listId, i),
          sent: false,
          cumQty: 0,
          closed: false,
          outcome: null,
          acked: false,
        })),
      };
    case "OrderListLegSent":
      return withLeg(c, e.leg, (l) => ({ ...l, sent: true, quantity: e.quantity }));
    case "OrderListLegFilled":
      return withLeg(c, e.leg, (l) => (e.cumQty > l.cumQty ? { ...l, cumQty: e.cumQty, acked: true } : l));
    case "OrderListLegClosed":
      return withLeg(c, e.leg, (l) => ({ ...l, closed: true, outcome: e.outcome, cumQty: Math.max(l.cumQty, e.cumQty) }));
    case "OrderListCancelRequested":
      return { ...c, cancelRequested: true };
    case "OrderListDone":
      return { ...c, status: ListStatus.Done, outcome: e.outcome };
  }
}
