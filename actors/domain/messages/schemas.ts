import { z } from "zod";
import { parseInstrumentId } from "../../contract/index.ts";
import { orderTypes, sides, timesInForce } from "../trading.ts";

/** Building blocks of message schemas. Fixed-point values are integers of 1e-8 units (see fixed.ts). */
export const units = z.number().int().refine(Number.isSafeInteger, "must be a safe integer of 1e-8 units");
export const positiveUnits = units.refine((n) => n > 0, "must be positive");
export const nonNegativeUnits = units.refine((n) => n >= 0, "must not be negative");
/*
 * Prices and quantities share one wire form but not one meaning: each field takes the schema of its meaning, whose
 * brand (type-only in zod 4, no run-time node) makes the inferred message type carry Price or Quantity.
 */
/** Any price (a raw vendor tick is checked for meaning later). */
export const price = units.brand<"Price">();
export const positivePrice = positiveUnits.brand<"Price">();
export const nonNegativePrice = nonNegativeUnits.brand<"Price">();
/** Any quantity, signed (a position) or raw. */
export const quantity = units.brand<"Quantity">();
export const positiveQuantity = positiveUnits.brand<"Quantity">();
export const nonNegativeQuantity = nonNegativeUnits.brand<"Quantity">();
export const money = z
  .union([z.bigint(), z.number().int()])
  .transform((v) => BigInt(v))
  .brand<"Money">();
export const micros = z.number().int().nonnegative();
export const instrumentId = z.string().refine((s) => {
  try {
    parseInstrumentId(s);
    return true;
  } catch {
    return false;
  }
}, "must be SYMBOL.VENUE");
export const side = z.enum(sides);
export const orderType = z.enum(orderTypes);
export const timeInForce = z.enum(timesInForce);
/** Every record carries when it happened and when we created it. */
export const stamped = { tsEvent: micros, tsInit: micros };
