import type { ClosedOrderQuery, ImpactHistory, ImpactHistoryQuery, RecordedOrder, VolumeProfileQuery } from "../infra/questdb/index.ts";

/**
 * The port GetBars reads historical bars through, and GetOrder the orders whose actor has retired. The QuestDB
 * implementation is infra/questdb's questdbBarHistory; the gateway only needs this shape. Values are fixed-point units (1e-8), times microseconds since the epoch.
 */
export interface HistoricalBar {
  instrument: string;
  barType: string;
  tsOpen: number;
  /** close time */
  tsEvent: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
}

/** An order as history last recorded it: fields the recorder did not know are absent. Values in 1e-8 units. */
export type HistoricalOrder = Omit<RecordedOrder, "event" | "reason">;

export interface BarHistory {
  /** Bars with fromUs <= close time < toUs, oldest first, at most `limit`. */
  bars(instrument: string, barType: string, fromUs: number, toUs: number, limit: number): Promise<HistoricalBar[]>;
  /** The latest recorded state of an order (by clientOrderId): its event of the highest sequence, never the latest event time; undefined when none is recorded. */
  latestOrder?(clientOrderId: string): Promise<HistoricalOrder | undefined>;
  /** Closed orders, the most recently closed first, each once (ListOrders beyond the orders the gateway holds). */
  closedOrders?(q: ClosedOrderQuery): Promise<HistoricalOrder[]>;
  /** An intraday volume curve from recorded trades (a VWAP schedule's profile): one weight per bucket, summing to 1. */
  volumeProfile?(q: VolumeProfileQuery): Promise<number[]>;
  /** The recorded market an implementation-shortfall parent's impact parameters are estimated from. */
  impactHistory?(q: ImpactHistoryQuery): Promise<ImpactHistory>;
}
