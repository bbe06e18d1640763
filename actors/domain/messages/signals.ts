import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { BAR_FACTORS } from "../bar-factors.ts";
import { instrumentId, micros, stamped } from "./schemas.ts";

const finite = z.number().finite();
const barType = z.string().regex(/^\d+(ms|s|m|h|d|t|v)$/);

/**
 * One bar's factors ("bar-factors" v1, actors/domain/bar-factors.ts), published by the instrument's feature actor on
 * am.md.features.<venue>.<symbol> and recorded in QuestDB. tsEvent is the bar's close: the factors exist from then on.
 */
export const BarFactors = defineMessage(
  "BarFactors",
  1,
  z.object({
    instrument: instrumentId,
    barType,
    /** the bar's open time (its identity, as in the bars table) */
    tsOpen: micros,
    featureSet: z.literal(BAR_FACTORS.name),
    version: z.literal(BAR_FACTORS.version),
    factors: z.object({ ret1: finite, ret5: finite, vol20: finite, range: finite, volumeRatio: finite }),
    ...stamped,
  }),
  "The factor set bar-factors v1 of one bar of an instrument (returns, volatility, range, volume ratio), point in time.",
);
export type BarFactors = MessageOf<typeof BarFactors>;

/**
 * A model's forecast for one instrument from one bar's features, published by the model actor on
 * am.signal.<model>.<venue>.<symbol>. tsEvent is the features' (the bar's close), so a strategy can line it up with
 * the bar it forecasts from.
 */
export const ModelForecast = defineMessage(
  "ModelForecast",
  1,
  z.object({
    model: z.string().min(1),
    version: z.number().int().positive(),
    instrument: instrumentId,
    barType,
    /** the model's first output: the next bar's return, for the repository's models */
    forecast: finite,
    ...stamped,
  }),
  "A model's forecast (the next bar's return) for one instrument, from the features of the bar that closed at tsEvent.",
);
export type ModelForecast = MessageOf<typeof ModelForecast>;
