/**
 * Incremental marking for the per-tick path. A mark moves one instrument, so only its legs are revalued and the
 * book totals adjusted, instead of a pass over every position. The cache is rebuilt whenever the book object
 * changes (fills, limits, anything journaled). It is mutated in place: like the marks it is not journaled state.
 */
import { asMoney, type Money } from "../domain/index.ts";
import { absMoney, contractValue, type MarkTable, positionMark, type Totals } from "./portfolio.ts";
import type { RiskBook } from "./state.ts";

export interface Valuation {
  book: RiskBook | null;
  /** market value per position key */
  values: Map<string, Money>;
  /** position keys per instrument */
  keys: Map<string, string[]>;
  /** running sums of money units, adjusted per mark in place; branded as Money when totals are reported */
  value: bigint;
  cost: bigint;
  gross: bigint;
}

export const emptyValuation = (): Valuation => ({ book: null, values: new Map(), keys: new Map(), value: 0n, cost: 0n, gross: 0n });

const totalsOf = (v: Valuation, book: RiskBook): Totals => ({
  equity: asMoney(book.portfolio.cash + v.value),
  unrealisedPnl: asMoney(v.value - v.cost),
  grossExposure: asMoney(v.gross),
  netExposure: asMoney(v.value),
});

function rebuild(v: Valuation, book: RiskBook, marks: MarkTable): void {
  v.book = book;
  // New maps rather than clear(): a cache restored from a snapshot may not hold Maps any more.
  v.values = new Map();
  v.keys = new Map();
  v.value = 0n;
  v.cost = 0n;
  v.gross = 0n;
  for (const key in book.portfolio.positions) {
    const pos = book.portfolio.positions[key]!;
    if (pos.quantity === 0) continue;
    const mv = contractValue(positionMark(pos, marks, book.markSource), pos.quantity, book.instruments[pos.instrument]?.multiplier ?? 0);
    v.values.set(key, mv);
    const keys = v.keys.get(pos.instrument);
    if (keys) keys.push(key);
    else v.keys.set(pos.instrument, [key]);
    v.value += mv;
    v.cost += pos.cost;
    v.gross += absMoney(mv);
  }
}

/** Totals of the book at the current marks; after a mark of `instrument`, only that instrument is revalued. */
export function valuate(v: Valuation, book: RiskBook, marks: MarkTable, instrument?: string): Totals {
  if (v.book !== book || instrument === undefined) {
    rebuild(v, book, marks);
    return totalsOf(v, book);
  }
  for (const key of v.keys.get(instrument) ?? []) {
    const pos = book.portfolio.positions[key]!;
    const old = v.values.get(key)!;
    const mv = contractValue(positionMark(pos, marks, book.markSource), pos.quantity, book.instruments[pos.instrument]?.multiplier ?? 0);
    v.values.set(key, mv);
    v.value += mv - old;
    v.gross += absMoney(mv) - absMoney(old);
  }
  return totalsOf(v, book);
}
