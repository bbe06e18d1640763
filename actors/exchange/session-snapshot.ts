import { ExecType, type ExecutionReport } from "../domain/index.ts";
import type { OpenOrder } from "./matching/index.ts";
import type { VenueList } from "./order-lists.ts";

/**
 * What survives a restart of the simulated venue: our session's open orders as the books held them, the venue
 * sequence reached, the order ids handed out, and the latest executions with the fills before them (for a client's
 * "executions since n"). Plain data (msgpack); the background liquidity is not in it: the next quote places it again.
 */
export interface VenueSessionSnapshot {
  venue: string;
  /** the seqBase of the session that saved it, or of a later one whose records it holds (absent in older snapshots) */
  session?: number;
  venueSeq: number;
  /** per instrument, the next order id its book hands out */
  nextOrderIds: Record<string, number>;
  orders: SessionOrderSnapshot[];
  executions: ExecutionReport[];
  /** order lists held natively and not yet ended (absent in a snapshot taken before lists were held) */
  lists?: VenueList[];
}

export interface SessionOrderSnapshot {
  instrument: string;
  /** the book's record of it: id, fills, price, stop, flags */
  open: OpenOrder;
  /** Σ price × qty of its fills, as a decimal string (a bigint) */
  notional: string;
  version: number;
}

/** Executions kept in a snapshot: the recent ones a reconnecting client asks for, not the whole memory (KV values are bounded). */
export const SNAPSHOT_EXECUTIONS = 100;
/**
 * Fills kept in a snapshot before those recent executions: a client whose report of a fill was lost (a server
 * restart) and whose venue then moved gets the fill back when it reconciles. An acknowledgement or a cancel it
 * missed, its reconciliation makes up from the open orders; a fill it cannot. 500 fills are minutes of the demo's
 * flow (a client reconnects within seconds) and about 150 KB of snapshot, saved every few seconds while trading.
 */
export const SNAPSHOT_FILLS = 500;

/** What a snapshot keeps of the execution memory (in venue sequence order): older fills, then the latest executions. */
export function executionsToKeep(all: readonly ExecutionReport[]): ExecutionReport[] {
  const recentFrom = Math.max(0, all.length - SNAPSHOT_EXECUTIONS);
  const fills: ExecutionReport[] = [];
  for (let i = recentFrom - 1; i >= 0 && fills.length < SNAPSHOT_FILLS; i--) {
    const r = all[i]!;
    if (r.execType === ExecType.Fill || r.execType === ExecType.PartialFill) fills.push(r);
  }
  return [...fills.reverse(), ...all.slice(recentFrom)];
}
