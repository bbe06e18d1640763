import type { Emitted } from "../contract/index.ts";
import type { Bar } from "../domain/index.ts";
import type { RegimeContext } from "./state.ts";

/** Whether the detector takes this bar: of its bar type, and later than the last bar taken. */
export const takes = (c: RegimeContext, bar: Bar): boolean => bar.barType === c.settings.barType && bar.tsEvent > c.lastTsEvent;

/** The bar's log return over the previous bar taken; none for the first. Prices are positive (the Bar schema). */
export const logReturnOf = (c: RegimeContext, bar: Bar): number | undefined =>
  c.lastClose === undefined ? undefined : Math.log(bar.close / c.lastClose);

/** The estimate after a bar the detector observed, in return units. */
export function estimated(c: RegimeContext, bar: Bar, nowUs: number): Emitted[] {
  const v = c.latest;
  if (!v || !c.model) return [];
  return [
    {
      type: "domain",
      event: {
        type: "RegimeEstimated",
        instrument: c.instrument,
        barType: c.settings.barType,
        runLength: v.runLength,
        expectedRunLength: v.expectedRunLength,
        changeProbability: v.changeProbability,
        window: c.settings.window,
        regimeMean: v.mean * c.scale,
        regimeVolatility: v.deviation * c.scale,
        observations: c.model.observations,
        tsEvent: bar.tsEvent,
        tsInit: nowUs,
      },
    },
  ];
}
