import { asPrice, type Price, type Quantity } from "../domain/fixed.ts";
import { Side } from "../domain/trading.ts";

/**
 * Where our resting limit orders stand in the queue at their price:
 * - `ladder` (the platform's default): the background is a fixed size per level; our orders fill when the market's
 *   quote moves onto their price (fill on touch), so the queue ahead never holds them back.
 * - `visible`: the quote's visible size at the best bid and ask is the queue ahead of an order that joins there;
 *   trade prints (am.md.trade) consume that queue in time priority, and our order fills only after the volume
 *   ahead of it has traded. Sizes that grow join behind us; sizes that shrink without a trade are cancels, taken
 *   from the back of the queue first.
 * - `l2`: recorded L2 data (RecordedBookEvent: levels and prints) is the book our resting limit orders queue in
 *   (l2-queue.ts: behind the size shown at arrival, consumed by prints, pro-rata cancels); other orders, and the
 *   background, are as under `ladder`.
 */
export type QueueModel = "ladder" | "visible" | "l2";

/**
 * The price our taker fills pay beyond the book's price (makers fill at their own price):
 * - `none`: the book's price;
 * - `fixed-bps`: `bps` basis points worse;
 * - `square-root`: `coefficientBps × √(quantity / volume)` basis points worse, the square-root impact law with
 *   `volume` the instrument's typical traded volume (e.g. a day's) in the same units as the order's quantity.
 * A limit order's fill never goes beyond its limit: the slippage is capped there.
 */
export type SlippageModel =
  | { model: "none" }
  | { model: "fixed-bps"; bps: number }
  | { model: "square-root"; coefficientBps: number; volume: Quantity };

export interface FillModel {
  queue: QueueModel;
  slippage: SlippageModel;
}

/** The platform's live default: fill on touch, no slippage. */
export const defaultFillModel: FillModel = { queue: "ladder", slippage: { model: "none" } };

/** Checks a fill model's numbers; the error names the field. */
export function checkFillModel(m: FillModel): FillModel {
  if (m.queue !== "ladder" && m.queue !== "visible" && m.queue !== "l2")
    throw new RangeError(`fills.queue: ${String(m.queue)} is not ladder, visible or l2`);
  const s = m.slippage;
  if (s.model === "fixed-bps" && !(Number.isFinite(s.bps) && s.bps >= 0 && s.bps <= 10_000))
    throw new RangeError(`fills.slippage.bps: ${s.bps} must be within 0..10000`);
  if (s.model === "square-root") {
    if (!(Number.isFinite(s.coefficientBps) && s.coefficientBps >= 0 && s.coefficientBps <= 10_000))
      throw new RangeError(`fills.slippage.coefficientBps: ${s.coefficientBps} must be within 0..10000`);
    if (!(Number.isInteger(s.volume) && s.volume > 0))
      throw new RangeError(`fills.slippage.volume: ${s.volume} must be a positive quantity`);
  }
  return m;
}

/** The slippage of a taker fill of `quantity` in basis points. */
export function slippageBps(m: SlippageModel, quantity: Quantity): number {
  if (m.model === "fixed-bps") return m.bps;
  if (m.model === "square-root") return m.coefficientBps * Math.sqrt(quantity / m.volume);
  return 0;
}

/**
 * A taker fill's price after slippage, in whole 1e-8 units rounded against the taker (a buyer pays the unit up, a
 * seller receives the unit down), and never beyond a limit order's `limit`.
 */
export function slippedPrice(m: SlippageModel, side: Side, price: Price, quantity: Quantity, limit?: Price): Price {
  const bps = slippageBps(m, quantity);
  if (bps === 0) return price;
  // whole units against the taker; the tolerance keeps an exact product (100.00 × 1 bps) from rounding a unit up
  const units = Math.ceil((price * bps) / 10_000 - 1e-6);
  if (side === Side.Buy) {
    const p = price + units;
    return asPrice(limit !== undefined && limit > 0 ? Math.max(price, Math.min(p, limit)) : p);
  }
  const p = Math.max(1, price - units);
  return asPrice(limit !== undefined && limit > 0 ? Math.min(price, Math.max(p, limit)) : p);
}
