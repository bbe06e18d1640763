import { z } from "zod";
import { parseInstrumentId } from "../../contract/index.ts";
import { orderTypes, sides, timesInForce } from "../trading.ts";

/** Building blocks of message schemas. Fixed-point values are integers of 1e-8 units (see fixed.ts). */
export const units = z.number().int().refine(Number.isSafeInteger, "must be a safe integer of 1e-8 units");
export const positiveUnits = units.refine((n) => n > 0, "must be positive");
export const nonNegativeUnits = units.refine((n) => n >= 0, "must not be negative");
export const money = z.union([z.bigint(), z.number().int()]).transform((v) => BigInt(v));
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
