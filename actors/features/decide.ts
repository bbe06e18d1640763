import { parseInstrumentId, subjects, type Emitted } from "../contract/index.ts";
import { type Bar, BAR_FACTORS, nextFactors, toNumber } from "../domain/index.ts";
import type { FeaturesContext } from "./state.ts";

/**
 * One bar → the window after it and, once the window is full, its factors on am.md.features.<venue>.<symbol>, and
 * to each model that takes them a Predict whose answer, a ModelForecast, goes to am.signal.<model>.<venue>.<symbol>.
 * Bars of another type or instrument, and bars not after the last one taken (redelivered or late: taking them would
 * put a bar twice in the window, or out of order), change nothing.
 */
export function decideBar(c: FeaturesContext, bar: Bar, nowUs: number): { patch?: Partial<FeaturesContext>; emitted: Emitted[] } {
  if (bar.instrument !== c.instrument || bar.barType !== c.barType || bar.tsOpen <= c.lastOpenUs) return { emitted: [] };
  const r = nextFactors(c.window, {
    high: toNumber(bar.high),
    low: toNumber(bar.low),
    close: toNumber(bar.close),
    volume: toNumber(bar.volume),
  });
  const patch: Partial<FeaturesContext> = { window: r.window, lastOpenUs: bar.tsOpen, bars: c.bars + 1 };
  if (!r.factors) return { patch, emitted: [] };
  patch.published = c.published + 1;
  const message = {
    type: "BarFactors",
    instrument: c.instrument,
    barType: c.barType,
    tsOpen: bar.tsOpen,
    featureSet: BAR_FACTORS.name,
    version: BAR_FACTORS.version,
    factors: r.factors,
    tsEvent: bar.tsEvent,
    tsInit: nowUs,
  };
  const id = parseInstrumentId(c.instrument);
  const emitted: Emitted[] = [{ type: "publish", subject: subjects.md("features", id), message }];
  const forecastFor = { instrument: c.instrument, barType: c.barType, tsEvent: bar.tsEvent };
  for (const model of c.models) {
    const predict = {
      type: "Predict",
      requestId: `${c.instrument}/${c.barType}/${bar.tsOpen}`,
      replyTo: subjects.signal(model, id),
      features: r.factors,
      forecastFor,
      tsInit: nowUs,
    };
    emitted.push({ type: "publish", subject: subjects.cmd("model", model), message: predict });
  }
  return { patch, emitted };
}
