/** How the risk book computes its analytics, what a request asks, and how a section says it has no figures yet. */
import type { HypotheticalShock } from "../domain/index.ts";

export const YEAR_US = 365.25 * 86_400e6;

export interface AnalyticsSettings {
  /** the scheduled report's interval; 0 = no schedule */
  everyMs: number;
  /** return samples VaR needs before it is estimated */
  minSamples: number;
  /** the counterparties' credit: CDS spread (decimal), recovery, and the discount rate */
  credit: { spread: number; recoveryRate: number; riskFreeRate: number };
  /** exposure profile times, years */
  exposureTimes: readonly number[];
}

export const defaultAnalyticsSettings: AnalyticsSettings = {
  everyMs: 5 * 60_000,
  minSamples: 20,
  credit: { spread: 0.01, recoveryRate: 0.4, riskFreeRate: 0.03 },
  exposureTimes: Array.from({ length: 12 }, (_, k) => (k + 1) / 12),
};

export interface AnalyticsRequest {
  confidence: number;
  paths: number;
  seed: number;
  /** historical scenario names; absent = all */
  scenarios?: readonly string[] | undefined;
  hypothetical: readonly HypotheticalShock[];
}

export const scheduledRequest: AnalyticsRequest = { confidence: 0.99, paths: 2_000, seed: 1, hypothetical: [] };

export type Section<T> = ({ available: true } & T) | { available: false; reason: string };

/** A request the book cannot run: the field it got wrong, and why. */
export class AnalyticsRequestError extends Error {}

export const unavailable = (reason: string): { available: false; reason: string } => ({ available: false, reason });
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
