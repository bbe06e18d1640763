/**
 * Fill accounting in fixed point. Quantities and prices are integers of 1e-8 units; the sum of price × quantity
 * is kept exactly as a bigint (1e-16 units, carried as a decimal string so snapshots stay plain data), and the
 * average price is that sum divided by cumQty, rounded half up (all values are positive, so ties go away from zero).
 */
export interface FillTotals {
  cumQty: number;
  /** Σ lastPx × lastQty, exact, as a decimal bigint string */
  pxQty: string;
  avgPx: number;
}

export const noFills: FillTotals = { cumQty: 0, pxQty: "0", avgPx: 0 };

/** Divides rounding half up; both operands positive. */
export function divRoundHalfUp(num: bigint, den: bigint): bigint {
  return (num * 2n + den) / (den * 2n);
}

export function addFill(t: FillTotals, lastQty: number, lastPx: number): FillTotals {
  const cumQty = t.cumQty + lastQty;
  if (!Number.isSafeInteger(cumQty)) throw new RangeError(`cumQty ${cumQty} is out of the fixed-point range`);
  const pxQty = BigInt(t.pxQty) + BigInt(lastPx) * BigInt(lastQty);
  return { cumQty, pxQty: pxQty.toString(), avgPx: Number(divRoundHalfUp(pxQty, BigInt(cumQty))) };
}
