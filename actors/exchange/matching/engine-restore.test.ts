import t from "tap";
import { priceOf, quantityOf } from "../../domain/index.ts";
import { OrderType, Side, TimeInForce } from "../../domain/trading.ts";
import { MatchingEngine, type OpenOrder } from "./engine.ts";

const engine = () => new MatchingEngine({ instrument: "ACME.SIM", tickSize: priceOf(0.01), lotSize: quantityOf(1) });

const open = (over: Partial<OpenOrder> = {}): OpenOrder => ({
  orderId: 7,
  clientOrderId: "c7",
  owner: "us",
  side: Side.Buy,
  type: OrderType.Limit,
  timeInForce: TimeInForce.Gtc,
  price: priceOf(99),
  stopPrice: priceOf(0),
  quantity: quantityOf(10),
  leaves: quantityOf(6),
  cum: quantityOf(4),
  postOnly: false,
  reduceOnly: false,
  expireAtUs: 0,
  pendingStop: false,
  ...over,
});

t.test("a restored order rests as it was, without an event, and ids continue above it", async (t) => {
  const e = engine();
  e.restore(open());
  e.restore(open({ orderId: 9, clientOrderId: "c9", leaves: quantityOf(2), cum: quantityOf(0), quantity: quantityOf(2) }));
  e.restore(
    open({
      orderId: 8,
      clientOrderId: "stop",
      side: Side.Sell,
      type: OrderType.Stop,
      price: priceOf(0),
      stopPrice: priceOf(90),
      cum: quantityOf(0),
      leaves: quantityOf(10),
      pendingStop: true,
    }),
  );
  t.equal(e.lastSeq, 0, "nothing is journaled: the orders were accepted in their own session");
  t.same(e.queueAt(Side.Buy, priceOf(99)), [7, 9], "in the order they are restored");
  t.match(e.order(7), { leaves: quantityOf(6), cum: quantityOf(4) });
  t.match(e.order(8), { pendingStop: true });
  t.equal(e.nextId, 10, "the next id is above every restored one");
  e.continueIds(5);
  t.equal(e.nextId, 10, "never back");
  // a sell that takes the resting buys: the restored one first, with its fills counted
  e.submit(
    { side: Side.Sell, type: OrderType.Limit, price: priceOf(99), quantity: quantityOf(6), timeInForce: TimeInForce.Ioc, owner: "them" },
    1,
  );
  t.match(e.order(7), undefined, "the restored buy filled its rest");
});

t.test("a restore that does not describe an open order is refused, naming it, and changes nothing", async (t) => {
  const e = engine();
  t.throws(() => e.restore(open({ leaves: quantityOf(0) })), /ACME\.SIM order 7: leaves 0 and cum/);
  t.throws(() => e.restore(open({ cum: quantityOf(6) })), /ACME\.SIM order 7: leaves .* of quantity/);
  t.throws(() => e.restore(open({ price: priceOf(0) })), /order 7: a resting order needs a price/);
  t.throws(() => e.restore(open({ type: "ICEBERG" as OrderType })), /order 7: type ICEBERG/);
  t.equal(e.openOrderCount, 0);
  t.equal(e.nextId, 1);
  e.restore(open());
  t.throws(() => e.restore(open()), /order 7: restored twice/);
  t.equal(e.openOrderCount, 1);
});
