import type { Delivered } from "../contract/index.ts";
import type { Bar, FactorWindow } from "../domain/index.ts";

export interface FeaturesInput {
  /** SYMBOL.VENUE */
  instrument: string;
  /** the bars the factors are computed from, e.g. "1m"; bars of other types are ignored */
  barType: string;
  /** the models that take the factor set: each bar's factors go to them as a Predict, answered on am.signal */
  models: readonly string[];
}

export interface FeaturesContext extends FeaturesInput {
  /** what the next bar's factors need (plain arrays: the snapshot as is) */
  window: FactorWindow;
  /** the open time of the last bar taken: a bar at or before it (a redelivery, a late bar) is ignored */
  lastOpenUs: number;
  /** bars taken, and factor rows published */
  bars: number;
  published: number;
}

export type FeaturesEvent = ({ type: "Bar" } & Bar & Delivered) | ({ type: "Tick" } & Delivered);

export const initialContext = (input: FeaturesInput): FeaturesContext => ({
  ...input,
  window: { closes: [], volumes: [] },
  lastOpenUs: -1,
  bars: 0,
  published: 0,
});
