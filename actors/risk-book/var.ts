/**
 * Value at risk of the current positions by historical simulation over a bounded window of marked returns.
 *
 * Method: marks are sampled at most once per `sampleUs` (by the runtime clock of the mark events); each sample
 * stores every instrument's simple return since the previous sample (0 when its mark did not move). The P&L of
 * sample k is Σ_i exposure_i × r_i,k with today's exposures (float, currency units). Historical VaR is the
 * (1 − confidence) quantile of those P&Ls, negated; parametric VaR is −(mean + Φ⁻¹(1 − confidence) × sd) of the
 * same series (normal assumption). Both are over the sampling interval, floored at 0. Statistics are float64 by
 * design (ARCHITECTURE §3); the window is not journaled and refills from marks after a restore.
 */
import { mean, quantile, standardDeviation } from "simple-statistics";
import { type MarkSource, toNumber } from "../domain/index.ts";
import { normalQuantile } from "./analytics/index.ts";
import { type MarkTable, markPrice } from "./portfolio.ts";

export interface VarConfig {
  confidence: number;
  /** samples kept */
  window: number;
  /** minimum time between samples */
  sampleUs: number;
}
export const defaultVarConfig: VarConfig = { confidence: 0.99, window: 500, sampleUs: 60_000_000 };

export interface ReturnWindow {
  config: VarConfig;
  lastSampleUs: number;
  lastPrices: Record<string, number>;
  /** oldest first; each sample maps instrument → simple return */
  samples: Record<string, number>[];
}

export const emptyReturnWindow = (config: VarConfig = defaultVarConfig): ReturnWindow => ({
  config,
  lastSampleUs: Number.NEGATIVE_INFINITY,
  lastPrices: {},
  samples: [],
});

/** Takes a sample if the interval has passed; mutates the window in place (it is not journaled state). */
export function sampleReturns(w: ReturnWindow, marks: MarkTable, source: MarkSource, nowUs: number): void {
  if (nowUs - w.lastSampleUs < w.config.sampleUs) return;
  const first = w.lastSampleUs === Number.NEGATIVE_INFINITY;
  const sample: Record<string, number> = {};
  for (const i in marks) {
    const px = markPrice(marks[i], source);
    if (px === undefined) continue;
    const prev = w.lastPrices[i];
    if (prev !== undefined && prev > 0) sample[i] = px / prev - 1;
    w.lastPrices[i] = px;
  }
  w.lastSampleUs = nowUs;
  if (first) return;
  w.samples.push(sample);
  if (w.samples.length > w.config.window) w.samples.splice(0, w.samples.length - w.config.window);
}

/** Each window's instrument order: the column of each instrument's return in the window's rows. */
const columnsOf = new WeakMap<ReturnWindow, Map<string, number>>();
/** Each sample's returns by column, built once: a sample never changes once taken. */
const rowOf = new WeakMap<Record<string, number>, Float64Array>();

/**
 * The window's samples as rows of returns by column (an instrument absent from a sample, or first seen after it,
 * reads 0, as in the sample). A pass over the window (a P&L series per forecast, the returns of a report) reads
 * positions in arrays instead of looking each instrument up in each sample's object, which with a hundred
 * instruments is a dictionary; the rows are built once per sample and live as long as it does.
 */
export function returnRows(w: ReturnWindow): { columns: Map<string, number>; rows: Float64Array[] } {
  let columns = columnsOf.get(w);
  if (!columns) {
    columns = new Map<string, number>();
    columnsOf.set(w, columns);
  }
  const rows = w.samples.map((s) => {
    let row = rowOf.get(s);
    if (!row) {
      for (const i in s) if (!columns.has(i)) columns.set(i, columns.size);
      row = new Float64Array(columns.size);
      for (const i in s) row[columns.get(i)!] = s[i]!;
      rowOf.set(s, row);
    }
    return row;
  });
  return { columns, rows };
}

/** The return of column `c` in `row` (-1: an instrument the window never saw): 0 where it has none, as in the sample. */
export const returnAt = (row: Float64Array, c: number): number => (c >= 0 && c < row.length ? row[c]! : 0);

/**
 * The P&L series of holdings (instrument → money, float) over every sample of the window, oldest first: Σ_i v_i ×
 * r_i,k, summed in the holdings' order (so the same holdings give the same floats, bit for bit).
 */
export function pnlSeries(w: ReturnWindow, held: readonly (readonly [string, number])[]): number[] {
  const { columns, rows } = returnRows(w);
  const n = held.length;
  const at = new Int32Array(n);
  const value = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    at[k] = columns.get(held[k]![0]) ?? -1;
    value[k] = held[k]![1];
  }
  return rows.map((row) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += value[k]! * returnAt(row, at[k]!);
    return sum;
  });
}

export interface ValueAtRisk {
  method: "historical-simulation";
  confidence: number;
  horizonUs: number;
  samples: number;
  /** currency units (float); undefined until there are at least 2 samples */
  historical?: number;
  parametric?: number;
}

/** VaR of exposures (instrument → money, signed) over the window. */
export function valueAtRisk(w: ReturnWindow, exposures: Record<string, bigint>): ValueAtRisk {
  const out: ValueAtRisk = {
    method: "historical-simulation",
    confidence: w.config.confidence,
    horizonUs: w.config.sampleUs,
    samples: w.samples.length,
  };
  if (w.samples.length < 2) return out;
  const pnl = pnlSeries(
    w,
    Object.entries(exposures).map(([i, v]) => [i, toNumber(v)] as const),
  );
  const tail = 1 - w.config.confidence;
  out.historical = Math.max(0, -quantile(pnl, tail));
  out.parametric = Math.max(0, -(mean(pnl) + normalQuantile(tail) * standardDeviation(pnl)));
  return out;
}
