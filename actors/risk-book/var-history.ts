/**
 * The book's own VaR backtest record: at each return sample the historical VaR forecast made at the previous sample
 * is set beside the P&L the exposures held then made over the interval (the "hypothetical" P&L of the Basel
 * backtest, which leaves out intraday trading and fees so the test judges the model, not the trader).
 *
 * Kept beside the return window (not journaled, kept in the kind's snapshot); one forecast costs one pass over the
 * window and a sort, once per sample interval, never per mark.
 */
import { empiricalRisk } from "./analytics/index.ts";
import { pnlSeries, type ReturnWindow } from "./var.ts";

export interface VarObservation {
  /** when the interval ended */
  tsUs: number;
  /** the VaR forecast for the interval (positive = loss), made at its start */
  forecast: number;
  /** the P&L the exposures held at the start made over the interval */
  pnl: number;
  /** that P&L per instrument */
  byInstrument: Record<string, number>;
  /** equity at the start of the interval: the P&L over it is the book's return */
  equity: number;
  /** the equal-weighted mean return of every marked instrument over the interval: the market factor */
  marketReturn: number;
}

export interface VarHistory {
  /** observations kept (250 = the Basel year of daily backtests) */
  capacity: number;
  /** samples a forecast needs before it is made */
  minSamples: number;
  /** oldest first */
  observations: VarObservation[];
  /** forecast for the interval now running, made at its start; undefined until the window holds minSamples */
  forecast: number | undefined;
  /** exposures (currency, signed) held at the start of the interval now running */
  exposures: Record<string, number>;
  /** equity at the start of the interval now running */
  equity: number;
}

export const emptyVarHistory = (capacity = 250, minSamples = 20): VarHistory => ({
  capacity,
  minSamples,
  observations: [],
  forecast: undefined,
  exposures: {},
  equity: 0,
});

/** The P&L series of exposures over every sample of the window, oldest first. */
export const windowPnl = (window: ReturnWindow, exposures: Record<string, number>): number[] =>
  pnlSeries(window, Object.entries(exposures));

/**
 * Called once the window took a new sample: closes the interval that sample ends (its forecast against the P&L of
 * the exposures held over it), then forecasts the next interval with today's exposures. Mutates in place.
 */
export function recordVarSample(
  h: VarHistory,
  window: ReturnWindow,
  exposures: Record<string, number>,
  equity: number,
  nowUs: number,
): void {
  const latest = window.samples[window.samples.length - 1];
  if (latest !== undefined && h.forecast !== undefined) {
    const byInstrument: Record<string, number> = {};
    let pnl = 0;
    for (const [i, v] of Object.entries(h.exposures)) {
      const x = v * (latest[i] ?? 0);
      byInstrument[i] = x;
      pnl += x;
    }
    const moves = Object.values(latest);
    const marketReturn = moves.length === 0 ? 0 : moves.reduce((a, r) => a + r, 0) / moves.length;
    h.observations.push({ tsUs: nowUs, forecast: h.forecast, pnl, byInstrument, equity: h.equity, marketReturn });
    if (h.observations.length > h.capacity) h.observations.splice(0, h.observations.length - h.capacity);
  }
  h.exposures = exposures;
  h.equity = equity;
  h.forecast =
    window.samples.length >= h.minSamples
      ? Math.max(0, empiricalRisk(windowPnl(window, exposures), window.config.confidence, "historical").valueAtRisk)
      : undefined;
}
