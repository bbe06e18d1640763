import { z } from "zod";
import { OrderType, TimeInForce } from "../../actors/domain/index.ts";
import { jsonByVenue } from "./by-venue.ts";

/** What one venue accepts natively; the order actor emulates stops and GTD where it lacks them. */
export interface VenueCapabilitySetting {
  orderTypes: OrderType[];
  timesInForce: TimeInForce[];
  postOnly: boolean;
  reduceOnly: boolean;
}

const orderTypes = Object.values(OrderType);
const timesInForce = Object.values(TimeInForce);
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
});

/**
 * AM_VENUE_CAPABILITIES: a JSON object by venue, e.g. {"SIMX":{"orderTypes":["MARKET","LIMIT"],"timesInForce":
 * ["DAY","GTC","IOC","FOK"]}}; a field left out, or a venue not named, means everything. An error names the venue
 * and the field.
 */
export const venueCapabilitiesSetting = jsonByVenue(capabilities);
