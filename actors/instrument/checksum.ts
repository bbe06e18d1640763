import type { RawBookUpdate } from "../domain/index.ts";
import type { OrderBook } from "./order-book.ts";

/**
 * Whether the book rebuilt from an update agrees with the checksum the feed sent with it: always when the update
 * carries none or checking is off. A disagreement means the book drifted from the venue's and must be resynced.
 */
export function checksumAgrees(book: OrderBook, update: RawBookUpdate, verify: boolean): boolean {
  return update.checksum === undefined || !verify || book.checksum() === update.checksum;
}
