/**
 * The port GetBars reads historical bars through. A QuestDB implementation belongs in infra/questdb; the gateway
 * only needs this shape. Values are fixed-point units (1e-8), times microseconds since the epoch.
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

export interface BarHistory {
  /** Bars with fromUs <= close time < toUs, oldest first, at most `limit`. */
  bars(instrument: string, barType: string, fromUs: number, toUs: number, limit: number): Promise<HistoricalBar[]>;
}
