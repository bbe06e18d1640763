import t from "tap";
import { SimulatedClock } from "xstate";
import { ExecType, quantityOf } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { fullCapabilities } from "./capabilities.ts";
import { OrdStatus } from "./order-state.ts";
import { domainEvents, report, startOrder, submit, T0 } from "./testing.ts";
import { askDelayMs, defaultVenueInquiry } from "./venue-inquiry.ts";

const asks = (out: Emitted[]) => out.filter((e) => e.type === "publish" && e.message.type === "VenueOrderStatusRequest");

/** An order on a simulated clock, and the asks it sent while the clock moved `ms`. */
function timed() {
  const clock = new SimulatedClock();
  const o = startOrder(fullCapabilities, clock);
  const after = (ms: number) => {
    const from = o.out.length;
    clock.increment(ms);
    return asks(o.out.slice(from));
  };
  return { o, after };
}

t.test("the wait between asks starts at 2 s and doubles up to 30 s", async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5, 60].map((n) => askDelayMs(defaultVenueInquiry, n)),
    [2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
});

t.test("an order the venue never acknowledged asks after it on the deadline, then with backoff, until it hears", async (t) => {
  const { o, after } = timed();
  o.send(submit({}, T0));
  t.equal(o.order()?.status, OrdStatus.PendingNew);
  t.same(after(1_999), [], "nothing before the deadline");
  const [first] = after(1);
  t.match(first, {
    subject: "am.cmd.venue.XNAS",
    message: { type: "VenueOrderStatusRequest", clientOrderId: "c1", acknowledged: false, cumQty: 0 },
  });
  t.same(after(3_999), [], "the second ask waits twice as long");
  t.equal(after(1).length, 1);
  t.equal(after(8_000).length, 1, "then 8 s");
  o.send(report(ExecType.New));
  t.equal(o.order()?.status, OrdStatus.New, "a late acknowledgement is the venue's truth");
  t.same(after(120_000), [], "an acknowledged order asks nothing more: its timer is cleared");
});

t.test("a venue that does not know the order closes it with the reason, and the asking stops", async (t) => {
  const { o, after } = timed();
  o.send(submit({}, T0));
  t.equal(after(2_000).length, 1);
  const out = o.send(report(ExecType.Rejected, { text: "UNKNOWN_ORDER: venue XNAS never received the order (lost in a restart)" }));
  t.match(domainEvents(out), [{ type: "OrderRejected", clientOrderId: "c1", message: /never received/ }], "journaled with the reason");
  t.equal(o.order()?.status, OrdStatus.Rejected);
  t.same(after(120_000), []);
});

t.test("a cancel or replace the venue has not answered is asked after; a new request starts a new wait", async (t) => {
  const { o, after } = timed();
  o.send(submit({}, T0));
  o.send(report(ExecType.New));
  t.same(after(60_000), [], "a working order owes nothing");
  o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: T0, tsInit: T0, nowUs: T0 + 100 } as never);
  t.equal(o.order()?.status, OrdStatus.PendingCancel);
  t.match(after(2_000), [{ message: { acknowledged: true } }], "the pending cancel is asked after");
  t.equal(after(4_000).length, 1);
  o.send(report(ExecType.CancelRejected, { text: "too late" }));
  t.equal(o.order()?.status, OrdStatus.New);
  t.same(after(60_000), []);
  o.send({ type: "ReplaceOrder", clientOrderId: "c1", quantity: 20 * 1e8, tsEvent: T0, tsInit: T0, nowUs: T0 + 200 } as never);
  t.equal(o.order()?.status, OrdStatus.PendingReplace);
  t.same(after(1_999), [], "the replace's wait starts from its own first deadline");
  t.equal(after(1).length, 1);
  o.send(report(ExecType.Replaced, { quantity: quantityOf(20) }));
  t.same(after(60_000), []);
});

t.test("a pending new order that becomes a pending cancel restarts its deadline", async (t) => {
  const { o, after } = timed();
  o.send(submit({}, T0));
  t.equal(after(2_000).length, 1);
  t.same(after(3_000), []);
  o.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: T0, tsInit: T0, nowUs: T0 + 100 } as never);
  t.same(after(1_999), [], "not the old schedule's 4 s, nor at once");
  t.equal(after(1).length, 1);
});

t.test("the venue session logging on again, or NATS coming back, asks at once for any order open at the venue", async (t) => {
  const { o } = timed();
  o.send(submit({}, T0));
  o.send(report(ExecType.New));
  t.match(
    asks(o.send({ type: "VenueReconciled", venue: "XNAS", nowUs: T0 + 10 })),
    [{ message: { clientOrderId: "c1", acknowledged: true } }],
    "its own venue reconciled: fills sent meanwhile may be lost",
  );
  t.same(asks(o.send({ type: "VenueReconciled", venue: "XLON", nowUs: T0 + 11 })), [], "another venue: nothing");
  t.equal(asks(o.send({ type: "ResumeOrder", nowUs: T0 + 12 })).length, 1, "the connection back");

  const waiting = timed();
  waiting.o.send(submit({ clientOrderId: "c1" }, T0));
  waiting.after(1_500);
  t.equal(asks(waiting.o.send({ type: "ResumeOrder", nowUs: T0 + 1_500_000 })).length, 1, "a waiting order asks at once");
  t.same(waiting.after(1_999), [], "and its next deadline counts from that ask, with backoff");
  t.equal(waiting.after(2_001).length, 1);
});
