import fc from "fast-check";
import t from "tap";
import { fromNumber, priceOf, quantityOf, asQuantity } from "../../domain/index.ts";
import { OrderStatus } from "../strategy.ts";
import { avellanedaStoikov, makerQuotes, marketMaker, marketMakerParameters } from "./market-maker.ts";
import { drive, INSTRUMENT } from "./testing.ts";

const defaults = marketMakerParameters.parse({});
const spec = { id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) };
const market = {
  bestBid: priceOf(99.99),
  bestAsk: priceOf(100.01),
  variance: 0.0025,
  spec,
  ownLowestAsk: undefined,
  ownHighestBid: undefined,
};

/** a small random-looking walk so the variance estimate is not zero */
const wiggle = (i: number) => 100 + 0.02 * Math.sin(i * 1.7);

function warm(params: Record<string, unknown> = {}) {
  const d = drive(marketMaker, { warmupQuotes: 10, ...params }, ["quote"]);
  for (let i = 0; i < 10; i++) d.quote(wiggle(i) - 0.01, wiggle(i) + 0.01);
  return d;
}

t.test("the reservation price leans against inventory and the spread follows the formula", async (t) => {
  const flat = avellanedaStoikov(100, 0, 0.1, 0.0025, 100, 60);
  const long = avellanedaStoikov(100, 5, 0.1, 0.0025, 100, 60);
  t.equal(flat.reservation, 100);
  t.ok(Math.abs(long.reservation - (100 - 5 * 0.1 * 0.0025 * 60)) < 1e-12);
  t.ok(Math.abs(flat.spread - (0.1 * 0.0025 * 60 + (2 / 0.1) * Math.log(1 + 0.1 / 100))) < 1e-12);
});

t.test("quotes both sides around the reservation price as post-only limits", async (t) => {
  const d = warm();
  t.equal(d.state(), "running");
  const orders = d.orders();
  t.equal(orders.length, 2);
  const bid = orders.find((o) => o.side === "BUY")!;
  const ask = orders.find((o) => o.side === "SELL")!;
  t.match(bid, { orderType: "LIMIT", postOnly: true, quantity: quantityOf(1) });
  t.match(ask, { orderType: "LIMIT", postOnly: true, quantity: quantityOf(1) });
  const mid = fromNumber(wiggle(9));
  t.ok(bid.price! < mid && mid < ask.price!, `${bid.price} < ${mid} < ${ask.price}`);
  t.equal(bid.price! % spec.tickSize, 0);
  t.equal(ask.price! % spec.tickSize, 0);
});

t.test("skews both quotes down when long and up when short", async (t) => {
  const flat = makerQuotes({ ...market, position: asQuantity(0) }, defaults);
  const long = makerQuotes({ ...market, position: quantityOf(5) }, defaults);
  const short = makerQuotes({ ...market, position: quantityOf(-5) }, defaults);
  t.ok(long.bid! < flat.bid! && long.ask! < flat.ask!, "long: lower quotes to sell inventory");
  t.ok(short.bid! > flat.bid! && short.ask! > flat.ask!, "short: higher quotes to buy back");
  t.ok(long.ask! >= market.bestBid + spec.tickSize, "still post-only");
});

t.test("stops bidding at the inventory limit and sizes the last bid to fit", async (t) => {
  const max = fromNumber(defaults.maxInventory);
  t.equal(makerQuotes({ ...market, position: asQuantity(max) }, defaults).bid, undefined);
  t.ok(makerQuotes({ ...market, position: asQuantity(max) }, defaults).ask !== undefined);
  t.equal(makerQuotes({ ...market, position: asQuantity(-max) }, defaults).ask, undefined);
  const p = makerQuotes({ ...market, position: asQuantity(max - fromNumber(1)) }, { ...defaults, quoteSize: 3 });
  t.equal(p.bidSize, fromNumber(1));
});

t.test("re-quotes when the market moves past the threshold, cancelling the stale quotes first", async (t) => {
  const d = warm();
  d.settle();
  d.quote(100.0, 100.02);
  t.equal(d.cancels().length, 0, "a one-tick move keeps the quotes");
  d.quote(100.5, 100.52);
  t.equal(d.cancels().length, 2, "a 50-tick move cancels both");
  t.equal(d.orders().length, 2, "nothing new until the cancels are confirmed");
  d.settle();
  t.equal(d.orders().length, 4, "replaced once the cancels are confirmed");
  const [bid, ask] = [d.orders()[2]!, d.orders()[3]!].sort((a, b) => a.price! - b.price!);
  t.ok(bid!.price! < fromNumber(100.52) && ask!.price! > fromNumber(100.5));
});

t.test("never crosses its own quotes, stays post-only and within inventory limits", async () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ move: fc.integer({ min: -30, max: 30 }), fillBid: fc.boolean(), fillAsk: fc.boolean(), settle: fc.boolean() }), {
        minLength: 5,
        maxLength: 60,
      }),
      (steps) => {
        const d = warm({ maxInventory: 3 });
        let mid = 100;
        for (const s of steps) {
          mid = Math.max(1, mid + s.move * 0.01);
          const before = d.orders().length;
          d.quote(mid - 0.01, mid + 0.01);
          for (const o of d.orders().slice(before)) {
            if (o.side === "BUY" && o.price! >= fromNumber(mid + 0.01)) return false;
            if (o.side === "SELL" && o.price! <= fromNumber(mid - 0.01)) return false;
          }
          if (s.settle) d.settle();
          for (const o of [...d.ledger().openOrders(INSTRUMENT)]) {
            if (o.status === OrderStatus.PendingCancel) continue;
            if ((o.side === "BUY" && s.fillBid) || (o.side === "SELL" && s.fillAsk)) d.fill(o.clientOrderId);
          }
          const open = d.ledger().openOrders(INSTRUMENT);
          const bids = open.filter((o) => o.side === "BUY").map((o) => o.price!);
          const asks = open.filter((o) => o.side === "SELL").map((o) => o.price!);
          if (bids.length > 0 && asks.length > 0 && Math.max(...bids) >= Math.min(...asks)) return false;
          if (Math.abs(d.position()) > fromNumber(3)) return false;
          if (d.errors.length > 0) return false;
        }
        return true;
      },
    ),
    { numRuns: 60 },
  );
});
