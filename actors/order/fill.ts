/**
 * Fill accounting in fixed point. Quantities and prices are integers of 1e-8 units; the sum of price × quantity
 * is kept exactly as a bigint (1e-16 units, carried as a decimal string so snapshots stay plain data), and the
 * average price is that sum divided by cumQty, rounded half up (all values are positive, so ties go away from zero).
 */
import { addQuantity, asPrice, type Price, type Quantity, ZERO_PRICE, ZERO_QUANTITY } from "../domain/index.ts";

export interface FillTotals {
  cumQty: Quantity;
  /** Σ lastPx × lastQty, exact, as a decimal bigint string */
  pxQty: string;
  avgPx: Price;
}

export const noFills: FillTotals = { cumQty: ZERO_QUANTITY, pxQty: "0", avgPx: ZERO_PRICE };

/** Divides rounding half up; both operands positive. */
export function divRoundHalfUp(num: bigint, den: bigint): bigint {
  return (num * 2n + den) / (den * 2n);
}

export function addFill(t: FillTotals, lastQty: Quantity, lastPx: Price): FillTotals {
  const cumQty = addQuantity(t.cumQty, lastQty);
  if (!Number.isSafeInteger(cumQty)) throw new RangeError(`cumQty ${cumQty} is out of the fixed-point range`);
  const pxQty = BigInt(t.pxQty) + BigInt(lastPx) * BigInt(lastQty);
  return { cumQty, pxQty: pxQty.toString(), avgPx: asPrice(Number(divRoundHalfUp(pxQty, BigInt(cumQty)))) };
}
