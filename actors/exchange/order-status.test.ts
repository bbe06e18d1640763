import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { priceOf, quantityOf } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { OrdStatus, type OrderInput } from "../order/index.ts";
import { startOrder, submit, T0 } from "../order/testing.ts";
import { venueConnectionMachine } from "../venue/index.ts";
import { simulatedVenueMachine } from "./machine.ts";

const INSTRUMENT = "SIM001.SIMX";
type Wire = { type: string; [k: string]: unknown };

/**
 * One order, its venue connection and the simulated exchange wired by their subjects, in memory, with a hand on the
 * wire: `drop` loses the messages it names on their way (a NATS outage, a dying connection).
 */
function trading(t: { teardown(fn: () => void): void }) {
  let now = T0;
  const clock = new SimulatedClock();
  const exchange = createActor(simulatedVenueMachine, {
    input: {
      venue: "SIMX",
      instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
      background: { levels: 3, stepTicks: 1, quantity: quantityOf(100) },
      seqBase: 1000,
    },
  });
  const conn = createActor(venueConnectionMachine, { clock: new SimulatedClock(), input: { venue: "SIMX" } });
  const order = startOrder(undefined, clock);
  const queue: { to: "exchange" | "conn" | "order"; message: Wire }[] = [];
  const lost: string[] = [];
  let drop: (to: string, m: Wire) => boolean = () => false;
  const route = (e: Emitted) => {
    // reports go to order actors as forwards (asked until answered); here every message arrives once
    if (e.type !== "publish" && e.type !== "forward") return;
    const to =
      e.subject === subjects.cmd("venue-adapter", "SIMX")
        ? "exchange"
        : e.subject === subjects.cmd("venue", "SIMX")
          ? "conn"
          : e.subject.startsWith("am.cmd.order.")
            ? "order"
            : undefined;
    if (!to) return;
    if (drop(to, e.message)) lost.push(`${e.message.type}→${to}`);
    else queue.push({ to, message: e.message });
  };
  exchange.on("*", route);
  conn.on("*", route);
  order.actor.on("*", (e) => route(e as Emitted));
  exchange.start();
  conn.start();
  const pump = () => {
    while (queue.length) {
      const q = queue.shift()!;
      now += 10;
      const event = { ...q.message, nowUs: now } as never;
      if (q.to === "order") order.actor.send(event as OrderInput);
      else (q.to === "exchange" ? exchange : conn).send(event);
    }
  };
  const send = (message: Wire) => {
    now += 10;
    order.actor.send({ ...message, nowUs: now } as OrderInput);
    pump();
  };
  t.teardown(() => {
    order.actor.stop();
    conn.stop();
    exchange.stop();
  });
  // the session logs on and reconciles
  conn.send({ type: "Start", nowUs: now } as never);
  pump();
  return {
    order,
    lost,
    send,
    dropping: (f: typeof drop) => {
      drop = f;
    },
    /** time passes for the order's ask timer */
    wait: (ms: number) => {
      now += ms * 1000;
      clock.increment(ms);
      pump();
    },
    openAtVenue: () => exchange.getSnapshot().context.session.openOrderCount,
    view: () => conn.getSnapshot().context.orders,
  };
}

const buy = (id: string) => submit({ clientOrderId: id, instrument: INSTRUMENT, quantity: quantityOf(10), price: priceOf(100) }, T0);

t.test("a new order lost between the connection and the venue is closed with the reason when the order asks", async (t) => {
  const w = trading(t);
  w.dropping((to, m) => to === "exchange" && m.type === "VenueNewOrder");
  w.send(buy("n1"));
  t.same(w.lost, ["VenueNewOrder→exchange"]);
  t.equal(w.order.order()?.status, OrdStatus.PendingNew, "the order waits on the venue");
  w.dropping(() => false);
  w.wait(2_000);
  t.equal(w.order.order()?.status, OrdStatus.Rejected, "resolved by its first ask");
  t.match(w.order.order()?.rejectReason, /VENUE_REJECTED|UNKNOWN/);
  t.match(
    w.order.journal().at(-1),
    { type: "OrderRejected", message: /UNKNOWN_ORDER: venue SIMX never received order n1/ },
    "journaled with the reason",
  );
  t.same(w.view(), {}, "the connection's view releases it");
  w.wait(120_000);
  t.equal(
    w.order.out.filter((e) => e.type === "publish" && e.message.type === "VenueOrderStatusRequest").length,
    1,
    "no ask after it closed",
  );
});

t.test("a new order lost on its way to the connection is closed with the reason when the order asks", async (t) => {
  const w = trading(t);
  w.dropping((to, m) => to === "conn" && m.type === "VenueNewOrder");
  w.send(buy("n2"));
  w.dropping(() => false);
  w.wait(2_000);
  t.match(w.order.journal().at(-1), { type: "OrderRejected", message: /never received/ });
});

t.test("an acknowledgement lost on its way back is found by the ask: the venue's truth, accepted", async (t) => {
  const w = trading(t);
  w.dropping((to, m) => to === "order" && m.type === "ExecutionReport");
  w.send(buy("a1"));
  t.equal(w.openAtVenue(), 1, "the venue has it");
  t.equal(w.order.order()?.status, OrdStatus.PendingNew, "the order never heard");
  w.dropping(() => false);
  w.wait(2_000);
  t.equal(w.order.order()?.status, OrdStatus.New, "accepted, as at the venue");
  t.equal(w.order.order()?.acked, true);
  w.wait(120_000);
  t.equal(w.order.order()?.status, OrdStatus.New, "and it asks no more");
});

t.test("a cancel lost on its way to the venue is sent again by the ask; a lost replace is refused, terms as at the venue", async (t) => {
  const w = trading(t);
  w.send(buy("c1"));
  t.equal(w.order.order()?.status, OrdStatus.New);
  w.dropping((to, m) => to === "exchange" && (m.type === "VenueCancelOrder" || m.type === "VenueReplaceOrder"));
  w.send({ type: "ReplaceOrder", clientOrderId: "c1", quantity: quantityOf(20), tsEvent: T0, tsInit: T0 });
  t.equal(w.order.order()?.status, OrdStatus.PendingReplace);
  w.dropping(() => false);
  w.wait(2_000);
  t.equal(w.order.order()?.status, OrdStatus.New, "the replace the venue never had is refused");
  t.equal(w.order.order()?.quantity, quantityOf(10), "the order stands on its earlier terms");
  w.dropping((to, m) => to === "exchange" && m.type === "VenueCancelOrder");
  w.send({ type: "CancelOrder", clientOrderId: "c1", tsEvent: T0, tsInit: T0 });
  t.equal(w.order.order()?.status, OrdStatus.PendingCancel);
  w.dropping(() => false);
  w.wait(2_000);
  t.equal(w.order.order()?.status, OrdStatus.Canceled, "the cancel sent again by the connection took effect");
  t.equal(w.openAtVenue(), 0);
  t.same(w.view(), {});
});
