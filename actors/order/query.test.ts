import t from "tap";
import { priceOf, quantityOf } from "../domain/index.ts";
import { domainEvents, fill, replyOf, report, startOrder, submit, T0 } from "./testing.ts";

const getOrder = (nowUs = T0 + 100) => ({ type: "GetOrder" as const, clientOrderId: "c1", tsEvent: nowUs, tsInit: nowUs, nowUs });

t.test("GetOrder before any SubmitOrder is refused as UNKNOWN_ORDER naming the id", async (t) => {
  const o = startOrder();
  const out = o.send(getOrder());
  t.match(replyOf(out), { ok: false, error: { code: "UNKNOWN_ORDER", message: /c1/ } });
  t.same(domainEvents(out), [], "a query journals nothing");
});

t.test("GetOrder answers the order's terms and progress, and changes nothing", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send(fill(quantityOf(4), priceOf(100)));
  const before = o.order();
  const out = o.send(getOrder());
  t.same(domainEvents(out), []);
  t.equal(o.order(), before, "the state object is untouched");
  const r = replyOf(out) as { ok: true; result: Record<string, unknown> };
  t.equal(r.ok, true);
  t.match(r.result, {
    clientOrderId: "c1",
    venueOrderId: "v1",
    instrument: "AAPL.XNAS",
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(10),
    price: priceOf(100),
    status: "PARTIALLY_FILLED",
    cumQty: quantityOf(4),
    leavesQty: quantityOf(6),
    avgPx: priceOf(100),
    strategy: "s1",
    book: "b1",
  });
  t.notOk("execIds" in r.result, "the actor's bookkeeping stays inside");
});
