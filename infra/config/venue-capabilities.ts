import { z } from "zod";
import { Contingency, OrderType, TimeInForce } from "../../actors/domain/index.ts";
import { jsonByVenue } from "./by-venue.ts";

/** What one venue accepts natively; the order actor emulates stops and GTD where it lacks them. */
export interface VenueCapabilitySetting {
  orderTypes: OrderType[];
  timesInForce: TimeInForce[];
  postOnly: boolean;
  reduceOnly: boolean;
  /** the order lists it holds natively (left out: none; the platform holds them) */
  lists?: Contingency[];
}

const orderTypes = Object.values(OrderType);
const timesInForce = Object.values(TimeInForce);
const contingencies = Object.values(Contingency);
const capabilities = z.strictObject({
  orderTypes: z
    .array(z.enum(orderTypes as [OrderType, ...OrderType[]]))
    .min(1, "at least one order type")
    .default(orderTypes),
  timesInForce: z
    .array(z.enum(timesInForce as [TimeInForce, ...TimeInForce[]]))
    .min(1, "at least one time in force")
    .default(timesInForce),
  postOnly: z.boolean().default(true),
  reduceOnly: z.boolean().default(true),
  // no default: a venue holds no list natively unless it says so, so the platform's emulation stays the rule
  lists: z.array(z.enum(contingencies as [Contingency, ...Contingency[]])).optional(),
});

/**
 * AM_VENUE_CAPABILITIES: a JSON object by venue, e.g. {"SIMX":{"orderTypes":["MARKET","LIMIT"],"timesInForce":
 * ["DAY","GTC","IOC","FOK"]}}; a field left out, or a venue not named, means everything, except `lists` (the order
 * lists it holds natively, e.g. ["OCO","OTO","BRACKET"]), which means none. An error names the venue and the field.
 */
export const venueCapabilitiesSetting = jsonByVenue(capabilities);
