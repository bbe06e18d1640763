import t from "tap";
import { priceOf, quantityOf, asQuantity } from "../domain/index.ts";
import { domainEvents, fill, replyOf, report, startOrder, submit } from "./testing.ts";
import type { OrderInput } from "./machine.ts";
import { OrdStatus } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

const q = quantityOf;
const cancel = (): OrderInput => ({ type: "CancelOrder", clientOrderId: "c1", tsEvent: 1, tsInit: 1, nowUs: 2 });
const replace = (): OrderInput => ({ type: "ReplaceOrder", clientOrderId: "c1", quantity: q(12), tsEvent: 1, tsInit: 1, nowUs: 2 });

/** How to reach each resting FIX status from nothing (quantity 10 LIMIT BUY). */
const setups: Record<string, () => OrderInput[]> = {
  PENDING_NEW: () => [submit()],
  NEW: () => [submit(), report("NEW")],
  PARTIALLY_FILLED: () => [submit(), report("NEW"), fill(q(3))],
  FILLED: () => [submit(), report("NEW"), fill(q(10))],
  PENDING_CANCEL: () => [submit(), report("NEW"), cancel()],
  CANCELED: () => [submit(), report("NEW"), cancel(), report("CANCELED")],
  PENDING_REPLACE: () => [submit(), report("NEW"), replace()],
  REJECTED: () => [submit(), report("REJECTED", { venueOrderId: undefined, text: "no such symbol" })],
  EXPIRED: () => [submit(), report("NEW"), report("EXPIRED")],
};

type Input =
  | "cancel"
  | "replace"
  | "New"
  | "Partial"
  | "Full"
  | "Canceled"
  | "Replaced"
  | "Rejected"
  | "Expired"
  | "PendingCancel"
  | "PendingReplace"
  | "CancelRejected";
const inputs: Record<Input, (leaves: number) => OrderInput> = {
  cancel,
  replace,
  New: () => report("NEW"),
  Partial: () => fill(q(1)),
  Full: (leaves) => fill(asQuantity(leaves > 0 ? leaves : q(1))),
  Canceled: () => report("CANCELED"),
  Replaced: () => report("REPLACED", { quantity: q(12) }),
  Rejected: () => report("REJECTED"),
  Expired: () => report("EXPIRED"),
  PendingCancel: () => report("PENDING_CANCEL"),
  PendingReplace: () => report("PENDING_REPLACE"),
  CancelRejected: () => report("CANCEL_REJECTED", { text: "too late" }),
};

// Expected outcome: a status it moves to, "=" (accepted, nothing happens), or a reason code (refused, unchanged).
const I = OrderReason.InvalidTransition;
const C = OrderReason.OrderClosed;
const table: Record<string, Record<Input, string>> = {
  PENDING_NEW: {
    cancel: "PENDING_CANCEL",
    replace: OrderReason.NotAcknowledged,
    New: "NEW",
    Partial: "PARTIALLY_FILLED",
    Full: "FILLED",
    Canceled: "CANCELED",
    Replaced: I,
    Rejected: "REJECTED",
    Expired: "EXPIRED",
    PendingCancel: I,
    PendingReplace: I,
    CancelRejected: I,
  },
  NEW: {
    cancel: "PENDING_CANCEL",
    replace: "PENDING_REPLACE",
    New: "=",
    Partial: "PARTIALLY_FILLED",
    Full: "FILLED",
    Canceled: "CANCELED",
    Replaced: I,
    Rejected: I,
    Expired: "EXPIRED",
    PendingCancel: "PENDING_CANCEL",
    PendingReplace: I,
    CancelRejected: I,
  },
  PARTIALLY_FILLED: {
    cancel: "PENDING_CANCEL",
    replace: "PENDING_REPLACE",
    New: "=",
    Partial: "PARTIALLY_FILLED",
    Full: "FILLED",
    Canceled: "CANCELED",
    Replaced: I,
    Rejected: I,
    Expired: "EXPIRED",
    PendingCancel: "PENDING_CANCEL",
    PendingReplace: I,
    CancelRejected: I,
  },
  FILLED: {
    cancel: C,
    replace: C,
    New: "=",
    Partial: C,
    Full: C,
    Canceled: I,
    Replaced: I,
    Rejected: I,
    Expired: I,
    PendingCancel: I,
    PendingReplace: I,
    CancelRejected: "=",
  },
  PENDING_CANCEL: {
    cancel: OrderReason.CancelPending,
    replace: OrderReason.CancelPending,
    New: "=",
    Partial: "PENDING_CANCEL",
    Full: "FILLED",
    Canceled: "CANCELED",
    Replaced: I,
    Rejected: I,
    Expired: "EXPIRED",
    PendingCancel: "=",
    PendingReplace: I,
    CancelRejected: "NEW",
  },
  CANCELED: {
    cancel: C,
    replace: C,
    New: "=",
    Partial: C,
    Full: C,
    Canceled: "=",
    Replaced: I,
    Rejected: I,
    Expired: I,
    PendingCancel: I,
    PendingReplace: I,
    CancelRejected: "=",
  },
  PENDING_REPLACE: {
    cancel: OrderReason.ReplacePending,
    replace: OrderReason.ReplacePending,
    New: "=",
    Partial: "PENDING_REPLACE",
    Full: "FILLED",
    Canceled: "CANCELED",
    Replaced: "NEW",
    Rejected: I,
    Expired: "EXPIRED",
    PendingCancel: I,
    PendingReplace: "=",
    CancelRejected: "NEW",
  },
  REJECTED: {
    cancel: C,
    replace: C,
    New: I,
    Partial: C,
    Full: C,
    Canceled: I,
    Replaced: I,
    Rejected: I,
    Expired: I,
    PendingCancel: I,
    PendingReplace: I,
    CancelRejected: "=",
  },
  EXPIRED: {
    cancel: C,
    replace: C,
    New: "=",
    Partial: C,
    Full: C,
    Canceled: I,
    Replaced: I,
    Rejected: I,
    Expired: "=",
    PendingCancel: I,
    PendingReplace: I,
    CancelRejected: "=",
  },
};

const statuses = new Set<string>(Object.values(OrdStatus));

for (const [from, row] of Object.entries(table)) {
  t.test(`from ${from}`, async (t) => {
    for (const [input, expected] of Object.entries(row) as [Input, string][]) {
      const o = startOrder();
      for (const e of setups[from]!()) o.send(e);
      t.equal(o.status(), from, `setup reaches ${from}`);
      const before = o.order()!;
      const emitted = o.send(inputs[input](before.quantity - before.cumQty));
      const reply = replyOf(emitted);
      if (statuses.has(expected)) {
        t.equal(o.status(), expected, `${input} moves ${from} to ${expected}`);
        t.equal(o.order()!.status, expected, `${input}: context status follows the machine`);
        t.ok(domainEvents(emitted).length > 0, `${input} from ${from} emits domain events`);
        t.equal(reply?.type === "reply" && reply.ok, true, `${input} from ${from} is answered ok`);
      } else if (expected === "=") {
        t.equal(o.status(), from, `${input} leaves ${from} as it is`);
        t.same(domainEvents(emitted), [], `${input} in ${from} emits no domain event`);
        t.same(o.order(), before, `${input} in ${from} changes nothing`);
      } else {
        t.equal(o.status(), from, `${input} is refused in ${from}`);
        t.same(o.order(), before, `${input} in ${from} leaves the order unchanged`);
        t.same(domainEvents(emitted), [], `${input} in ${from} emits no domain event`);
        t.equal(
          reply?.type === "reply" && !reply.ok ? reply.error.code : "ok",
          expected,
          `${input} in ${from} is refused with ${expected}`,
        );
      }
    }
  });
}

t.test("a NEW after the order closed: a repeat of its acknowledgement is answered, a first one refused", async (t) => {
  const acked = startOrder();
  for (const e of [submit(), report("NEW"), cancel(), report("CANCELED")]) acked.send(e);
  const again = replyOf(acked.send(report("NEW")));
  t.equal(again?.type === "reply" && again.ok, true, "acknowledged, then canceled: the NEW again is a duplicate (a forward asked again)");
  t.equal(acked.status(), "CANCELED");
  const unacked = startOrder();
  for (const e of [submit(), report("CANCELED")]) unacked.send(e);
  const late = replyOf(unacked.send(report("NEW")));
  t.equal(
    late?.type === "reply" && !late.ok ? late.error.code : "ok",
    I,
    "canceled before any acknowledgement: a NEW says the venue holds an order we closed, refused for reconciliation",
  );
});

t.test("a replace yields a new version that continues with the new quantity and price", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send(fill(q(4)));
  o.send({ type: "ReplaceOrder", clientOrderId: "c1", quantity: q(20), price: priceOf(101), tsEvent: 1, tsInit: 1, nowUs: 5 });
  t.equal(o.status(), "PENDING_REPLACE");
  const out = o.send(report("REPLACED"));
  t.same(
    domainEvents(out).map((e) => e.type),
    ["OrderReplaced"],
  );
  t.equal(o.status(), "PARTIALLY_FILLED", "the order goes on partially filled after REPLACED");
  t.match(o.order(), { version: 2, quantity: q(20), price: priceOf(101), cumQty: q(4), leavesQty: q(16) });
  o.send(fill(q(16)));
  t.equal(o.status(), "FILLED", "fills count against the new quantity");
});

t.test("a replace to a quantity not above the filled quantity is refused", async (t) => {
  const o = startOrder();
  o.send(submit());
  o.send(report("NEW"));
  o.send(fill(q(4)));
  const out = o.send({ type: "ReplaceOrder", clientOrderId: "c1", quantity: q(4), tsEvent: 1, tsInit: 1, nowUs: 5 });
  t.match(replyOf(out), { ok: false, error: { code: OrderReason.ReplaceBelowFilled } });
  t.equal(o.status(), "PARTIALLY_FILLED");
});

t.test("a cancel or replace for an order never submitted is refused as unknown", async (t) => {
  const o = startOrder();
  t.match(replyOf(o.send(cancel())), { ok: false, error: { code: OrderReason.UnknownOrder } });
  t.match(replyOf(o.send(report("NEW"))), { ok: false, error: { code: OrderReason.UnknownOrder } });
  t.equal(o.order(), null);
});
