import t from "tap";
import { priceOf, quantityOf, asPrice, asQuantity } from "../domain/index.ts";
import { addFill, divRoundHalfUp, noFills } from "./fill.ts";
import { domainEvents, fill, replyOf, report, startOrder, submit } from "./testing.ts";
import { OrderReason } from "./reasons.ts";

const q = quantityOf;

t.test("partial fills accumulate cumQty, leavesQty and a volume-weighted avgPx", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  const first = domainEvents(o.send(fill(q(4), priceOf(100), { fee: 12 })));
  t.match(first, [
    {
      type: "OrderFilled",
      lastQty: q(4),
      lastPx: priceOf(100),
      cumQty: q(4),
      leavesQty: q(6),
      avgPx: priceOf(100),
      fee: 12,
      liquidity: "MAKER",
    },
  ]);
  const second = domainEvents(o.send(fill(q(6), priceOf(101), { fee: -3 })));
  t.match(second, [{ type: "OrderFilled", cumQty: q(10), leavesQty: 0, avgPx: priceOf(100.6) }]);
  t.equal(o.status(), "FILLED");
  t.match(o.order(), { cumQty: q(10), leavesQty: 0, avgPx: priceOf(100.6), feeTotal: 9 });
});

t.test("avgPx is the exact weighted mean rounded half up to 1e-8", async (t) => {
  // 1 @ 1e-8 and 2 @ 2e-8 units: (1 + 4) / 3 = 1.666… → 2 units
  t.equal(addFill(addFill(noFills, asQuantity(1), asPrice(1)), asQuantity(2), asPrice(2)).avgPx, 2);
  // 1 @ 1 and 1 @ 2 units: 1.5 → 2 (half up)
  t.equal(addFill(addFill(noFills, asQuantity(1), asPrice(1)), asQuantity(1), asPrice(2)).avgPx, 2);
  // 2 @ 1 and 1 @ 2 units: 4/3 = 1.333 → 1
  t.equal(addFill(addFill(noFills, asQuantity(2), asPrice(1)), asQuantity(1), asPrice(2)).avgPx, 1);
  t.equal(divRoundHalfUp(5n, 2n), 3n);
  t.equal(divRoundHalfUp(7n, 3n), 2n);
  // large products stay exact beyond 2^53
  const big = addFill(addFill(noFills, q(80_000_000), priceOf(80_000_000)), q(1), priceOf(1));
  t.equal(big.pxQty, (BigInt(q(80_000_000)) ** 2n + BigInt(q(1)) ** 2n).toString());
});

t.test("a redelivered fill with the same execId is applied once", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  const f = fill(q(4));
  o.send(f);
  const again = o.send({ ...f, nowUs: f.nowUs + 100 });
  t.same(domainEvents(again), [], "no second OrderFilled");
  t.match(replyOf(again), { ok: true, result: { note: `duplicate execId ${f.execId}` } });
  t.equal(o.order()!.cumQty, q(4));
  t.equal(o.journal().filter((e) => e.type === "OrderFilled").length, 1);
});

t.test("an overfill is refused with OVERFILL and not applied", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send(fill(q(8)));
  const before = o.order();
  const out = o.send(fill(q(3)));
  t.match(replyOf(out), { ok: false, error: { code: OrderReason.Overfill } });
  t.same(domainEvents(out), []);
  t.same(o.order(), before);
  t.equal(o.status(), "PARTIALLY_FILLED");
});

t.test("a fill before the acknowledgement accepts the order implicitly", async (t) => {
  const o = startOrder();
  o.send(submit());
  const out = o.send(fill(q(2), priceOf(100), { venueOrderId: "v9" }));
  t.same(
    domainEvents(out).map((e) => e.type),
    ["OrderAccepted", "OrderFilled"],
  );
  t.match(o.order(), { acked: true, venueOrderId: "v9", cumQty: q(2) });
});

t.test("fills during a pending cancel keep the cancel pending until the order is filled", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: 1, tsInit: 1, nowUs: 5 });
  o.send(fill(q(3)));
  t.equal(o.status(), "PENDING_CANCEL");
  o.send(report("CANCELED"));
  t.equal(o.status(), "CANCELED");
  t.match(o.journal().at(-1), { type: "OrderCanceled", cumQty: q(3), cause: "USER" });
});

t.test("a second SubmitOrder with the same clientOrderId returns the existing order without new events", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  const out = o.send(submit({}, 99));
  t.same(domainEvents(out), []);
  t.same(
    out.filter((e) => e.type === "publish"),
    [],
    "nothing is sent to the venue again",
  );
  t.match(replyOf(out), { ok: true, result: { clientOrderId: "c1", status: "NEW", note: "existing order" } });
  const other = o.send(submit({ side: "SELL" }));
  t.match(replyOf(other), { ok: false, error: { code: OrderReason.ClientOrderIdReused } });
});

t.test("a submitted order is sent to its venue connection on am.cmd.venue.<venue>", async (t) => {
  const o = startOrder();
  const out = o.send(submit());
  t.same(
    domainEvents(out).map((e) => e.type),
    ["OrderSubmitted"],
  );
  t.match(
    out.find((e) => e.type === "publish"),
    {
      subject: "am.cmd.venue.XNAS",
      message: {
        type: "VenueNewOrder",
        clientOrderId: "c1",
        version: 1,
        orderType: "LIMIT",
        quantity: q(10),
        price: priceOf(100),
        timeInForce: "GTC",
      },
    },
  );
  t.equal(o.status(), "PENDING_NEW");
});

t.test("a cancel is sent with the venue order id and the cause", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW", { venueOrderId: "v7" }));
  const out = o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: 1, tsInit: 1, nowUs: 5 });
  t.match(
    out.find((e) => e.type === "publish"),
    { message: { type: "VenueCancelOrder", venueOrderId: "v7", cause: "USER" } },
  );
});

t.test("a report for another instrument or side is refused as a mismatch", async (t) => {
  const o = startOrder();
  o.send(submit());
  t.match(replyOf(o.send(report("NEW", { side: "SELL" }))), { ok: false, error: { code: OrderReason.ReportMismatch } });
  t.equal(o.status(), "PENDING_NEW");
});
