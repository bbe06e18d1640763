import { asPrice, asQuantity, bookChecksum, type Price, type Quantity, ZERO_QUANTITY } from "../../domain/index.ts";
import type { Xoshiro128 } from "./prng.ts";

export type LevelChange = [Price, Quantity];

/**
 * The simulated venue's L2 book: `depth` consecutive tick levels per side from the best price outwards, best
 * first. Levels that stay keep their size; new ones get a fresh size that grows with distance from the touch.
 */
export class VenueBook {
  readonly bidPrices: Price[] = [];
  readonly bidSizes: Quantity[] = [];
  readonly askPrices: Price[] = [];
  readonly askSizes: Quantity[] = [];
  private readonly scratchPrices: Price[] = [];
  private readonly scratchSizes: Quantity[] = [];

  constructor(
    readonly depth: number,
    readonly tick: Price,
    readonly lot: Quantity,
    readonly meanLots: number,
  ) {}

  freshSize(level: number, rng: Xoshiro128): Quantity {
    return asQuantity(this.lot * (1 + Math.floor(rng.exponential(this.meanLots * (1 + 0.3 * level)))));
  }

  /** Moves the ladders to best bid `bidTick`·tick and best ask `askTick`·tick, writing the changed levels. */
  reprice(bidTick: number, askTick: number, rng: Xoshiro128, bids: LevelChange[], asks: LevelChange[]): void {
    this.side(this.bidPrices, this.bidSizes, bidTick, -1, rng, bids);
    this.side(this.askPrices, this.askSizes, askTick, 1, rng, asks);
  }

  private side(prices: Price[], sizes: Quantity[], bestTick: number, dir: number, rng: Xoshiro128, out: LevelChange[]): void {
    const np = this.scratchPrices;
    const ns = this.scratchSizes;
    np.length = 0;
    ns.length = 0;
    for (let i = 0; i < this.depth; i++) {
      const t = bestTick + dir * i;
      if (t < 1) break;
      const p = asPrice(t * this.tick);
      const old = prices.indexOf(p);
      np.push(p);
      if (old >= 0) ns.push(sizes[old]!);
      else {
        const s = this.freshSize(i, rng);
        ns.push(s);
        out.push([p, s]);
      }
    }
    for (let i = 0; i < prices.length; i++) if (!np.includes(prices[i]!)) out.push([prices[i]!, ZERO_QUANTITY]);
    prices.length = 0;
    sizes.length = 0;
    for (let i = 0; i < np.length; i++) {
      prices.push(np[i]!);
      sizes.push(ns[i]!);
    }
  }

  checksum(): number {
    return bookChecksum(this.bidPrices, this.bidSizes, this.bidPrices.length, this.askPrices, this.askSizes, this.askPrices.length);
  }
}
