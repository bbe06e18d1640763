import type { AlgoParams, AlgoTca, Side } from "../domain/index.ts";
import type { VenueFills, VenueQuote, VenueTerms } from "./routing.ts";
import type { Slice } from "./schedule.ts";
import type { TcaTape } from "./tca.ts";

export const AlgoStatus = { Idle: "idle", Working: "working", Paused: "paused", Completed: "completed", Canceled: "canceled" } as const;
export type AlgoStatus = (typeof AlgoStatus)[keyof typeof AlgoStatus];

/** The parent order as StartAlgo gave it (quantity, limit and end changed by AlgoAmended). */
export interface ParentOrder {
  instrument: string;
  side: Side;
  quantity: number;
  lotSize: number;
  limitPrice?: number;
  params: AlgoParams;
  book: string;
  strategy: string;
  startedUs: number;
}

/** An open child order as the parent knows it; `acked` once any event of its order entity was heard. */
export interface ChildOrder {
  quantity: number;
  cumQty: number;
  acked: boolean;
  /** a routed child's listing and limit price (others trade the parent's instrument at its limit) */
  instrument?: string;
  price?: number;
}

/** Top of book, 1e-8 units. */
export interface Touch {
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
}

/** A slice's decision asked of a learned parent's model: the answer is matched by `requestId`. */
export interface PendingDecision {
  requestId: string;
  slice: number;
  askedUs: number;
  /** what the observation said: the answer's action sizes the child from these */
  lotsLeft: number;
  decisionsLeft: number;
  /** the row the model was asked about (GetAlgo shows it) */
  observation: number[];
  /** asked a second time: the first question went unanswered for a slice */
  retried: boolean;
}

/**
 * The algorithm's state: plain data (it is journaled, snapshotted and shipped as msgpack). `filled` and `open`
 * are sums over the children, kept so that sizing a child costs nothing per child.
 */
export interface AlgoContext {
  parentId: string;
  status: AlgoStatus;
  parent: ParentOrder | null;
  /** the slices of a scheduled algorithm (TWAP, VWAP, IS) from `scheduleBase`; empty for POV and iceberg */
  schedule: Slice[];
  /** filled + open when the schedule was (re)built: the schedule counts from there */
  scheduleBase: number;
  /** index of the next slice (past the schedule's end: catching up on what is left, once per cadence) */
  slice: number;
  cadenceUs: number;
  nextAtUs: number;
  /** the nextAtUs the running timer was armed for; a different nextAtUs re-arms it */
  armedAtUs: number;
  /** the open children by client order id (a closed child is dropped) */
  children: Record<string, ChildOrder>;
  childCount: number;
  filled: number;
  open: number;
  /** the instrument's traded volume (1e-8 units) since the start, and at the last child (participation) */
  marketVolume: number;
  volumeAtLastChild: number;
  tape: TcaTape | null;
  tca: AlgoTca | null;
  /** the parent's instrument's latest top of book (market data, not journaled): a learned policy's observation */
  touch: Touch | null;
  /** a learned parent's decision asked of its model and not answered yet (not journaled: unanswered, it is asked again) */
  pendingDecision: PendingDecision | null;
  /** routing (SOR): each venue's latest top of book for the symbol (market data, not journaled) */
  book: Record<string, VenueQuote>;
  /** routing: what was sent to and filled at each venue, from the journal */
  venueFills: Record<string, VenueFills>;
  /** routing: a venue that rejected a child is passed over until then (µs) */
  venueHeldUntil: Record<string, number>;
  /** routing: each venue's taker fee and latency, from the node's configuration */
  venueTerms: Record<string, VenueTerms>;
  nowUs: number;
}

export const initialContext = (parentId: string, venueTerms: Record<string, VenueTerms> = {}): AlgoContext => ({
  parentId,
  status: AlgoStatus.Idle,
  parent: null,
  schedule: [],
  scheduleBase: 0,
  slice: 0,
  cadenceUs: 0,
  nextAtUs: 0,
  armedAtUs: -1,
  children: {},
  childCount: 0,
  filled: 0,
  open: 0,
  marketVolume: 0,
  volumeAtLastChild: 0,
  tape: null,
  tca: null,
  touch: null,
  pendingDecision: null,
  book: {},
  venueFills: {},
  venueHeldUntil: {},
  venueTerms,
  nowUs: 0,
});

export const isDone = (c: AlgoContext): boolean => c.status === AlgoStatus.Completed || c.status === AlgoStatus.Canceled;

/** The child order ids of a parent: `algo.<parentId>.<n>`, never taken for a strategy's own (those are `<strategyId>.`). */
export const childOrderId = (parentId: string, n: number): string => `algo.${parentId}.${n}`;
