import { type Money, type Price, type Quantity, asMoney } from "../../domain/fixed.ts";

/**
 * Maker/taker fees. A rate is in basis points with at most two decimals (-0.25 bps is a rebate), held as an
 * integer of hundredths of a basis point so the formula stays exact:
 *
 *   fee = ceil(price × quantity × rateCbps / (1e8 × 1e4 × 100))    in 1e-8 units of the quote currency
 *
 * computed on the full bigint product (not on the truncated notional), rounded towards +∞: a charge rounds up and
 * a rebate rounds towards zero, so the venue never undercharges nor over-rebates by a fraction of a unit.
 */
const FEE_DENOMINATOR = 100_000_000n * 10_000n * 100n;

/** Converts a rate in bps (at most two decimals) to integer hundredths of a bps; anything finer is an error. */
export function feeRateCbps(bps: number, field = "feeBps"): number {
  const cbps = Math.round(bps * 100);
  if (!Number.isFinite(bps) || Math.abs(cbps - bps * 100) > 1e-9 || Math.abs(bps) > 10_000) {
    throw new RangeError(`${field}: ${bps} must be a number of basis points within ±10000 with at most two decimals`);
  }
  return cbps;
}

/** The exact fee of one execution; negative is a rebate paid to the owner. */
export function executionFee(price: Price, quantity: Quantity, rateCbps: number): Money {
  const product = BigInt(price) * BigInt(quantity) * BigInt(rateCbps);
  // bigint division truncates towards zero, which for a negative product is already the ceiling
  return asMoney(product >= 0n ? (product + FEE_DENOMINATOR - 1n) / FEE_DENOMINATOR : product / FEE_DENOMINATOR);
}
