import t from "tap";
import { cutHops, type Heard } from "./order-hops.ts";

const order = "o1";
const path = (fromMs: number, gapsMs: number[]): Heard[] => {
  const subjects = [
    "am.stored.risk-book.b.OrderApproved",
    `am.stored.order.${order}.OrderSubmitted`,
    "am.cmd.venue.V",
    "am.cmd.venue-adapter.V",
    "am.stored.exchange.V.VenueBookChanged",
    "am.cmd.venue.V",
    `am.stored.order.${order}.OrderAccepted`,
  ];
  let at = fromMs;
  return subjects.map((subject, k) => {
    at += gapsMs[k]!;
    return { atMs: at, subject };
  });
};

t.test("cuts each order's span at its milestones, skipping what else was heard meanwhile", async (t) => {
  const heard: Heard[] = [
    { atMs: 5, subject: "am.stored.risk-book.b.OrderApproved" }, // before the span: not this order's
    ...path(10, [1, 2, 0.5, 0.25, 0.25, 0.5, 1]),
  ];
  // noise inside the span: another order's event and an unrelated command
  heard.splice(3, 0, { atMs: 12.5, subject: "am.stored.order.other.OrderSubmitted" }, { atMs: 12.6, subject: "am.cmd.strategy.x" });
  heard.sort((a, b) => a.atMs - b.atMs);
  const r = cutHops(heard, [{ fromMs: 10, toMs: 15.5, orderId: order }], "b", "V", 0.05);
  t.equal(r.missed, 0);
  t.same(Object.fromEntries(Object.entries(r.segments).map(([k, v]) => [k, v.p50Us])), {
    bookApproved: 1000,
    orderSubmitted: 2000,
    toVenue: 500,
    toExchange: 250,
    exchangeStored: 250,
    reportToVenue: 500,
    orderAccepted: 1000,
  });
});

t.test("an order whose milestone was not heard in its span is counted as missed, not as a segment", async (t) => {
  const heard = path(0, [1, 1, 1, 1, 1, 1, 1]).filter((h) => !h.subject.startsWith("am.stored.exchange."));
  const r = cutHops(heard, [{ fromMs: 0, toMs: 7, orderId: order }], "b", "V", 0.05);
  t.equal(r.missed, 1);
  t.equal(r.segments.bookApproved!.p50Us, 0, "no complete span");
});

t.test("the slow share's p50 comes from the slowest orders", async (t) => {
  const heard = [...path(0, [1, 1, 1, 1, 1, 1, 1]), ...path(100, [1, 9, 1, 1, 1, 1, 1])];
  const r = cutHops(
    heard,
    [
      { fromMs: 0, toMs: 7, orderId: order },
      { fromMs: 100, toMs: 115, orderId: order },
    ],
    "b",
    "V",
    0.5,
  );
  t.equal(r.segments.orderSubmitted!.slowP50Us, 9000);
  t.equal(r.segments.orderSubmitted!.p99Us, 9000);
  t.equal(r.segments.bookApproved!.slowP50Us, 1000);
});
