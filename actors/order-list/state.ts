import type { Contingency, LegOutcome, ListLeg, ListOutcome } from "../domain/index.ts";
import type { VenueCapabilityTable } from "../order/index.ts";

export const ListStatus = { Idle: "idle", Working: "working", Done: "done" } as const;
export type ListStatus = (typeof ListStatus)[keyof typeof ListStatus];

/** One leg as the list knows it: its terms, the order it became once sent, and how that order ended. */
export interface LegState extends ListLeg {
  clientOrderId: string;
  sent: boolean;
  cumQty: number;
  closed: boolean;
  outcome: LegOutcome | null;
  /** any event of its order was heard: a restored list need not forward it again (not journaled) */
  acked: boolean;
}

/** The list's state: plain data (journaled as events, shipped as msgpack). At most ten legs, so steps copy them. */
export interface ListContext {
  listId: string;
  status: ListStatus;
  contingency: Contingency | null;
  triggerOnPartial: boolean;
  /** its venue holds it (every leg sent at once, tagged); the platform only cancels it (journaled at acceptance) */
  native: boolean;
  book: string;
  strategy: string;
  legs: LegState[];
  cancelRequested: boolean;
  outcome: ListOutcome | null;
  nowUs: number;
  /** what each venue accepts natively, from the node's configuration (not journaled) */
  venues: VenueCapabilityTable;
}

export const initialContext = (listId: string, venues: VenueCapabilityTable = {}): ListContext => ({
  listId,
  status: ListStatus.Idle,
  contingency: null,
  triggerOnPartial: false,
  native: false,
  book: "",
  strategy: "",
  legs: [],
  cancelRequested: false,
  outcome: null,
  nowUs: 0,
  venues,
});

export const isDone = (c: ListContext): boolean => c.status === ListStatus.Done;

/** The most legs a list holds; leg order ids are derived from the list id, so a restore knows where to look. */
export const MAX_LEGS = 10;

/** A leg's order id: `list.<listId>.<leg>`, never taken for a strategy's own orders (those are `<strategyId>.`). */
export const legOrderId = (listId: string, leg: number): string => `list.${listId}.${leg}`;

/** The legs whose orders are working now (sent, not ended). */
export const workingLegs = (c: ListContext): number[] => c.legs.flatMap((l, i) => (l.sent && !l.closed ? [i] : []));
