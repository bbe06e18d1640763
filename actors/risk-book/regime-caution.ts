/**
 * Regime caution: the book hears each marked instrument's RegimeEstimated (actors/regime) and, under the limits'
 * `regimeScale`, holds an instrument "cautious" from a change probability above the threshold until its run length
 * exceeds `holdBars` (with the probability back at or below the threshold). While cautious, the instrument's
 * maxPosition and maxOrderNotional are scaled by `factor`. Not journaled, like the marks: a restored book hears
 * the next estimates again, and an instrument never estimated is never cautious.
 */
import { asMoney, asQuantity, type Money, type Quantity, type RiskLimits } from "../domain/index.ts";

export interface RegimeCaution {
  cautious: boolean;
  changeProbability: number;
  runLength: number;
  /** the bar time of the estimate that made the instrument cautious (0 when it is not) */
  sinceUs: number;
}

export type RegimeTable = Record<string, RegimeCaution>;

/** The part of a RegimeEstimated the book reads. */
export interface RegimeHeard {
  instrument: string;
  changeProbability: number;
  runLength: number;
  /** bars the detector has observed, and the window of its changeProbability */
  observations: number;
  window: number;
  tsEvent: number;
}

/**
 * Updates the instrument's caution in place from an estimate; without `regimeScale` nothing is ever cautious.
 * A detector that has observed no more than `window` bars holds every run within the window (changeProbability
 * 1 by construction), so its estimates are not heard until it has.
 */
export function hearRegime(table: RegimeTable, e: RegimeHeard, limits: RiskLimits): void {
  if (e.observations <= e.window) return;
  const rule = limits.regimeScale;
  const was = table[e.instrument];
  let cautious = false;
  let sinceUs = 0;
  if (rule) {
    if (e.changeProbability > rule.threshold) {
      cautious = true;
      sinceUs = was?.cautious ? was.sinceUs : e.tsEvent;
    } else if (was?.cautious && e.runLength <= rule.holdBars) {
      cautious = true;
      sinceUs = was.sinceUs;
    }
  }
  table[e.instrument] = { cautious, changeProbability: e.changeProbability, runLength: e.runLength, sinceUs };
}

/** The fraction a cautious instrument's limits are scaled by, or undefined when they apply in full. */
export function regimeFactor(table: RegimeTable | undefined, limits: RiskLimits, instrument: string): number | undefined {
  const rule = limits.regimeScale;
  return rule && table?.[instrument]?.cautious ? rule.factor : undefined;
}

/** Factors are applied in parts per million, in bigint (fixed-point units × 1e6 overflow a double), rounded down. */
const PPM = 1_000_000n;
const ppm = (factor: number): bigint => BigInt(Math.round(factor * 1_000_000));

export const scaledQuantity = (q: Quantity, factor: number): Quantity => asQuantity(Number((BigInt(q) * ppm(factor)) / PPM));

export const scaledMoney = (m: Money, factor: number): Money => asMoney((m * ppm(factor)) / PPM);
