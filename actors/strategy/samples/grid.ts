/** Statistics are floats; what leaves a strategy is fixed-point on the instrument's grid. */
import { asQuantity, type Price, priceOf, type Quantity, quantityOf, roundToIncrement, ZERO_QUANTITY } from "../../domain/index.ts";

/** A float quantity as whole lots, rounded towards zero so sizing never exceeds its budget. */
export function toLots(quantity: number, lotSize: Quantity): Quantity {
  if (!Number.isFinite(quantity) || quantity === 0) return ZERO_QUANTITY;
  const units = roundToIncrement(quantityOf(Math.abs(quantity)), lotSize, "down");
  return quantity < 0 ? asQuantity(-units) : units;
}

/** A float price on the tick grid; "down" for bids, "up" for asks keeps quotes at least as wide as computed. */
export function toTicks(price: number, tickSize: Price, mode: "down" | "up" | "nearest"): Price {
  return roundToIncrement(priceOf(price), tickSize, mode);
}
