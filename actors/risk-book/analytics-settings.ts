/** How the risk book computes its analytics, what a request asks, and how a section says it has no figures yet. */
import type { HypotheticalShock } from "../domain/index.ts";

export const YEAR_US = 365.25 * 86_400e6;

export interface AnalyticsSettings {
  /** the scheduled report's interval; 0 = no schedule */
  everyMs: number;
  /** return samples VaR needs before it is estimated */
  minSamples: number;
  /** the counterparties' credit where a venue's terms do not say: CDS spread (decimal), recovery, the discount rate */
  credit: CreditTerms;
  /** exposure profile times, years */
  exposureTimes: readonly number[];
  /** by venue (the counterparty): its own credit and its collateral agreement; a venue left out has the defaults, no CSA */
  counterparties: Readonly<Record<string, CounterpartyTerms>>;
}

export interface CreditTerms {
  spread: number;
  recoveryRate: number;
  riskFreeRate: number;
}

/** A CSA's terms as a setting states them: currency amounts and the margin period of risk in business days. */
export interface CollateralTerms {
  threshold: number;
  minimumTransfer: number;
  independentAmount: number;
  /** business days (252 a year) between the last margin call met and the close-out; Basel's floor is 10 */
  marginPeriodDays: number;
}

export interface CounterpartyTerms {
  credit?: Partial<CreditTerms> | undefined;
  collateral?: CollateralTerms | undefined;
}

export const defaultAnalyticsSettings: AnalyticsSettings = {
  everyMs: 5 * 60_000,
  minSamples: 20,
  credit: { spread: 0.01, recoveryRate: 0.4, riskFreeRate: 0.03 },
  exposureTimes: Array.from({ length: 12 }, (_, k) => (k + 1) / 12),
  counterparties: {},
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
