import { z } from "zod";
import { OrderType, TimeInForce } from "../../actors/domain/index.ts";

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
export const venueCapabilitiesSetting = z.string().transform((text, ctx): Record<string, VenueCapabilitySetting> => {
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: `not JSON: ${(e as Error).message}` });
    return z.NEVER;
  }
  const r = z.record(z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, "a venue id like SIMX"), capabilities).safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    ctx.addIssue({ code: "custom", message: `${issue.path.join(".") || "value"}: ${issue.message}` });
    return z.NEVER;
  }
  return r.data;
});
