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
  const expo = Object.entries(exposures).map(([i, v]) => [i, toNumber(v)] as const);
  const pnl = w.samples.map((s) => {
    let sum = 0;
    for (const [i, v] of expo) sum += v * (s[i] ?? 0);
    return sum;
  });
  const tail = 1 - w.config.confidence;
  out.historical = Math.max(0, -quantile(pnl, tail));
  out.parametric = Math.max(0, -(mean(pnl) + normalQuantile(tail) * standardDeviation(pnl)));
  return out;
}
