import t from "tap";
import { subjects } from "../contract/index.ts";
import { DenyReason } from "./deny-reason.ts";
import { killSwitchCancels } from "./decide.ts";
import { replay } from "./evolve.ts";
import { AAPL, approved, BookHarness, denialCode, money, px, qty, testConfig } from "./testing.ts";

const submit = (h: BookHarness, clientOrderId: string, quantity: number, price = px(10)) =>
  h.send({
    type: "SubmitOrder",
    clientOrderId,
    instrument: AAPL,
    side: "BUY",
    orderType: "LIMIT",
    quantity,
    price,
    timeInForce: "DAY",
    postOnly: false,
    reduceOnly: false,
    strategy: "s1",
    book: "test-book",
  });

const venueFill = (h: BookHarness, clientOrderId: string, execId: string, lastQty: number, leavesQty: number, fee = 0) =>
  h.send({
    type: "OrderFilled",
    clientOrderId,
    execId,
    side: "BUY",
    lastQty,
    lastPx: px(10),
    fee,
    liquidity: "MAKER",
    cumQty: lastQty,
    leavesQty,
    avgPx: px(10),
    venueSeq: 1,
  });

t.test("an approved SubmitOrder is forwarded to its order actor, a denied one is not", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.limits({ maxPosition: qty(100) });
  t.ok(approved(submit(h, "a", px(100))));
  t.equal(h.published.length, 1);
  t.equal(h.published[0]?.subject, subjects.cmd("order", "a"));
  t.match(h.published[0]?.message, { type: "SubmitOrder", clientOrderId: "a", quantity: qty(100), orderType: "LIMIT", book: "test-book" });
  t.notOk("nowUs" in (h.published[0]?.message ?? {}), "runtime stamps are not forwarded");
  t.equal(denialCode(submit(h, "b", 1)), DenyReason.MaxPosition);
  t.equal(h.published.length, 1, "nothing forwarded for the denied order");
  t.equal(h.journal.at(-1)?.type, "OrderDenied");
});

t.test("the order actor's OrderFilled (no instrument, execId, signed fee as a number) fills the reserved instrument", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  submit(h, "a", px(10));
  venueFill(h, "a", "E1", px(4), px(6), -200_000_000);
  t.equal(h.book.portfolio.positions[AAPL]?.quantity, px(4));
  t.equal(h.book.portfolio.fees, money("-2"), "a rebate is a negative fee");
  t.equal(h.book.pending.a?.remaining, px(6));
  venueFill(h, "a", "E1", px(4), px(6));
  t.equal(h.book.portfolio.positions[AAPL]?.quantity, px(4), "the same execId is applied once");
  venueFill(h, "a", "E2", px(6), 0);
  t.equal(h.book.pending.a, undefined, "leavesQty 0 ends the reservation");
  const r = venueFill(h, "zz", "E3", px(1), 0);
  t.equal(r && !r.ok ? r.error.code : "", DenyReason.UnknownOrder, "a fill of an unknown order without instrument is refused");
});

t.test("OrderCanceled releases the reservation", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  submit(h, "a", px(10));
  submit(h, "b", px(10));
  h.send({ type: "OrderCanceled", clientOrderId: "a", cause: "USER", cumQty: 0 });
  h.send({ type: "OrderCanceled", clientOrderId: "b" });
  t.same(Object.keys(h.book.pending), []);
  t.same(h.journal.filter((e) => e.type === "OrderReleased").length, 2);
});

t.test("an order id is approved once: sent again after its order closed, it reserves nothing", async (t) => {
  const h = new BookHarness(testConfig({ fillMemory: 2 }));
  h.mark(AAPL, px(10));
  t.ok(approved(submit(h, "a", px(10))));
  venueFill(h, "a", "E1", px(10), 0);
  t.equal(h.book.pending.a, undefined, "filled, the order closed");
  const journaled = h.journal.length;
  const again = submit(h, "a", px(10));
  t.match(
    again,
    { ok: true, result: { approved: true, retried: true, closed: true } },
    "a resent SubmitOrder is answered, not approved anew",
  );
  t.equal(h.journal.length, journaled, "no second OrderApproved");
  t.same(Object.keys(h.book.pending), [], "no reservation without an order behind it");
  t.equal(h.published.at(-1)?.subject, subjects.cmd("order", "a"), "its order entity answers as the order it is");
  const check = h.send({
    type: "CheckOrder",
    clientOrderId: "a",
    instrument: AAPL,
    side: "BUY",
    quantity: px(10),
    price: px(10),
    strategy: "s1",
  });
  t.equal(denialCode(check), DenyReason.DuplicateOrder, "a bare check of a closed order's id is refused");

  submit(h, "b", px(1));
  h.send({ type: "OrderCanceled", clientOrderId: "b" });
  t.same(h.book.closedOrders, ["a", "b"], "a released order is remembered as closed too");
  submit(h, "c", px(1));
  h.send({ type: "OrderCanceled", clientOrderId: "c" });
  t.same(h.book.closedOrders, ["b", "c"], "the memory keeps the last fillMemory ids");
  t.same(replay(h.journal, h.config).closedOrders, h.book.closedOrders, "replay rebuilds it");
});

t.test("a replace is checked as the order it becomes, net of what has filled", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  h.limits({ maxPosition: qty(100) });
  submit(h, "a", px(50));
  venueFill(h, "a", "E1", px(20), px(30));
  t.equal(
    denialCode(h.send({ type: "ReplaceOrder", clientOrderId: "a", quantity: qty(100) + 1 })),
    DenyReason.MaxPosition,
    "20 filled + 80 + 1 unit",
  );
  t.equal(h.book.pending.a?.remaining, px(30), "a denied replace leaves the reservation");
  t.ok(approved(h.send({ type: "ReplaceOrder", clientOrderId: "a", quantity: qty(100), price: px(10.01) })));
  t.match(h.book.pending.a, { quantity: qty(100), remaining: qty(80), price: px(10.01) });
  t.match(
    h.published.at(-1),
    {
      subject: subjects.cmd("order", "a"),
      key: `replace:a:${qty(100)}:${px(10.01)}:`,
      message: { type: "ReplaceOrder", quantity: qty(100) },
    },
    "forwarded to the order entity: asked again until it answers, and the requester hears its answer",
  );
  t.notOk(h.published.at(-1)?.detached);
  t.equal(denialCode(h.send({ type: "ReplaceOrder", clientOrderId: "nope", quantity: qty(1) })), DenyReason.UnknownOrder);
});

t.test("cancels are forwarded even when the kill switch is engaged", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  submit(h, "a", px(10));
  h.send({ type: "EngageKillSwitch", scope: "BOOK", by: "ops", reason: "drill" });
  t.equal(denialCode(submit(h, "b", px(1))), DenyReason.KillSwitch);
  t.ok(approved(h.send({ type: "CancelOrder", clientOrderId: "a" })));
  t.match(h.published.at(-1), { subject: subjects.cmd("order", "a"), message: { type: "CancelOrder", clientOrderId: "a" } });
});

t.test("engaging a kill switch cancels the open orders in its scope and refuses new ones", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  submit(h, "a", px(10));
  submit(h, "b", px(10));
  h.published.length = 0;
  h.send({ type: "EngageKillSwitch", scope: "BOOK", by: "ops", reason: "drill" });
  t.same(
    h.published.map((p) => [p.subject, p.message.type, p.message.clientOrderId, p.key, p.detached]),
    [
      [subjects.cmd("order", "a"), "CancelOrder", "a", "cancel:a", true],
      [subjects.cmd("order", "b"), "CancelOrder", "b", "cancel:b", true],
    ],
    "each open order's cancel is forwarded to its order entity (asked again until answered), not holding the switch's answer",
  );
  t.match(h.replies.at(-1), { ok: true, result: { engaged: true, canceled: 2 } });
  t.equal(denialCode(submit(h, "c", px(1))), DenyReason.KillSwitch, "a new order is refused");
});

t.test("after a restart, an engaged kill switch's cancels are owed again for the open orders in its scope", async (t) => {
  const h = new BookHarness();
  h.mark(AAPL, px(10));
  submit(h, "a", px(10));
  submit(h, "b", px(10));
  const owed = (book = replay(h.journal, h.config)) => killSwitchCancels(book).map((f) => [f.key, f.subject, f.message.type]);
  t.same(owed(), [], "no switch engaged: nothing to cancel");
  h.send({ type: "EngageKillSwitch", scope: "STRATEGY", strategy: "other", by: "ops", reason: "drill" });
  t.same(owed(), [], "another strategy's switch covers neither order");
  h.send({ type: "EngageKillSwitch", scope: "STRATEGY", strategy: "s1", by: "ops", reason: "drill" });
  t.same(
    owed(),
    [
      ["cancel:a", subjects.cmd("order", "a"), "CancelOrder"],
      ["cancel:b", subjects.cmd("order", "b"), "CancelOrder"],
    ],
    "the book rebuilt from its journal cancels both again",
  );
  h.send({ type: "OrderCanceled", clientOrderId: "a" });
  t.same(owed(), [["cancel:b", subjects.cmd("order", "b"), "CancelOrder"]], "a closed order is owed nothing");
  h.send({ type: "ReleaseKillSwitch", scope: "STRATEGY", strategy: "s1", by: "ops" });
  t.same(owed(), [], "released: nothing owed");
});
