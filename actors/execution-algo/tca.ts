/**
 * Transaction cost analysis of a parent order. Slippage is in basis points of the benchmark and signed so that a
 * positive number is a cost: a buy filled above the benchmark, a sell filled below it. Statistics, so float64.
 */
import type { AlgoTca, Side } from "../domain/index.ts";

/** What a parent accumulates while it lives: its fills and the instrument's trades (interval VWAP). */
export interface TcaTape {
  arrivalMid: number;
  lastMid: number;
  /** Σ price·size and Σ size of the instrument's trades since the start (prices and sizes as decimals) */
  marketNotional: number;
  marketVolume: number;
  /** Σ price·quantity and Σ quantity of the parent's fills (decimals) */
  fillNotional: number;
  fillQuantity: number;
}

export const emptyTape = (arrivalMid: number): TcaTape => ({
  arrivalMid,
  lastMid: arrivalMid,
  marketNotional: 0,
  marketVolume: 0,
  fillNotional: 0,
  fillQuantity: 0,
});

/** Slippage of `price` against `benchmark` in bps, positive = cost; null without a benchmark or a fill. */
export function slippageBps(side: Side, price: number, benchmark: number): number | null {
  if (!(benchmark > 0) || !(price > 0)) return null;
  const sign = side === "BUY" ? 1 : -1;
  return (sign * (price - benchmark) * 10_000) / benchmark;
}

/** The analysis at the end of a parent: arrival (mid at start), interval VWAP and close (last mid) slippage. */
export function analyse(side: Side, tape: TcaTape): AlgoTca {
  const avgPx = tape.fillQuantity > 0 ? tape.fillNotional / tape.fillQuantity : 0;
  const intervalVwap = tape.marketVolume > 0 ? tape.marketNotional / tape.marketVolume : 0;
  return {
    avgPx,
    arrivalMid: tape.arrivalMid,
    intervalVwap,
    closeMid: tape.lastMid,
    arrivalBps: slippageBps(side, avgPx, tape.arrivalMid),
    intervalVwapBps: slippageBps(side, avgPx, intervalVwap),
    closeBps: slippageBps(side, avgPx, tape.lastMid),
  };
}
