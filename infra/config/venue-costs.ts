import { z } from "zod";
import { jsonByVenue } from "./by-venue.ts";

/** Trading costs of one simulated venue: maker/taker fees in bps (two decimals, negative = rebate) and latency. */
export interface VenueCosts {
  makerFeeBps: number;
  takerFeeBps: number;
  /** one-way delay of our commands: fixed, plus uniform jitter, in µs */
  latencyUs: number;
  jitterUs: number;
}

const bps = z
  .number()
  .min(-10_000, "at least -10000 bps")
  .max(10_000, "at most 10000 bps")
  .refine((v) => Math.abs(Math.round(v * 100) - v * 100) < 1e-9, "at most two decimals of a bps");
const micros = z.number().int("whole µs").min(0, "not negative").max(10_000_000, "at most 10 s");
const costs = z.strictObject({
  makerFeeBps: bps.default(0),
  takerFeeBps: bps.default(0),
  latencyUs: micros.default(0),
  jitterUs: micros.default(0),
});

/**
 * AM_VENUE_COSTS: a JSON object by venue, e.g. {"SIMX":{"takerFeeBps":1.5,"makerFeeBps":-0.25,"latencyUs":200}};
 * empty = no fees and no latency anywhere. An error names the venue and the field.
 */
export const venueCostsSetting = jsonByVenue(costs);
