import t from "tap";
import { priceOf, quantityOf } from "../domain/index.ts";
import { fillRate, route, type RouteRequest, type VenueQuote } from "./routing.ts";

const LOT = quantityOf(1);
// two listings of one symbol: SIMA shows the better price but charges 3 bps to take, SIMB a cent worse for free
const book: VenueQuote[] = [
  { venue: "SIMA", instrument: "ACME.SIMA", bid: priceOf(99.99), bidSize: quantityOf(5), ask: priceOf(100), askSize: quantityOf(6) },
  { venue: "SIMB", instrument: "ACME.SIMB", bid: priceOf(99.98), bidSize: quantityOf(4), ask: priceOf(100.01), askSize: quantityOf(8) },
];
const terms = { SIMA: { takerFeeBps: 3, latencyUs: 0 }, SIMB: { takerFeeBps: 0, latencyUs: 0 } };
const buy: RouteRequest = {
  side: "BUY",
  quantity: quantityOf(10),
  lot: LOT,
  minChild: LOT,
  limitPrice: priceOf(100.05),
  latencyBpsPerMs: 0,
  missCostBps: 0,
};

t.test("a two-venue buy goes first where the offer costs least after fees, the rest to the next venue", async (t) => {
  // SIMA: 100.00 × (1 + 3 bps) = 100.03 a share; SIMB: 100.01 flat. SIMB's 8 shown go first, SIMA takes the last 2.
  const children = route(book, terms, {}, buy);
  t.same(
    children.map((c) => [c.venue, c.instrument, c.price, c.quantity]),
    [
      ["SIMB", "ACME.SIMB", priceOf(100.01), quantityOf(8)],
      ["SIMA", "ACME.SIMA", priceOf(100), quantityOf(2)],
    ],
  );
  t.equal(Math.round(children[1]!.effectivePrice), priceOf(100.03), "SIMA ranked at its price plus its fee");
});

t.test("without fees the better price wins, and what the venues do not show is left for later", async (t) => {
  const free = { SIMA: { takerFeeBps: 0, latencyUs: 0 }, SIMB: { takerFeeBps: 0, latencyUs: 0 } };
  const children = route(book, free, {}, { ...buy, quantity: quantityOf(20) });
  t.same(
    children.map((c) => [c.venue, c.quantity]),
    [
      ["SIMA", quantityOf(6)],
      ["SIMB", quantityOf(8)],
    ],
    "14 shown in all: 6 more wait for the book to refill",
  );
});

t.test("a venue's latency and its poor fill rate so far count against it", async (t) => {
  const free = { SIMA: { takerFeeBps: 0, latencyUs: 5_000 }, SIMB: { takerFeeBps: 0, latencyUs: 0 } };
  // 5 ms at 0.5 bps a ms = 2.5 bps on SIMA's 100.00: 100.025 against SIMB's 100.01
  const slow = route(book, free, {}, { ...buy, latencyBpsPerMs: 0.5 });
  t.equal(slow[0]?.venue, "SIMB", "the slow venue's cent of price does not pay for its latency");
  // SIMA filled 2 of 20 sent: rate (2 + 10) / (20 + 10) = 0.4, so 60% of a 10 bps miss cost = 6 bps
  const fills = { SIMA: { sent: quantityOf(20), filled: quantityOf(2) } };
  t.equal(fillRate(fills.SIMA, LOT), 0.4);
  const missed = route(book, { ...free, SIMA: { takerFeeBps: 0, latencyUs: 0 } }, fills, { ...buy, missCostBps: 10 });
  t.same(
    missed.map((c) => c.venue),
    ["SIMB", "SIMA"],
    "the venue that seldom fills is tried after the reliable one",
  );
});

t.test("a sell takes the best bid net of fees; quotes outside the limit get nothing", async (t) => {
  const sell = route(book, terms, {}, { ...buy, side: "SELL", quantity: quantityOf(6), limitPrice: priceOf(99.98) });
  // SIMA: 99.99 less 3 bps = 99.96; SIMB: 99.98 flat
  t.same(
    sell.map((c) => [c.venue, c.quantity]),
    [
      ["SIMB", quantityOf(4)],
      ["SIMA", quantityOf(2)],
    ],
  );
  t.same(route(book, terms, {}, { ...buy, limitPrice: priceOf(99.99) }), [], "both offers are above the limit");
  t.same(
    route(book, { SIMA: terms.SIMA }, {}, buy).map((c) => c.venue),
    ["SIMB", "SIMA"],
    "a venue configured with no costs trades free",
  );
});
