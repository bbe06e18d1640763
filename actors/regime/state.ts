import type { Delivered } from "../contract/index.ts";
import type { Bar } from "../domain/index.ts";
import type { ChangepointSettings, ChangepointState, RunLengthView } from "./changepoint.ts";

export interface RegimeSettings extends ChangepointSettings {
  /** the bars whose log returns are observed, e.g. "1m" (an instrument publishes several bar types on one subject) */
  barType: string;
  /** returns collected before detection starts: their standard deviation scales the observations */
  warmupBars: number;
}

export const defaultRegimeSettings: RegimeSettings = {
  barType: "1m",
  hazard: 1 / 250,
  // in units of the warm-up volatility: a regime's mean near 0, its variance near 1, both uncertain
  prior: { mu: 0, kappa: 1, alpha: 1, beta: 1 },
  maxRunLength: 500,
  window: 5,
  warmupBars: 30,
};

export interface RegimeMachineInput {
  instrument: string;
  settings: RegimeSettings;
}

export interface RegimeContext extends RegimeMachineInput {
  lastClose?: number;
  /** close time of the last bar taken (µs): older or repeated bars are ignored */
  lastTsEvent: number;
  /** the latest warm-up log returns, at most warmupBars */
  warmup: number[];
  /** the warm-up returns' standard deviation; observations are log returns divided by it */
  scale: number;
  model?: ChangepointState;
  latest?: RunLengthView;
}

export type RegimeEvent = Bar & { type: "Bar" } & Delivered;
