import type { ExecutionReport } from "../domain/index.ts";
import type { VenueList } from "./order-lists.ts";
import type { SessionOrderSnapshot, VenueSessionSnapshot } from "./session-snapshot.ts";

/**
 * What one input changed at the venue, journaled before any report about it is published (write-ahead): the
 * orders it opened or changed as their books hold them now, those it closed, and the reports it published. A
 * restarted venue applies these after its last compaction snapshot. Quotes change only the background liquidity
 * and write none. Each record states where its orders are now (not by how much they moved), so applying one twice
 * changes nothing: a snapshot saved while a record was still in flight may already hold it.
 */
// a type, not an interface: it is emitted as a DomainEvent, whose index signature an interface does not meet
export type VenueBookChanged = {
  type: "VenueBookChanged";
  venue: string;
  /** the seqBase of the session that wrote it: a later session numbers its execution ids above it */
  session: number;
  /** the venue sequence reached */
  venueSeq: number;
  /** per instrument whose book changed, the next order id it hands out */
  nextOrderIds: Record<string, number>;
  /** orders opened or changed, as their books hold them now */
  open: SessionOrderSnapshot[];
  /** client order ids of orders no longer open */
  closed: string[];
  /** the reports this input published, for a client's "executions since n" */
  executions: ExecutionReport[];
  /** every list still held, present when a list changed (or the last one ended) */
  lists?: VenueList[];
  tsEvent: number;
  tsInit: number;
};

/** A venue's restored state as plain data, not yet in its books: a snapshot with the records after it applied. */
export interface RestoredBook {
  session: number;
  venueSeq: number;
  nextOrderIds: Record<string, number>;
  orders: Map<string, SessionOrderSnapshot>;
  executions: ExecutionReport[];
  lists: VenueList[];
}

export function restoredBook(s: VenueSessionSnapshot): RestoredBook {
  return {
    session: s.session ?? 0,
    venueSeq: s.venueSeq,
    nextOrderIds: { ...s.nextOrderIds },
    orders: new Map(s.orders.flatMap((o) => (o.open.clientOrderId === undefined ? [] : [[o.open.clientOrderId, o] as const]))),
    executions: [...s.executions],
    lists: s.lists ?? [],
  };
}

export const emptyBook = (): RestoredBook => ({ session: 0, venueSeq: 0, nextOrderIds: {}, orders: new Map(), executions: [], lists: [] });

/** Applies one record; `memory` bounds the executions kept. Idempotent: a record applied again changes nothing. */
export function applyRecord(book: RestoredBook, r: VenueBookChanged, memory: number): void {
  book.session = Math.max(book.session, r.session);
  for (const [instrument, next] of Object.entries(r.nextOrderIds))
    book.nextOrderIds[instrument] = Math.max(book.nextOrderIds[instrument] ?? 0, next);
  for (const id of r.closed) book.orders.delete(id);
  for (const o of r.open) if (o.open.clientOrderId !== undefined) book.orders.set(o.open.clientOrderId, o);
  for (const e of r.executions) if (e.venueSeq > book.venueSeq) book.executions.push(e);
  if (book.executions.length > memory) book.executions.splice(0, book.executions.length - memory);
  book.venueSeq = Math.max(book.venueSeq, r.venueSeq);
  if (r.lists) book.lists = r.lists;
}
