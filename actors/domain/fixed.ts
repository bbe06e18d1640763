import type { z } from "zod";

/**
 * Fixed-point numbers. Prices and quantities are integers counting 1e-8 units (8 decimals), held in a JS number:
 * exact up to 2^53 units, i.e. values below 90 071 992. Money (notional, P&L, cash) is a bigint of the same unit,
 * so products of price and quantity never lose a digit. Binary floats appear only at the edges (display) and in
 * statistics.
 */
export const DECIMALS = 8;
export const SCALE = 100_000_000;
const SCALE_N = 100_000_000n;

/*
 * Price, Quantity and Money are branded so that one cannot be passed for another (nor a bare number for either).
 * The brand is zod's, so the message schemas' `.brand()` infers exactly these types; it exists only for the type
 * checker: at run time each is a plain number or bigint, and the constructors below are identity functions.
 */
/** A price in 1e-8 units. */
export type Price = number & z.core.$brand<"Price">;
/** A quantity in 1e-8 units. */
export type Quantity = number & z.core.$brand<"Quantity">;
/** An amount of money in 1e-8 units of the account currency. */
export type Money = bigint & z.core.$brand<"Money">;

/** Brands integer units as a Price: the one place, besides parsing, where a plain number becomes a price. */
export const asPrice = (units: number): Price => units as Price;
/** Brands integer units as a Quantity. */
export const asQuantity = (units: number): Quantity => units as Quantity;
/** Brands bigint units as Money. */
export const asMoney = (units: bigint): Money => units as Money;

/** Zero of each kind: no price yet (no trade, an empty side), nothing filled, no money. */
export const ZERO_PRICE = asPrice(0);
export const ZERO_QUANTITY = asQuantity(0);
export const ZERO_MONEY = asMoney(0n);

export class FixedPointError extends Error {
  override name = "FixedPointError";
}

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parses a decimal string ("123.45") into 1e-8 units; more than 8 decimals or out of range is an error. */
export function parseFixed(text: string, field = "value"): number {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m) throw new FixedPointError(`${field}: ${JSON.stringify(text)} is not a decimal number`);
  const frac = m[3] ?? "";
  if (frac.length > DECIMALS && /[1-9]/.test(frac.slice(DECIMALS))) {
    throw new FixedPointError(`${field}: ${text} has more than ${DECIMALS} decimals`);
  }
  const units = BigInt(m[2]!) * SCALE_N + BigInt(frac.slice(0, DECIMALS).padEnd(DECIMALS, "0"));
  const signed = m[1] ? -units : units;
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FixedPointError(`${field}: ${text} is out of range for a fixed-point value`);
  }
  return Number(signed);
}

/** Parses a decimal string ("101.25") into a Price; the error names the field. */
export const parsePrice = (text: string, field = "price"): Price => parseFixed(text, field) as Price;
/** Parses a decimal string ("10") into a Quantity; the error names the field. */
export const parseQuantity = (text: string, field = "quantity"): Quantity => parseFixed(text, field) as Quantity;

/** Parses a decimal string into Money (bigint units). */
export function parseMoney(text: string, field = "amount"): Money {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m) throw new FixedPointError(`${field}: ${JSON.stringify(text)} is not a decimal number`);
  const frac = (m[3] ?? "").padEnd(DECIMALS, "0");
  if (/[1-9]/.test(frac.slice(DECIMALS))) throw new FixedPointError(`${field}: ${text} has more than ${DECIMALS} decimals`);
  const units = BigInt(m[2]!) * SCALE_N + BigInt(frac.slice(0, DECIMALS));
  return (m[1] ? -units : units) as Money;
}

/** Formats units as a decimal string without trailing zeros: 12345000000 → "123.45". */
export function formatFixed(units: number | bigint): string {
  const n = BigInt(units);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const int = abs / SCALE_N;
  const frac = (abs % SCALE_N).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

/** Integer units from a JS number of whole units (for tests and simulators): fromNumber(1.5) → 150000000. */
export function fromNumber(value: number): number {
  return Math.round(value * SCALE);
}

/** A Price from a JS number of whole units (for tests and simulators): priceOf(101.25). */
export const priceOf = (value: number): Price => fromNumber(value) as Price;
/** A Quantity from a JS number of whole units (for tests and simulators): quantityOf(10). */
export const quantityOf = (value: number): Quantity => fromNumber(value) as Quantity;
/** Money from a JS number of whole units (for tests and simulators): moneyOf(1_000). */
export const moneyOf = (value: number): Money => BigInt(fromNumber(value)) as Money;

/** A float approximation, for statistics and display only. */
export function toNumber(units: number | bigint): number {
  return Number(units) / SCALE;
}

/** price × quantity as Money, exact. */
export function notional(price: Price, qty: Quantity): Money {
  return ((BigInt(price) * BigInt(qty)) / SCALE_N) as Money;
}

/** Sum of two quantities (fills adding up, positions growing). */
export const addQuantity = (a: Quantity, b: Quantity): Quantity => (a + b) as Quantity;
/** Difference of two quantities (what is left, what changed); may be negative for a signed position. */
export const subtractQuantity = (a: Quantity, b: Quantity): Quantity => (a - b) as Quantity;
/** Sum of two amounts of money. */
export const addMoney = (a: Money, b: Money): Money => (a + b) as Money;
/** Difference of two amounts of money. */
export const subtractMoney = (a: Money, b: Money): Money => (a - b) as Money;

/**
 * Rounds a price (or a quantity) to the instrument's increment of the same kind (tick size or lot size), towards
 * negative infinity, positive infinity or the nearest step.
 */
export function roundToIncrement<T extends Price | Quantity>(value: T, increment: T, mode: "down" | "up" | "nearest" = "nearest"): T {
  const q = value / increment;
  const k = mode === "down" ? Math.floor(q) : mode === "up" ? Math.ceil(q) : Math.round(q);
  return (k * increment) as T;
}

export const isOnGrid = (value: number, increment: number): boolean => increment > 0 && value % increment === 0;
