import { z } from "zod";
import { defineMessage, type MessageOf } from "../contract/index.ts";
import { schema } from "../domain/index.ts";

/** What a regime actor publishes after each bar of its bar type (am.evt.regime.<venue>.<symbol>.RegimeEstimated). */
export const RegimeEstimated = defineMessage(
  "RegimeEstimated",
  1,
  z.object({
    instrument: schema.instrumentId,
    barType: z.string(),
    /** the most probable run length (MAP): bars since the current regime began */
    runLength: z.number().int().nonnegative(),
    expectedRunLength: z.number().nonnegative(),
    /** P(run length ≤ window): the probability that the regime changed within the last `window` bars */
    changeProbability: z.number().min(0).max(1),
    window: z.number().int().nonnegative(),
    /** the current regime's mean and standard deviation of one bar's log return (posterior of the MAP run) */
    regimeMean: z.number(),
    regimeVolatility: z.number().nonnegative(),
    /** bars the detector has seen since it started (warm-up excluded) */
    observations: z.number().int().nonnegative(),
    ...schema.stamped,
  }),
  "A regime actor's run-length posterior after one bar: the MAP run length, the probability of a recent change point, and the current regime's return mean and volatility.",
);
export type RegimeEstimated = MessageOf<typeof RegimeEstimated>;
