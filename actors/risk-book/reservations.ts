/**
 * What the book's open orders reserve, per instrument, for the pre-trade check. Summing every open order on each
 * check cost O(open orders) per approval, so the sums are kept beside each `pending` record and follow it: evolve
 * changes an open order only through `setPending`, which updates them. They are derived, never journaled; a pending
 * record seen for the first time (a replayed or restored book, a test's) is summed once.
 */
import type { Price } from "../domain/index.ts";
import type { PendingOrder } from "./state.ts";

/** Pending quantity of one instrument by direction (buys, sells, and those that open a hedging leg), in plain
 * quantity units: sums of quantities, branded where the pre-trade check values them. */
export interface Reserved {
  buys: number;
  sells: number;
  openLong: number;
  openShort: number;
  /** open orders counted here: the entry goes when the last one does */
  orders: number;
}

type Pending = Record<string, PendingOrder>;

const sumsOf = new WeakMap<Pending, Map<string, Reserved>>();

function add(sums: Map<string, Reserved>, o: PendingOrder, sign: 1 | -1): void {
  let r = sums.get(o.instrument);
  if (!r) {
    r = { buys: 0, sells: 0, openLong: 0, openShort: 0, orders: 0 };
    sums.set(o.instrument, r);
  }
  if (o.side === "BUY") {
    r.buys += sign * o.remaining;
    if (o.positionSide !== "SHORT") r.openLong += sign * o.remaining;
  } else {
    r.sells += sign * o.remaining;
    if (o.positionSide !== "LONG") r.openShort += sign * o.remaining;
  }
  r.orders += sign;
  if (r.orders === 0) sums.delete(o.instrument);
}

/** The reservations of these open orders, by instrument. */
export function reservations(pending: Pending): ReadonlyMap<string, Readonly<Reserved>> {
  let sums = sumsOf.get(pending);
  if (!sums) {
    sums = new Map();
    for (const o of Object.values(pending)) add(sums, o, 1);
    sumsOf.set(pending, sums);
  }
  return sums;
}

/** Puts (or, with undefined, removes) one open order in place, its reservation with it. Only evolve calls this. */
export function setPending(pending: Pending, clientOrderId: string, order: PendingOrder | undefined): void {
  const sums = sumsOf.get(pending);
  const prior = pending[clientOrderId];
  if (sums && prior) add(sums, prior, -1);
  if (sums && order) add(sums, order, 1);
  if (order) pending[clientOrderId] = order;
  else delete pending[clientOrderId];
}

/** The price of the first open order in an instrument: what its exposure is valued at with no mark and no fill. */
export function reservedPrice(pending: Pending, instrument: string): Price | undefined {
  for (const o of Object.values(pending)) if (o.instrument === instrument) return o.price;
  return undefined;
}
