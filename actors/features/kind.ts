import { defineKind, parseInstrumentId, subjects } from "../contract/index.ts";
import "../domain/index.ts"; // BarFactors is known to the codec wherever the kind is hosted
import { featuresMachine } from "./machine.ts";
import type { FeaturesContext } from "./state.ts";

export interface FeaturesHosting {
  /** the bar type the factors are computed from (default "1m", the bars the models were trained on) */
  barType?: string;
  /** the deployed models whose inputs are the factor set (their card's featureSet is bar-factors v1) */
  models?: readonly string[];
}

/**
 * One feature actor per instrument (id = SYMBOL.VENUE), hearing its instrument's bars. Snapshotted: the window is
 * 41 numbers, and a restored actor goes on from it instead of waiting twenty bars for its next factors.
 */
export const featuresKind = ({ barType = "1m", models = [] }: FeaturesHosting = {}) =>
  defineKind({
    name: "features",
    machine: featuresMachine,
    input: (id) => ({ instrument: id, barType, models }),
    consumes: (id) => [subjects.md("bar", parseInstrumentId(id))],
    persistence: "snapshot",
    snapshotEveryMs: 5_000,
    supervision: { restart: "permanent", maxRestarts: 5, periodMs: 30_000, backoffMinMs: 10, backoffMaxMs: 2_000 },
    summarize: (context) => {
      const c = context as FeaturesContext;
      return { barType: c.barType, models: c.models.join(", "), bars: c.bars, published: c.published, lastOpenUs: c.lastOpenUs };
    },
  });
