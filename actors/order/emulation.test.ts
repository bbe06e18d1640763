import t from "tap";
import { SimulatedClock } from "xstate";
import { priceOf, quantityOf, type Price } from "../domain/index.ts";
import { fullCapabilities, type VenueCapabilities } from "./capabilities.ts";
import { domainEvents, fill, replyOf, report, startOrder, submit, T0 } from "./testing.ts";
import type { OrderInput } from "./machine.ts";
import { OrderReason } from "./reasons.ts";

const q = quantityOf;
const noStops: VenueCapabilities = { ...fullCapabilities, orderTypes: ["MARKET", "LIMIT"] };
const noGtd: VenueCapabilities = { ...fullCapabilities, timesInForce: ["DAY", "GTC", "IOC"] };
const trade = (price: Price, nowUs = T0 + 10): OrderInput => ({
  type: "Trade",
  instrument: "AAPL.XNAS",
  price,
  size: q(1),
  aggressor: "BUY",
  tradeId: `t${nowUs}`,
  seq: 1,
  tsEvent: nowUs,
  tsInit: nowUs,
  nowUs,
});
const quote = (bid: Price, ask: Price, nowUs = T0 + 10): OrderInput => ({
  type: "Quote",
  instrument: "AAPL.XNAS",
  bid,
  bidSize: q(1),
  ask,
  askSize: q(1),
  seq: 1,
  tsEvent: nowUs,
  tsInit: nowUs,
  nowUs,
});

t.test("a STOP the venue lacks is held locally, accepted, and sent as MARKET when a trade crosses it", async (t) => {
  const o = startOrder(noStops);
  const out = o.send(submit({ orderType: "STOP", price: undefined, stopPrice: priceOf(105) }));
  t.same(
    domainEvents(out).map((e) => e.type),
    ["OrderSubmitted", "OrderAccepted"],
  );
  t.same(
    out.filter((e) => e.type === "publish"),
    [],
    "nothing goes to the venue while held",
  );
  t.equal(o.status(), "NEW");
  t.same(domainEvents(o.send(trade(priceOf(104)))), [], "a trade below a buy stop does not trigger");
  const fired = o.send(trade(priceOf(105.5)));
  t.match(domainEvents(fired), [{ type: "OrderTriggered", triggerPx: priceOf(105.5), venueType: "MARKET" }]);
  t.match(
    fired.find((e) => e.type === "publish"),
    { message: { type: "VenueNewOrder", orderType: "MARKET", quantity: q(10) } },
  );
  const m = fired.find((e) => e.type === "publish");
  t.notOk(m?.type === "publish" && "stopPrice" in m.message, "the venue order carries no stop price");
  t.same(domainEvents(o.send(trade(priceOf(106)))), [], "a triggered stop does not trigger again");
  o.send(report("NEW"));
  o.send(fill(q(10), priceOf(105.6)));
  t.equal(o.status(), "FILLED");
});

t.test("a sell STOP_LIMIT triggers from the bid of a quote and goes as LIMIT at its price", async (t) => {
  const o = startOrder(noStops);
  o.send(submit({ side: "SELL", orderType: "STOP_LIMIT", price: priceOf(94), stopPrice: priceOf(95) }));
  t.same(domainEvents(o.send(quote(priceOf(95.5), priceOf(96)))), []);
  const fired = o.send(quote(priceOf(95), priceOf(95.2)));
  t.match(domainEvents(fired), [{ type: "OrderTriggered", triggerPx: priceOf(95), venueType: "LIMIT" }]);
  t.match(
    fired.find((e) => e.type === "publish"),
    { message: { orderType: "LIMIT", price: priceOf(94) } },
  );
});

t.test("a held stop is canceled and replaced locally, without the venue", async (t) => {
  const o = startOrder(noStops);
  o.send(submit({ orderType: "STOP", price: undefined, stopPrice: priceOf(105) }));
  const rep = o.send({ type: "ReplaceOrder", clientOrderId: "c1", stopPrice: priceOf(110), tsEvent: 1, tsInit: 1, nowUs: T0 + 1 });
  t.same(
    domainEvents(rep).map((e) => e.type),
    ["OrderReplacePending", "OrderReplaced"],
  );
  t.equal(o.status(), "NEW");
  t.match(o.order(), { stopPrice: priceOf(110), version: 2 });
  t.same(domainEvents(o.send(trade(priceOf(106)))), [], "the new stop price applies");
  const c = o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: 1, tsInit: 1, nowUs: T0 + 2 });
  t.same(
    domainEvents(c).map((e) => e.type),
    ["OrderCanceled"],
  );
  t.same(
    c.filter((e) => e.type === "publish"),
    [],
  );
  t.equal(o.status(), "CANCELED");
});

t.test("a native STOP goes to the venue with its stop price", async (t) => {
  const o = startOrder();
  const out = o.send(submit({ orderType: "STOP", price: undefined, stopPrice: priceOf(105) }));
  t.match(
    out.find((e) => e.type === "publish"),
    { message: { orderType: "STOP", stopPrice: priceOf(105) } },
  );
  t.equal(o.status(), "PENDING_NEW");
});

t.test("types, times in force and flags the venue lacks and that cannot be emulated are rejected with a reason", async (t) => {
  const cases: [VenueCapabilities, Parameters<typeof submit>[0], string][] = [
    [
      { ...fullCapabilities, orderTypes: ["MARKET"] },
      { orderType: "STOP_LIMIT", price: priceOf(1), stopPrice: priceOf(2) },
      OrderReason.UnsupportedOrderType,
    ],
    [{ ...fullCapabilities, orderTypes: ["MARKET"] }, {}, OrderReason.UnsupportedOrderType],
    [{ ...fullCapabilities, timesInForce: ["GTC"] }, { timeInForce: "IOC" }, OrderReason.UnsupportedTimeInForce],
    [{ ...fullCapabilities, timesInForce: ["DAY"] }, { timeInForce: "GTD", expireAtUs: T0 + 1e6 }, OrderReason.UnsupportedTimeInForce],
    [{ ...fullCapabilities, postOnly: false }, { postOnly: true }, OrderReason.UnsupportedFlag],
    [{ ...fullCapabilities, reduceOnly: false }, { reduceOnly: true }, OrderReason.UnsupportedFlag],
    [fullCapabilities, { timeInForce: "GTD", expireAtUs: T0 }, OrderReason.ExpiryInPast],
  ];
  for (const [caps, over, code] of cases) {
    const o = startOrder(caps);
    const out = o.send(submit(over));
    t.match(domainEvents(out), [{ type: "OrderSubmitted" }, { type: "OrderRejected", reason: code }], code);
    t.equal(o.status(), "REJECTED");
    t.same(
      out.filter((e) => e.type === "publish"),
      [],
      "nothing goes to the venue",
    );
  }
});

t.test("an emulated GTD is sent as GTC and canceled with cause EXPIRED by the after-timer on the simulated clock", async (t) => {
  const clock = new SimulatedClock();
  const o = startOrder(noGtd, clock);
  const out = o.send(submit({ timeInForce: "GTD", expireAtUs: T0 + 5_000_000 }));
  t.match(
    out.find((e) => e.type === "publish"),
    { message: { timeInForce: "GTC" } },
  );
  t.notOk(
    out.some((e) => e.type === "publish" && "expireAtUs" in e.message),
    "no expiry goes to a venue without GTD",
  );
  o.send(report("NEW", { nowUs: T0 + 10 }));
  clock.increment(4_999);
  t.equal(o.status(), "NEW", "not yet expired");
  clock.increment(1);
  t.equal(o.status(), "PENDING_CANCEL");
  t.match(o.out.filter((e) => e.type === "publish").at(-1), { message: { type: "VenueCancelOrder", cause: "EXPIRED" } });
  o.send(report("CANCELED"));
  t.equal(o.status(), "EXPIRED", "the venue's cancel confirms a local expiry");
  t.match(o.journal().at(-1), { type: "OrderExpired" });
});

t.test("an emulated GTD also expires on the first delivered event past its expiry, before that event applies", async (t) => {
  const o = startOrder(noGtd);
  o.send(submit({ timeInForce: "GTD", expireAtUs: T0 + 5_000_000 }));
  o.send(report("NEW", { nowUs: T0 + 10 }));
  const late = o.send(fill(q(2), priceOf(100), { nowUs: T0 + 6_000_000 }));
  t.same(
    domainEvents(late).map((e) => e.type),
    ["OrderCancelPending", "OrderFilled"],
  );
  t.equal(o.status(), "PENDING_CANCEL");
  t.match(replyOf(late), { ok: true });
});

t.test("a held stop with an emulated GTD expires locally without a venue cancel", async (t) => {
  const clock = new SimulatedClock();
  const o = startOrder({ ...noStops, timesInForce: ["GTC"] }, clock);
  o.send(submit({ orderType: "STOP", price: undefined, stopPrice: priceOf(105), timeInForce: "GTD", expireAtUs: T0 + 1_000_000 }));
  clock.increment(1_000);
  t.equal(o.status(), "EXPIRED");
  t.same(
    o.out.filter((e) => e.type === "publish"),
    [],
  );
});
