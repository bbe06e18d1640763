import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { type ExecutionReport, type VenueNewOrder, priceOf, quantityOf, asPrice, asQuantity } from "../../domain/index.ts";
import type { Emitted } from "../../contract/index.ts";
import { type VenueConnectionConfig, type VenueConnectionInput, venueConnectionMachine } from "./machine.ts";
import { VenueReason } from "./reasons.ts";
import { backoffMs, nextRandom, takeToken } from "./resilience.ts";

const q = quantityOf;
const NOW = 1_700_000_000_000_000;

function start(over: Partial<VenueConnectionConfig> = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(venueConnectionMachine, {
    clock,
    input: { venue: "XNAS", backoffBaseMs: 100, backoffMaxMs: 1_000, breakerThreshold: 3, breakerCooldownMs: 5_000, ...over },
  });
  const out: Emitted[] = [];
  actor.on("*", (e) => {
    out.push(e as Emitted);
  });
  actor.start();
  return {
    actor,
    clock,
    out,
    send(e: VenueConnectionInput) {
      const from = out.length;
      actor.send(e);
      return out.slice(from);
    },
    state: () => actor.getSnapshot().value as string,
    ctx: () => actor.getSnapshot().context,
  };
}
type Conn = ReturnType<typeof start>;

const newOrder = (id: string, nowUs = NOW): VenueConnectionInput => {
  const o: VenueNewOrder = {
    clientOrderId: id,
    version: 1,
    instrument: "AAPL.XNAS",
    side: "BUY",
    orderType: "LIMIT",
    quantity: q(10),
    price: priceOf(100),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return { type: "VenueNewOrder", ...o, nowUs };
};
const execReport = (
  id: string,
  execType: ExecutionReport["execType"],
  seq: number,
  over: Partial<ExecutionReport> = {},
): VenueConnectionInput => ({
  type: "ExecutionReport",
  clientOrderId: id,
  venueOrderId: `v-${id}`,
  execId: `e${seq}`,
  execType,
  instrument: "AAPL.XNAS",
  side: "BUY",
  lastQty: asQuantity(0),
  lastPx: asPrice(0),
  cumQty: asQuantity(0),
  leavesQty: q(10),
  avgPx: asPrice(0),
  fee: 0,
  venueSeq: seq,
  tsEvent: NOW,
  tsInit: NOW,
  nowUs: NOW + seq,
  ...over,
});
/** the report as the venue holds it, without the delivery fields */
function plain(e: VenueConnectionInput): ExecutionReport {
  const { type: _t, nowUs: _n, ...rest } = e as ExecutionReport & { type: string; nowUs: number };
  return rest;
}
/** what goes out on a subject: published, or forwarded until its target answers (reports to order actors) */
const published = (out: Emitted[], type: string) =>
  out.flatMap((e) => ((e.type === "publish" || e.type === "forward") && e.message.type === type ? [e] : []));
const domain = (out: Emitted[], type: string) => out.flatMap((e) => (e.type === "domain" && e.event.type === type ? [e.event] : []));

function toReady(c: Conn, snapshot: Partial<{ openOrders: []; executions: ExecutionReport[] }> = {}) {
  c.send({ type: "Start", nowUs: NOW });
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 1 });
  c.send({ type: "VenueStateSnapshot", openOrders: [], executions: [], ...snapshot, nowUs: NOW + 2 });
}

t.test("connects, logs on, reconciles and becomes ready; orders go to the adapter only when ready", async (t) => {
  const c = start();
  t.equal(c.state(), "disconnected");
  const early = c.send(newOrder("c0"));
  t.match(
    early.find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.NotReady } },
  );
  t.match(published(early, "ExecutionReport")[0], { subject: "am.cmd.order.c0", message: { execType: "REJECTED" } });
  const s = c.send({ type: "Start", nowUs: NOW });
  t.equal(c.state(), "connecting");
  t.match(published(s, "AdapterConnect")[0], { subject: "am.cmd.venue-adapter.XNAS" });
  const l = c.send({ type: "AdapterLoggedOn", nowUs: NOW + 1 });
  t.equal(c.state(), "loggedOn");
  t.match(published(l, "AdapterRequestState")[0], { message: { sinceSeq: 0 } });
  t.match(
    c.send(newOrder("c1")).find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.NotReady } },
    "refused while reconciling",
  );
  const r = c.send({ type: "VenueStateSnapshot", openOrders: [], executions: [], nowUs: NOW + 2 });
  t.equal(c.state(), "ready");
  t.equal(domain(r, "VenueReconciled").length, 1);
  const sent = c.send(newOrder("c2", NOW + 3));
  t.match(published(sent, "VenueNewOrder")[0], { subject: "am.cmd.venue-adapter.XNAS", message: { clientOrderId: "c2" } });
  t.match(c.ctx().orders.c2, { state: "IN_FLIGHT" });
  const ack = c.send(execReport("c2", "NEW", 1));
  t.match(published(ack, "ExecutionReport")[0], { subject: "am.cmd.order.c2", message: { execType: "NEW" } });
  t.match(c.ctx().orders.c2, { state: "OPEN", venueOrderId: "v-c2" });
  t.equal(c.ctx().lastVenueSeq, 1);
});

t.test("reconnects with exponential backoff and seeded jitter on the simulated clock", async (t) => {
  const c = start({ breakerThreshold: 10 });
  c.send({ type: "Start", nowUs: NOW });
  let rng = c.ctx().rng;
  for (let attempt = 1; attempt <= 4; attempt++) {
    c.send({ type: "AdapterConnectFailed", reason: "refused", nowUs: NOW });
    t.equal(c.state(), "backoff");
    const [r, next] = nextRandom(rng);
    rng = next;
    const delay = backoffMs(attempt, 100, 1_000, r);
    t.equal(c.ctx().nextDelayMs, delay, `attempt ${attempt} waits ${delay} ms`);
    t.ok(delay >= Math.min(1_000, 100 * 2 ** (attempt - 1)) / 2, "at least half the exponential step");
    c.clock.increment(delay - 1);
    t.equal(c.state(), "backoff", "not before the delay");
    c.clock.increment(1);
    t.equal(c.state(), "connecting", "reconnects after the delay");
  }
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 10 });
  t.equal(c.ctx().attempt, 0, "a logon resets the backoff");
});

t.test("the same seed gives the same reconnect schedule", async (t) => {
  const schedule = (seed: number) => {
    const c = start({ seed, breakerThreshold: 10 });
    c.send({ type: "Start", nowUs: NOW });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      c.send({ type: "AdapterConnectFailed", reason: "x", nowUs: NOW });
      delays.push(c.ctx().nextDelayMs);
      c.clock.increment(c.ctx().nextDelayMs);
    }
    return delays;
  };
  t.same(schedule(9), schedule(9));
  t.not(schedule(9).join(), schedule(10).join());
});

t.test("a connect timeout counts as a failure", async (t) => {
  const c = start({ connectTimeoutMs: 2_000 });
  const s = c.send({ type: "Start", nowUs: NOW });
  t.ok(s.length > 0);
  c.clock.increment(2_000);
  t.equal(c.state(), "backoff");
  t.equal(published(c.out, "AdapterDisconnect").length, 1);
});

t.test("the circuit opens after N consecutive failures, degrades, then probes once half-open", async (t) => {
  const c = start();
  c.send({ type: "Start", nowUs: NOW });
  for (let i = 0; i < 2; i++) {
    c.send({ type: "AdapterConnectFailed", reason: "x", nowUs: NOW + i });
    c.clock.increment(c.ctx().nextDelayMs);
  }
  const third = c.send({ type: "AdapterConnectFailed", reason: "x", nowUs: NOW + 2 });
  t.equal(c.state(), "degraded");
  t.match(domain(third, "VenueCircuitOpened")[0], { venue: "XNAS", failures: 3 });
  t.match(
    c.send(newOrder("c1")).find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.NotReady } },
  );
  c.clock.increment(4_999);
  t.equal(c.state(), "degraded", "no reconnect during the cool-down");
  c.clock.increment(1);
  t.equal(c.state(), "connecting", "one probe after the cool-down");
  t.equal(c.ctx().breaker.mode, "HALF_OPEN");
  c.send({ type: "AdapterConnectFailed", reason: "x", nowUs: NOW + 9_000_000 });
  t.equal(c.state(), "degraded", "a failed probe opens the circuit again");
  c.clock.increment(5_000);
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 15_000_000 });
  t.equal(c.ctx().breaker.mode, "CLOSED", "a successful probe closes it");
});

t.test("failures spread wider than the window do not open the circuit", async (t) => {
  const c = start({ breakerWindowUs: 1_000_000 });
  c.send({ type: "Start", nowUs: NOW });
  for (let i = 0; i < 5; i++) {
    c.send({ type: "AdapterConnectFailed", reason: "x", nowUs: NOW + i * 2_000_000 });
    t.equal(c.state(), "backoff");
    c.clock.increment(c.ctx().nextDelayMs);
  }
});

t.test("new orders over the rate limit are refused with RATE_LIMITED and pass again after refill", async (t) => {
  const c = start({ rateCapacity: 2, ratePerSecond: 1 });
  toReady(c);
  t.match(
    c.send(newOrder("a", NOW + 10)).find((e) => e.type === "reply"),
    { ok: true },
  );
  t.match(
    c.send(newOrder("b", NOW + 10)).find((e) => e.type === "reply"),
    { ok: true },
  );
  const over = c.send(newOrder("c", NOW + 10));
  t.match(
    over.find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.RateLimited } },
  );
  t.match(published(over, "ExecutionReport")[0], { subject: "am.cmd.order.c", message: { execType: "REJECTED" } });
  t.equal(published(over, "VenueNewOrder").length, 0);
  t.match(
    c.send(newOrder("d", NOW + 1_000_010)).find((e) => e.type === "reply"),
    { ok: true },
    "one token refilled after a second",
  );
  const cancel = c.send({
    type: "VenueCancelOrder",
    clientOrderId: "a",
    instrument: "AAPL.XNAS",
    side: "BUY",
    cause: "USER",
    tsEvent: NOW,
    tsInit: NOW,
    nowUs: NOW + 1_000_011,
  });
  t.equal(published(cancel, "VenueCancelOrder").length, 1, "cancels are never rate limited");
});

t.test("the token bucket refills exactly on integer microseconds", async (t) => {
  let b = { micro: 0, atUs: 0 };
  const r1 = takeToken(b, 499_999, 5, 2);
  t.notOk(r1.ok);
  b = r1.bucket;
  t.ok(takeToken(b, 500_000, 5, 2).ok);
});

t.test("a drop and reconnect reconciles: lost ack resolved, missing fill forwarded once, ready again", async (t) => {
  const c = start();
  toReady(c);
  c.send(newOrder("c1", NOW + 10));
  c.send(newOrder("c2", NOW + 10));
  c.send(execReport("c2", "NEW", 1));
  c.send(execReport("c2", "PARTIAL_FILL", 2, { lastQty: q(2), lastPx: priceOf(100), cumQty: q(2), leavesQty: q(8), liquidity: "MAKER" }));
  c.send({ type: "AdapterDisconnected", reason: "tcp reset", nowUs: NOW + 20 });
  t.equal(c.state(), "backoff");
  c.clock.increment(c.ctx().nextDelayMs);
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 30 });
  t.match(published(c.out, "AdapterRequestState").at(-1), { message: { sinceSeq: 2 } });
  const fills = [
    execReport("c2", "PARTIAL_FILL", 2, { lastQty: q(2), lastPx: priceOf(100), cumQty: q(2), leavesQty: q(8), liquidity: "MAKER" }),
    execReport("c2", "PARTIAL_FILL", 3, { lastQty: q(3), lastPx: priceOf(100), cumQty: q(5), leavesQty: q(5), liquidity: "MAKER" }),
  ];
  const r = c.send({
    type: "VenueStateSnapshot",
    openOrders: [
      {
        clientOrderId: "c1",
        venueOrderId: "v-c1",
        instrument: "AAPL.XNAS",
        side: "BUY",
        quantity: q(10),
        cumQty: asQuantity(0),
        leavesQty: q(10),
      },
      { clientOrderId: "c2", venueOrderId: "v-c2", instrument: "AAPL.XNAS", side: "BUY", quantity: q(10), cumQty: q(5), leavesQty: q(5) },
      {
        clientOrderId: "x9",
        venueOrderId: "v-x9",
        instrument: "AAPL.XNAS",
        side: "SELL",
        quantity: q(1),
        cumQty: asQuantity(0),
        leavesQty: q(1),
      },
    ],
    executions: fills.map(plain),
    nowUs: NOW + 31,
  });
  t.equal(c.state(), "ready");
  const forwarded = published(r, "ExecutionReport").map((e) => e.message);
  t.match(forwarded, [
    { execId: "e3", clientOrderId: "c2" },
    { execType: "NEW", clientOrderId: "c1", venueOrderId: "v-c1" },
  ]);
  t.match(domain(r, "UnknownVenueOrderFound"), [{ clientOrderId: "x9", venueOrderId: "v-x9" }]);
  t.match(domain(r, "VenueReconciled")[0], { appliedExecutions: 1, resolvedInFlight: 1, unknownOrders: 1, lastVenueSeq: 3 });
});

t.test("a cancel during a drop is held, re-sent after reconnect, and the connection is ready once it is answered", async (t) => {
  const c = start();
  toReady(c);
  c.send(newOrder("c1", NOW + 10));
  c.send(execReport("c1", "NEW", 1));
  c.send({ type: "AdapterDisconnected", reason: "x", nowUs: NOW + 20 });
  const held = c.send({
    type: "VenueCancelOrder",
    clientOrderId: "c1",
    instrument: "AAPL.XNAS",
    side: "BUY",
    cause: "USER",
    tsEvent: NOW,
    tsInit: NOW,
    nowUs: NOW + 21,
  });
  t.match(
    held.find((e) => e.type === "reply"),
    { ok: true },
  );
  t.equal(published(held, "VenueCancelOrder").length, 0, "nothing is sent while disconnected");
  c.clock.increment(c.ctx().nextDelayMs);
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 30 });
  const r = c.send({
    type: "VenueStateSnapshot",
    openOrders: [
      {
        clientOrderId: "c1",
        venueOrderId: "v-c1",
        instrument: "AAPL.XNAS",
        side: "BUY",
        quantity: q(10),
        cumQty: asQuantity(0),
        leavesQty: q(10),
      },
    ],
    executions: [],
    nowUs: NOW + 31,
  });
  t.equal(published(r, "VenueCancelOrder").length, 1, "the cancel is re-sent");
  t.equal(c.state(), "reconciling", "not ready until the venue answers the cancel");
  t.match(
    c.send(newOrder("c5", NOW + 32)).find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.NotReady } },
  );
  c.send(execReport("c1", "CANCELED", 2, { leavesQty: asQuantity(0) }));
  t.equal(c.state(), "ready");
  t.same(c.ctx().orders, {}, "the canceled order left the view");
});

t.test("the kill switch cancels every open order, refuses new ones with a reason, and is released by an operator", async (t) => {
  const c = start();
  toReady(c);
  c.send(newOrder("a", NOW + 10));
  c.send(newOrder("b", NOW + 10));
  c.send(execReport("a", "NEW", 1));
  const k = c.send({
    type: "ActivateVenueKillSwitch",
    by: "ops",
    reason: "risk limit breached",
    tsEvent: NOW + 20,
    tsInit: NOW + 20,
    nowUs: NOW + 20,
  });
  t.match(domain(k, "VenueKillSwitchActivated")[0], { venue: "XNAS", reason: "risk limit breached", canceled: 2 });
  t.same(
    published(k, "VenueCancelOrder")
      .map((e) => e.type === "publish" && e.message.clientOrderId)
      .sort(),
    ["a", "b"],
  );
  t.ok(published(k, "VenueCancelOrder").every((e) => e.type === "publish" && e.message.cause === "KILL_SWITCH"));
  const refused = c.send(newOrder("c", NOW + 21));
  t.match(
    refused.find((e) => e.type === "reply"),
    { ok: false, error: { code: VenueReason.KillSwitchActive } },
  );
  t.match(published(refused, "ExecutionReport")[0], { message: { execType: "REJECTED", clientOrderId: "c" } });
  const rel = c.send({ type: "ReleaseVenueKillSwitch", by: "ops", tsEvent: NOW + 30, tsInit: NOW + 30, nowUs: NOW + 30 });
  t.equal(domain(rel, "VenueKillSwitchReleased").length, 1);
  t.match(
    c.send(newOrder("d", NOW + 31)).find((e) => e.type === "reply"),
    { ok: true },
  );
});

t.test("a kill switch while disconnected cancels the open orders once reconnected", async (t) => {
  const c = start();
  toReady(c);
  c.send(newOrder("a", NOW + 10));
  c.send(execReport("a", "NEW", 1));
  c.send({ type: "AdapterDisconnected", reason: "x", nowUs: NOW + 20 });
  const k = c.send({
    type: "ActivateVenueKillSwitch",
    by: "ops",
    reason: "operator",
    tsEvent: NOW + 21,
    tsInit: NOW + 21,
    nowUs: NOW + 21,
  });
  t.equal(published(k, "VenueCancelOrder").length, 0);
  c.clock.increment(c.ctx().nextDelayMs);
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 30 });
  const r = c.send({
    type: "VenueStateSnapshot",
    openOrders: [
      {
        clientOrderId: "a",
        venueOrderId: "v-a",
        instrument: "AAPL.XNAS",
        side: "BUY",
        quantity: q(10),
        cumQty: asQuantity(0),
        leavesQty: q(10),
      },
    ],
    executions: [],
    nowUs: NOW + 31,
  });
  t.match(published(r, "VenueCancelOrder"), [{ message: { clientOrderId: "a", cause: "KILL_SWITCH" } }]);
});

t.test("a connection resumed in a new process logs on again at once from any state, with a fresh backoff and breaker", async (t) => {
  const ready = start();
  toReady(ready);
  const degraded = start();
  degraded.send({ type: "Start", nowUs: NOW });
  for (let i = 1; i <= 3; i++) {
    degraded.send({ type: "AdapterConnectFailed", reason: "refused", nowUs: NOW + i });
    if (i < 3) degraded.clock.increment(degraded.ctx().nextDelayMs);
  }
  t.equal(degraded.state(), "degraded", "circuit open before the restart");
  const backoff = start();
  backoff.send({ type: "Start", nowUs: NOW });
  backoff.send({ type: "AdapterDisconnected", reason: "drop", nowUs: NOW + 1 });
  t.equal(backoff.state(), "backoff");
  const connecting = start();
  connecting.send({ type: "Start", nowUs: NOW });
  for (const [name, c] of Object.entries({ ready, degraded, backoff, connecting })) {
    const out = c.send({ type: "ResumeVenueSession", nowUs: NOW + 100 });
    t.equal(c.state(), "connecting", `${name}: connecting`);
    t.equal(published(out, "AdapterConnect").length, 1, `${name}: logs on again at once`);
    t.match(c.ctx(), { attempt: 0, breaker: { mode: "CLOSED" } }, `${name}: the dead session's failures are forgotten`);
    c.send({ type: "AdapterLoggedOn", nowUs: NOW + 101 });
    c.send({ type: "VenueStateSnapshot", openOrders: [], executions: [], nowUs: NOW + 102 });
    t.equal(c.state(), "ready", `${name}: ready after reconciling`);
  }
});

t.test(
  "a restored order asking after its order: held until reconciled, then closed with the reason when the venue does not have it",
  async (t) => {
    const c = start();
    c.send({ type: "Start", nowUs: NOW });
    const ask = (id: string, acknowledged: boolean, nowUs: number): VenueConnectionInput => ({
      type: "VenueOrderStatusRequest",
      clientOrderId: id,
      instrument: "AAPL.XNAS",
      side: "BUY",
      cumQty: q(2),
      acknowledged,
      tsEvent: nowUs,
      tsInit: nowUs,
      nowUs,
    });
    t.same(published(c.send(ask("lost", false, NOW + 1)), "ExecutionReport"), [], "held while logging on");
    t.same(published(c.send(ask("gone", true, NOW + 2)), "ExecutionReport"), []);
    c.send({ type: "AdapterLoggedOn", nowUs: NOW + 3 });
    const out = c.send({ type: "VenueStateSnapshot", openOrders: [], executions: [], nowUs: NOW + 4 });
    t.equal(c.state(), "ready");
    t.match(
      published(out, "ExecutionReport").map((e) => e.message),
      [
        { clientOrderId: "lost", execType: "REJECTED", text: /never received/ },
        { clientOrderId: "gone", execType: "CANCELED", cumQty: q(2), leavesQty: 0, text: /not open at venue XNAS/ },
      ],
    );
    c.send(newOrder("live", NOW + 5));
    t.same(published(c.send(ask("live", false, NOW + 6)), "ExecutionReport"), [], "an order in the view is left to the venue's reports");
    const asked = c.send(ask("other", true, NOW + 7));
    t.same(published(asked, "ExecutionReport"), [], "when ready, an order not in the view is asked of the venue");
    t.match(published(asked, "AdapterOrderStatusRequest"), [{ message: { clientOrderId: "other" } }]);
    t.match(
      published(
        c.send({ type: "VenueOrderStatus", clientOrderId: "other", open: false, reports: [], nowUs: NOW + 8 }),
        "ExecutionReport",
      )[0]?.message,
      { clientOrderId: "other", execType: "CANCELED", text: /not open at venue XNAS/ },
      "and closed with the reason when the venue remembers nothing of it",
    );
  },
);

t.test(
  "an order whose fill the view forwarded and let go, asking after its order, gets the venue's fill again, not a close with nothing filled",
  async (t) => {
    const { c } = withWorkingOrder();
    const fill = execReport("c1", "FILL", 2, { lastQty: q(10), lastPx: priceOf(100), cumQty: q(10), leavesQty: q(0), avgPx: priceOf(100) });
    t.equal(published(c.send(fill), "ExecutionReport").length, 1, "the fill is forwarded");
    t.notOk(c.ctx().orders.c1, "and the filled order leaves the view");

    // the order actor lost it (its journal refused the fill and it restarted) and asks as it stands: accepted, nothing filled
    const ask = c.send({
      type: "VenueOrderStatusRequest",
      clientOrderId: "c1",
      instrument: "AAPL.XNAS",
      side: "BUY",
      cumQty: q(0),
      acknowledged: true,
      tsEvent: NOW + 20,
      tsInit: NOW + 20,
      nowUs: NOW + 20,
    });
    t.same(published(ask, "ExecutionReport"), [], "no close is made up before the venue answers");
    const answer = c.send({
      type: "VenueOrderStatus",
      clientOrderId: "c1",
      open: false,
      reports: [plain(execReport("c1", "NEW", 1)), plain(fill)],
      nowUs: NOW + 21,
    });
    t.match(
      published(answer, "ExecutionReport").map((e) => e.message),
      [
        { execId: "e1", execType: "NEW" },
        { execId: "e2", execType: "FILL", cumQty: q(10), leavesQty: 0 },
      ],
      "the venue's acknowledgement and fill go to the order again (applied once, by execId), the fill closing it",
    );
    t.same(c.ctx().statusUnknown, {}, "the ask is settled");
  },
);

t.test(
  "an order open at the venue that the connection does not know is cancelled there, and its order actor hears the cancel",
  async (t) => {
    const unknown = {
      clientOrderId: "closed-here",
      venueOrderId: "v-closed-here",
      instrument: "AAPL.XNAS",
      side: "BUY" as const,
      quantity: q(10),
      cumQty: asQuantity(0),
      leavesQty: q(10),
    };
    const c = start();
    c.send({ type: "Start", nowUs: NOW });
    c.send({ type: "AdapterLoggedOn", nowUs: NOW + 1 });
    const r = c.send({ type: "VenueStateSnapshot", openOrders: [unknown], executions: [], nowUs: NOW + 2 });
    t.equal(c.state(), "ready");
    t.match(domain(r, "UnknownVenueOrderFound"), [{ clientOrderId: "closed-here" }]);
    t.match(published(r, "VenueCancelOrder"), [
      { message: { clientOrderId: "closed-here", venueOrderId: "v-closed-here", cause: "USER" } },
    ]);
    const answer = c.send(execReport("closed-here", "CANCELED", 5, { leavesQty: asQuantity(0) }));
    // this view may be a snapshot older than the order, whose actor then still holds it open
    t.match(
      published(answer, "ExecutionReport"),
      [{ message: { clientOrderId: "closed-here", execType: "CANCELED" } }],
      "the cancel goes to the order's actor",
    );
    t.same(c.ctx().orphans, [], "nor remembered once answered");
    t.equal(c.ctx().lastVenueSeq, 5);

    const shared = start({ unknownOrders: "report" });
    shared.send({ type: "Start", nowUs: NOW });
    shared.send({ type: "AdapterLoggedOn", nowUs: NOW + 1 });
    const reported = shared.send({ type: "VenueStateSnapshot", openOrders: [unknown], executions: [], nowUs: NOW + 2 });
    t.match(domain(reported, "UnknownVenueOrderFound"), [{ clientOrderId: "closed-here" }]);
    t.same(published(reported, "VenueCancelOrder"), [], "a shared account's foreign orders are only reported");
  },
);

t.test("an order that starts working at the venue after the connection closed it is cancelled there", async (t) => {
  const c = start();
  toReady(c);
  // a new order that reached the venue after its state was read on reconnect, its close synthesised meanwhile
  const late = c.send(execReport("late-1", "NEW", 7));
  t.match(published(late, "VenueCancelOrder"), [{ message: { clientOrderId: "late-1", venueOrderId: "v-late-1", cause: "USER" } }]);
  t.equal(published(late, "ExecutionReport").length, 1, "its report still goes to its order actor");
  const fill = c.send(execReport("late-1", "PARTIAL_FILL", 8, { lastQty: q(2), lastPx: priceOf(100), cumQty: q(2), leavesQty: q(8) }));
  t.equal(published(fill, "ExecutionReport").length, 1, "a fill before the cancel landed is the venue's truth: forwarded");
  t.equal(published(fill, "VenueCancelOrder").length, 0, "one cancel is enough");
  const answer = c.send(execReport("late-1", "CANCELED", 9, { leavesQty: asQuantity(0), cumQty: q(2) }));
  t.equal(published(answer, "ExecutionReport").length, 1, "the cancel goes to its order actor too (which holds it closed already)");
  t.same(c.ctx().orphans, []);
});

/** A ready connection whose order c1 (10 lots) the venue acknowledged at sequence 1, and c1's 1-lot fills. */
function withWorkingOrder() {
  const c = start();
  toReady(c);
  c.send(newOrder("c1", NOW + 10));
  c.send(execReport("c1", "NEW", 1));
  const partial = (seq: number, cum: number) =>
    execReport("c1", "PARTIAL_FILL", seq, { lastQty: q(1), lastPx: priceOf(100), cumQty: q(cum), leavesQty: q(10 - cum) });
  return { c, partial };
}

t.test("reports lost on the way (the venue's sequence skips) are asked for and forwarded once, in sequence", async (t) => {
  const { c, partial } = withWorkingOrder();
  // 2 and 3 never arrive
  const late = c.send(partial(4, 3));
  t.same(c.ctx().missingSeqs, [2, 3]);
  t.match(
    published(late, "AdapterRequestState"),
    [{ message: { sinceSeq: 1 } }],
    "the venue is asked since the last report before the gap",
  );
  t.match(published(late, "ExecutionReport"), [{ message: { execId: "e4" } }], "the report that showed the gap goes on at once");
  // another loss before the answer: the request already out covers it
  const again = c.send(partial(6, 4));
  t.same(c.ctx().missingSeqs, [2, 3, 5]);
  t.same(published(again, "AdapterRequestState"), [], "one request per run of losses");

  const r = c.send({
    type: "VenueStateSnapshot",
    openOrders: [],
    executions: [partial(2, 1), partial(3, 2), partial(4, 3), partial(6, 4)].map(plain),
    nowUs: NOW + 40,
  });
  t.equal(c.state(), "ready");
  t.same(
    published(r, "ExecutionReport").map((e) => e.message.execId),
    ["e2", "e3"],
    "only the missing reports are forwarded, in sequence",
  );
  t.match(domain(r, "VenueGapFilled"), [{ venue: "XNAS", missing: 3, recovered: 2, lastVenueSeq: 6 }], "5 is no longer held by the venue");
  t.same(c.ctx().missingSeqs, []);
  t.equal(c.ctx().lastVenueSeq, 6);
  t.same(c.ctx().orders.c1?.execIds, ["e4", "e6", "e2", "e3"]);

  const resent = c.send(partial(3, 2));
  t.same(published(resent, "AdapterRequestState"), [], "a repeat of an old report shows no gap");
});

t.test("a gap's request that goes unanswered is asked again on the clock's tick until the venue answers", async (t) => {
  const { c, partial: fill } = withWorkingOrder();
  const at = c.ctx().nowUs;
  // 2 is lost, and so is the venue's answer to the request 3 makes
  t.equal(published(c.send({ ...fill(3, 2), nowUs: at }), "AdapterRequestState").length, 1);
  t.same(
    published(c.send({ type: "Tick", nowUs: at + 500_000 }), "AdapterRequestState"),
    [],
    "within a second: the request may still be answered",
  );
  t.match(
    published(c.send({ type: "Tick", nowUs: at + 1_000_000 }), "AdapterRequestState"),
    [{ message: { sinceSeq: 1 } }],
    "asked again, from before the missing report",
  );
  t.same(published(c.send({ type: "Tick", nowUs: at + 1_500_000 }), "AdapterRequestState"), [], "at most once a second");
  const r = c.send({ type: "VenueStateSnapshot", openOrders: [], executions: [fill(2, 1), fill(3, 2)].map(plain), nowUs: at + 1_600_000 });
  t.same(
    published(r, "ExecutionReport").map((e) => e.message.execId),
    ["e2"],
    "the lost fill reaches its order",
  );
  t.same(published(c.send({ type: "Tick", nowUs: at + 5_000_000 }), "AdapterRequestState"), [], "no gap, no request");
  const before = c.ctx();
  c.send({ type: "Tick", nowUs: at + 9_000_000 });
  t.equal(c.ctx(), before, "an idle connection's tick leaves its state as it was (nothing new to save)");
});

t.test("a gap still open when the session drops is asked for again at logon", async (t) => {
  const c = start();
  toReady(c);
  c.send(newOrder("c1", NOW + 10));
  c.send(execReport("c1", "NEW", 1));
  c.send(execReport("c1", "PARTIAL_FILL", 3, { lastQty: q(1), lastPx: priceOf(100), cumQty: q(2), leavesQty: q(8) }));
  c.send({ type: "AdapterDisconnected", reason: "tcp reset", nowUs: NOW + 20 });
  c.clock.increment(c.ctx().nextDelayMs);
  c.send({ type: "AdapterLoggedOn", nowUs: NOW + 30 });
  t.match(published(c.out, "AdapterRequestState").at(-1), { message: { sinceSeq: 1 } });
  const r = c.send({
    type: "VenueStateSnapshot",
    openOrders: [
      { clientOrderId: "c1", venueOrderId: "v-c1", instrument: "AAPL.XNAS", side: "BUY", quantity: q(10), cumQty: q(2), leavesQty: q(8) },
    ],
    executions: [
      plain(execReport("c1", "PARTIAL_FILL", 2, { lastQty: q(1), lastPx: priceOf(100), cumQty: q(1), leavesQty: q(9) })),
      plain(execReport("c1", "PARTIAL_FILL", 3, { lastQty: q(1), lastPx: priceOf(100), cumQty: q(2), leavesQty: q(8) })),
    ],
    nowUs: NOW + 31,
  });
  t.equal(c.state(), "ready");
  t.same(
    published(r, "ExecutionReport").map((e) => e.message.execId),
    ["e2"],
    "the missing fill is forwarded; the one already had is not",
  );
  t.same(c.ctx().missingSeqs, []);
  t.equal(c.ctx().lastVenueSeq, 3);
});

t.test("a report an order refuses for good is recorded with the order's reason; other refusals change nothing", async (t) => {
  const { c, partial } = withWorkingOrder();
  const fill = c.send(partial(2, 1));
  const [sent] = fill.flatMap((e) => (e.type === "forward" && e.message.type === "ExecutionReport" ? [e] : []));
  if (sent?.type !== "forward") throw new Error("the fill was not forwarded");
  const error = { code: "UNKNOWN_ORDER", message: "execution report e2: no order c1" };
  const refused = c.send({
    type: "ForwardRefused",
    key: sent.key,
    subject: sent.subject,
    messageType: "ExecutionReport",
    error,
    nowUs: NOW + 50,
  });
  t.match(
    domain(refused, "VenueReportRefused"),
    [{ venue: "XNAS", clientOrderId: "c1", execId: "e2", code: "UNKNOWN_ORDER", reason: error.message, tsEvent: NOW + 50 }],
    "the fill the platform's books lack is on record, for an operator",
  );
  const before = c.ctx();
  const other = c.send({
    type: "ForwardRefused",
    key: "amend:c1",
    subject: sent.subject,
    messageType: "OrderAmendRefused",
    error,
    nowUs: NOW + 60,
  });
  t.same(domain(other, "VenueReportRefused"), [], "only reports are recorded");
  t.same(c.ctx().orders, before.orders, "the view of open orders is unchanged");
});
