import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { ExecType, type ExecutionReport, fromNumber, priceOf, quantityOf } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { venueConnectionMachine } from "../venue/index.ts";
import { simulatedVenueMachine } from "./machine.ts";
import { quoteAt } from "./testing.ts";

const NOW = 1_700_000_000_000_000;
const INSTRUMENT = "SIM001.SIMX";

/** A venue connection and the simulated exchange wired by their subjects, in memory. */
function wire(t: { teardown(fn: () => void): void }) {
  let now = NOW;
  const toOrders: ExecutionReport[] = [];
  const newExchange = (seqBase: number) =>
    createActor(simulatedVenueMachine, {
      input: {
        venue: "SIMX",
        instruments: [{ id: INSTRUMENT, tickSize: priceOf(0.01), lotSize: quantityOf(1) }],
        background: { levels: 3, stepTicks: 1, quantity: quantityOf(100) },
        seqBase,
      },
    });
  let exchange = newExchange(1000);
  // a simulated clock: the connection's reconnect timers fire only when the test moves time
  const clock = new SimulatedClock();
  const conn = createActor(venueConnectionMachine, { clock, input: { venue: "SIMX", backoffBaseMs: 100, backoffMaxMs: 100 } });
  const queue: { to: "exchange" | "conn"; message: { type: string; [k: string]: unknown } }[] = [];
  const route = (e: Emitted) => {
    // reports go to order actors as forwards (asked until answered); here every message arrives once
    if (e.type !== "publish" && e.type !== "forward") return;
    if (e.subject === subjects.cmd("venue-adapter", "SIMX")) queue.push({ to: "exchange", message: e.message });
    else if (e.subject === subjects.cmd("venue", "SIMX")) queue.push({ to: "conn", message: e.message });
    else if (e.subject.startsWith("am.cmd.order.")) toOrders.push(e.message as unknown as ExecutionReport);
  };
  exchange.on("*", route);
  conn.on("*", route);
  exchange.start();
  conn.start();
  const pump = () => {
    while (queue.length) {
      const q = queue.shift()!;
      now += 10;
      (q.to === "exchange" ? exchange : conn).send({ ...q.message, nowUs: now } as never);
    }
  };
  const send = (to: "exchange" | "conn", message: { type: string; [k: string]: unknown }) => {
    now += 10;
    (to === "exchange" ? exchange : conn).send({ ...message, nowUs: now } as never);
    pump();
  };
  const wait = (ms: number) => {
    clock.increment(ms);
    pump();
  };
  t.teardown(() => {
    conn.stop();
    exchange.stop();
  });
  /** the exchange process restarts: a fresh venue (no persistence) that opens a new trading session */
  const restartExchange = () => {
    exchange.stop();
    exchange = newExchange(1_000_000);
    exchange.on("*", route);
    exchange.start();
    send("exchange", { type: "OpenTradingSession" });
  };
  return {
    get exchange() {
      return exchange;
    },
    conn,
    send,
    wait,
    toOrders,
    restartExchange,
    now: () => now,
  };
}

const quote = (bid: number, ask: number, nowUs: number) => quoteAt(INSTRUMENT, bid, ask, nowUs);
const newOrder = (id: string, side: "BUY" | "SELL", qty: number, nowUs: number, price?: number) => ({
  type: "VenueNewOrder",
  clientOrderId: id,
  version: 1,
  instrument: INSTRUMENT,
  side,
  orderType: price === undefined ? "MARKET" : "LIMIT",
  quantity: quantityOf(qty),
  ...(price !== undefined ? { price: priceOf(price) } : {}),
  timeInForce: price === undefined ? "IOC" : "GTC",
  postOnly: false,
  reduceOnly: false,
  tsEvent: nowUs,
  tsInit: nowUs,
});

t.test("a venue connection logs on to the simulated exchange and a market order fills against its background", async (t) => {
  const w = wire(t);
  w.send("conn", { type: "Start" });
  t.equal(w.conn.getSnapshot().value, "ready");
  w.send("exchange", quote(100, 100.02, w.now()));
  w.send("conn", newOrder("o1", "BUY", 30, w.now()));
  const kinds = w.toOrders.map((r) => r.execType);
  t.same(kinds, [ExecType.New, ExecType.Fill]);
  const fill = w.toOrders[1]!;
  t.equal(fill.lastQty, fromNumber(30));
  t.equal(fill.lastPx, fromNumber(100.02), "bought at the background's best ask");
  t.equal(fill.avgPx, fromNumber(100.02));
  t.equal(fill.liquidity, "TAKER");
  t.ok(fill.venueSeq > 1000, "venue sequence numbers start above the session's base");
});

t.test("a resting limit order fills when the market's quote moves through it", async (t) => {
  const w = wire(t);
  w.send("conn", { type: "Start" });
  w.send("exchange", quote(100, 100.1, w.now()));
  w.send("conn", newOrder("o2", "BUY", 10, w.now(), 100.05));
  t.same(
    w.toOrders.map((r) => r.execType),
    [ExecType.New],
  );
  w.send("exchange", quote(99.9, 100.04, w.now()));
  const last = w.toOrders.at(-1)!;
  t.equal(last.execType, ExecType.Fill);
  t.equal(last.lastPx, fromNumber(100.05), "filled at our resting price");
  t.equal(last.liquidity, "MAKER");
});

t.test("when the venue drops the session the connection reconnects, reconciles and trades again", async (t) => {
  const w = wire(t);
  w.send("conn", { type: "Start" });
  w.send("exchange", quote(100, 100.02, w.now()));
  w.send("exchange", { type: "AdapterDisconnect", venue: "SIMX", reason: "venue restarted" });
  t.not(w.conn.getSnapshot().value, "ready", "the connection saw the session drop");
  w.send("conn", newOrder("o4", "BUY", 1, w.now()));
  t.equal(w.toOrders.at(-1)?.execType, ExecType.Rejected, "no new orders while the session is down");
  w.wait(1_000);
  t.equal(w.conn.getSnapshot().value, "ready", "logged on again after the backoff");
  w.send("conn", newOrder("o5", "BUY", 1, w.now()));
  t.equal(w.toOrders.at(-1)?.execType, ExecType.Fill);
});

t.test("a state request lists our open orders and the executions after a sequence", async (t) => {
  const w = wire(t);
  w.send("conn", { type: "Start" });
  w.send("exchange", quote(100, 100.1, w.now()));
  w.send("conn", newOrder("o3", "SELL", 5, w.now(), 101));
  const snapshots: unknown[] = [];
  w.exchange.on("*", (e) => {
    if (e.type === "publish" && e.message.type === "VenueStateSnapshot") snapshots.push(e.message);
  });
  w.send("exchange", { type: "AdapterRequestState", venue: "SIMX", sinceSeq: 0 });
  const s = snapshots[0] as { openOrders: { clientOrderId: string; leavesQty: number }[]; executions: ExecutionReport[] };
  t.same(
    s.openOrders.map((o) => [o.clientOrderId, o.leavesQty]),
    [["o3", fromNumber(5)]],
  );
  t.same(
    s.executions.map((r) => r.execType),
    [ExecType.New],
  );
});

t.test(
  "a restarted exchange drops its clients' sessions at once: the connection logs on again, closes the orders the new session does not know, and trades",
  async (t) => {
    const w = wire(t);
    w.send("conn", { type: "Start" });
    w.send("exchange", quote(100, 100.1, w.now()));
    w.send("conn", newOrder("o6", "BUY", 5, w.now(), 99));
    t.equal(w.toOrders.at(-1)?.execType, ExecType.New, "resting before the restart");
    w.restartExchange();
    t.not(w.conn.getSnapshot().value, "ready", "the connection learnt of the new session without sending anything");
    w.wait(1_000);
    t.equal(w.conn.getSnapshot().value, "ready", "logged on to the new session and reconciled");
    t.match(
      w.toOrders.at(-1),
      { clientOrderId: "o6", execType: ExecType.Canceled, text: /not open at the venue/ },
      "the forgotten order is closed, with the reason",
    );
    t.same(w.conn.getSnapshot().context.orders, {}, "nothing left open on our side");
    w.send("exchange", quote(100, 100.02, w.now()));
    w.send("conn", newOrder("o7", "BUY", 1, w.now()));
    t.equal(w.toOrders.at(-1)?.execType, ExecType.Fill, "trading again");
  },
);
