import fc from "fast-check";
import t from "tap";
import { asQuantity, type Quantity, type Side } from "../domain/index.ts";
import { type OpenOrderView, OrderStatus } from "./strategy.ts";
import { type OrderAction, targetToOrders } from "./target-to-orders.ts";

const LOT = asQuantity(100);
/** The function under test with positions in plain units (the properties draw plain integers). */
const toOrders = (current: number, target: number, open: readonly OpenOrderView[], lot: Quantity = LOT): OrderAction[] =>
  targetToOrders(asQuantity(current), asQuantity(target), open, lot);

const order = (id: string, side: Side, leavesQty: number, status: OrderStatus = OrderStatus.Working): OpenOrderView => ({
  clientOrderId: id,
  instrument: "X.V",
  side,
  type: "MARKET",
  quantity: asQuantity(leavesQty),
  leavesQty: asQuantity(leavesQty),
  price: undefined,
  status,
  submittedUs: 0,
  tag: undefined,
});

/** What the framework does with the actions: submits become in-flight orders, cancels become pending. */
function apply(open: readonly OpenOrderView[], actions: OrderAction[], n: { next: number }): OpenOrderView[] {
  const next = open.map((o) =>
    actions.some((a) => a.kind === "cancel" && a.clientOrderId === o.clientOrderId) ? { ...o, status: OrderStatus.PendingCancel } : o,
  );
  for (const a of actions) if (a.kind === "submit") next.push(order(`n${n.next++}`, a.side, a.quantity, OrderStatus.PendingNew));
  return next;
}

const signed = (o: OpenOrderView) => (o.side === "BUY" ? o.leavesQty : -o.leavesQty);
const lots = fc.integer({ min: -20, max: 20 }).map((k) => k * LOT);
const openOrders = fc
  .array(
    fc.record({
      side: fc.constantFrom<Side>("BUY", "SELL"),
      lots: fc.integer({ min: 1, max: 10 }),
      status: fc.constantFrom(OrderStatus.PendingNew, OrderStatus.Working, OrderStatus.PendingCancel),
    }),
    { maxLength: 4 },
  )
  .map((xs) => xs.map((x, i) => order(`o${i}`, x.side, x.lots * LOT, x.status)));

t.test("sends the whole difference when nothing is in flight", async (t) => {
  t.same(toOrders(0, 500, [], LOT), [{ kind: "submit", side: "BUY", quantity: 500 }]);
  t.same(toOrders(300, -200, [], LOT), [{ kind: "submit", side: "SELL", quantity: 500 }]);
  t.same(toOrders(300, 300, [], LOT), []);
});

t.test("counts working orders towards the target and sends only the rest", async (t) => {
  t.same(toOrders(0, 500, [order("a", "BUY", 200, OrderStatus.PendingNew)], LOT), [{ kind: "submit", side: "BUY", quantity: 300 }]);
  t.same(toOrders(0, 500, [order("a", "BUY", 500, OrderStatus.PendingNew)], LOT), []);
});

t.test("sends nothing new while a cancel is unconfirmed", async (t) => {
  t.same(toOrders(0, 500, [order("a", "SELL", 200, OrderStatus.PendingCancel)], LOT), []);
});

t.test("cancels orders pointing the wrong way before sending anything", async (t) => {
  t.same(toOrders(0, 500, [order("a", "SELL", 200)], LOT), [{ kind: "cancel", clientOrderId: "a" }]);
  t.same(toOrders(0, 100, [order("a", "BUY", 300)], LOT), [{ kind: "cancel", clientOrderId: "a" }], "overshooting orders go too");
});

t.test("never double-sends: a second call on the updated state sends nothing", async () => {
  fc.assert(
    fc.property(lots, lots, openOrders, (current, target, open) => {
      const n = { next: 0 };
      const first = toOrders(current, target, open, LOT);
      const after = apply(open, first, n);
      return toOrders(current, target, after, LOT).length === 0;
    }),
  );
});

t.test("never overshoots: if every live order filled, the position would not pass the target", async () => {
  fc.assert(
    fc.property(lots, lots, openOrders, (current, target, open) => {
      const first = toOrders(current, target, open, LOT);
      if (!first.some((a) => a.kind === "submit")) return true;
      const after = apply(open, first, { next: 0 });
      const live = after.filter((o) => o.status !== OrderStatus.PendingCancel);
      const worst = current + live.reduce((s, o) => s + signed(o), 0);
      return worst === target && after.every((o) => o.status !== OrderStatus.PendingCancel);
    }),
  );
});

t.test("reaches the target once cancels settle and orders fill", async () => {
  fc.assert(
    fc.property(lots, lots, openOrders, (current0, target, open0) => {
      let current = current0;
      let open = open0.filter((o) => o.status !== OrderStatus.PendingCancel);
      const n = { next: 0 };
      for (let step = 0; step < 5; step++) {
        open = apply(open, toOrders(current, target, open, LOT), n);
        // the venue: cancels are confirmed, everything else fills completely
        for (const o of open) if (o.status !== OrderStatus.PendingCancel) current += signed(o);
        open = [];
      }
      return current === target;
    }),
  );
});

t.test("sends nothing smaller than a lot", async (t) => {
  t.same(toOrders(0, 150, [], LOT), [{ kind: "submit", side: "BUY", quantity: 100 }]);
  t.same(toOrders(0, 50, [], LOT), []);
});
