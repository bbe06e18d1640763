import { asPrice, asQuantity, DECIMALS, type Price, parseFixed, type Quantity } from "../../actors/domain/index.ts";

/**
 * A vendor's decimal (a JSON number or a numeric string) as fixed-point units. JSON numbers are re-printed with
 * their shortest round-trip form, which is the decimal the vendor wrote; exponent forms are expanded first.
 * Throws FixedPointError naming the field when it is not a decimal or does not fit.
 */
export function vendorFixed(value: unknown, field: string): number {
  if (typeof value === "string") return parseFixed(value, field);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return parseFixed(String(value), field);
  }
  let text = String(value);
  if (/e/i.test(text)) text = Math.abs(value) < 1 ? value.toFixed(DECIMALS) : BigInt(Math.round(value)).toString();
  return parseFixed(text, field);
}

/** A vendor's price (see vendorFixed). */
export const vendorPrice = (value: unknown, field: string): Price => asPrice(vendorFixed(value, field));
/** A vendor's size or volume (see vendorFixed). */
export const vendorQuantity = (value: unknown, field: string): Quantity => asQuantity(vendorFixed(value, field));

/** A vendor integer (ids, counts, timestamps); throws naming the field otherwise. */
export function vendorInt(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new TypeError(`${field}: ${JSON.stringify(value)} is not an integer`);
  }
  return value;
}
