import { bookChecksum } from "../domain/index.ts";

/** A [price, size] level in fixed-point units, as messages carry it. */
export type Level = readonly [number, number];

/**
 * One side of an L2 book as two parallel sorted arrays (best first): a level update is a binary search plus, for a
 * new or removed level, one splice. Books hold tens of levels, so this beats a tree and allocates nothing per update.
 */
export class BookSide {
  readonly prices: number[] = [];
  readonly sizes: number[] = [];
  constructor(readonly descending: boolean) {}

  get depth(): number {
    return this.prices.length;
  }

  /** Index of `price`, or of where it would go. */
  private find(price: number): number {
    const p = this.prices;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const better = this.descending ? p[mid]! > price : p[mid]! < price;
      if (better) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sets a level; size 0 removes it. */
  set(price: number, size: number): void {
    const i = this.find(price);
    if (i < this.prices.length && this.prices[i] === price) {
      if (size === 0) {
        this.prices.splice(i, 1);
        this.sizes.splice(i, 1);
      } else this.sizes[i] = size;
    } else if (size !== 0) {
      this.prices.splice(i, 0, price);
      this.sizes.splice(i, 0, size);
    }
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.length = 0;
  }

  levels(depth = this.prices.length): [number, number][] {
    const n = Math.min(depth, this.prices.length);
    const out: [number, number][] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [this.prices[i]!, this.sizes[i]!];
    return out;
  }
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);

  apply(bids: readonly Level[], asks: readonly Level[]): void {
    for (let i = 0; i < bids.length; i++) this.bids.set(bids[i]![0], bids[i]![1]);
    for (let i = 0; i < asks.length; i++) this.asks.set(asks[i]![0], asks[i]![1]);
  }

  replace(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.clear();
    this.asks.clear();
    this.apply(bids, asks);
  }

  /** best bid ≥ best ask */
  get crossed(): boolean {
    return this.bids.depth > 0 && this.asks.depth > 0 && this.bids.prices[0]! >= this.asks.prices[0]!;
  }

  checksum(): number {
    const b = this.bids;
    const a = this.asks;
    return bookChecksum(b.prices, b.sizes, b.depth, a.prices, a.sizes, a.depth);
  }
}
