import { priceOf, quantityOf } from "../domain/index.ts";

/** A quote of `instrument`, 5 units on each side, stamped `nowUs`: what moves the exchange's background book. */
export const quoteAt = (instrument: string, bid: number, ask: number, nowUs: number) => ({
  type: "Quote" as const,
  instrument,
  bid: priceOf(bid),
  ask: priceOf(ask),
  bidSize: quantityOf(5),
  askSize: quantityOf(5),
  seq: 1,
  tsEvent: nowUs,
  tsInit: nowUs,
});

/** A GTC limit buy of 10 units as the venue connection sends it; `over` changes any field. */
export const limitBuy = (instrument: string, clientOrderId: string, price: number, nowUs: number, over: Record<string, unknown> = {}) => ({
  type: "VenueNewOrder" as const,
  clientOrderId,
  version: 1,
  instrument,
  side: "BUY" as const,
  orderType: "LIMIT" as const,
  quantity: quantityOf(10),
  price: priceOf(price),
  timeInForce: "GTC" as const,
  postOnly: false,
  reduceOnly: false,
  tsEvent: nowUs,
  tsInit: nowUs,
  ...over,
});
