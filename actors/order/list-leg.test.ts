import t from "tap";
import { priceOf, quantityOf } from "../domain/index.ts";
import { domainEvents, fill, report, startOrder, submit } from "./testing.ts";

const tag = { listId: "b1", contingency: "BRACKET", leg: 1, legCount: 3, role: "TAKE_PROFIT", triggerOnPartial: false } as const;

t.test("a native list's leg goes to its venue with its tag, and takes the venue's restatement to the entry's fill", async (t) => {
  const o = startOrder();
  const out = o.send(submit({ side: "SELL", price: priceOf(110), quantity: quantityOf(3), list: tag }));
  t.match(out, [
    { type: "domain", event: { type: "OrderSubmitted", list: tag } },
    { type: "publish", message: { type: "VenueNewOrder", list: tag } },
  ]);
  o.send(report("NEW", { side: "SELL", leavesQty: quantityOf(3) }));
  const restated = o.send(report("REPLACED", { side: "SELL", quantity: quantityOf(2), leavesQty: quantityOf(2) }));
  t.match(domainEvents(restated), [
    { type: "OrderReplaced", version: 1, quantity: quantityOf(2), price: priceOf(110), leavesQty: quantityOf(2) },
  ]);
  o.send(fill(quantityOf(2), priceOf(110), { side: "SELL", execType: "FILL" }));
  t.equal(o.status(), "FILLED", "two of two: the exit is done");
});

t.test("a restatement is refused for an order outside a list, and for one not smaller", async (t) => {
  const single = startOrder();
  single.send(submit());
  single.send(report("NEW", { leavesQty: quantityOf(10) }));
  t.match(single.send(report("REPLACED", { quantity: quantityOf(5) })), [{ type: "reply", ok: false }]);
  const leg = startOrder();
  leg.send(submit({ side: "SELL", price: priceOf(110), quantity: quantityOf(3), list: tag }));
  leg.send(report("NEW", { side: "SELL" }));
  t.match(leg.send(report("REPLACED", { side: "SELL", quantity: quantityOf(3) })), [
    { type: "reply", ok: false, error: { message: /restatement to 300000000/ } },
  ]);
  t.equal(leg.order()?.quantity, quantityOf(3));
});
