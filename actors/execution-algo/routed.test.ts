import t from "tap";
import { priceOf, quantityOf } from "../domain/index.ts";
import { AlgoDriver, domain, forwards, startAlgo, T0 } from "./testing.ts";

const venues = { SIMA: { takerFeeBps: 3, latencyUs: 0 }, SIMB: { takerFeeBps: 0, latencyUs: 0 } };
const quote = (instrument: string, ask: number, askSize: number) => ({
  type: "Quote",
  instrument,
  bid: priceOf(ask - 0.02),
  bidSize: quantityOf(1),
  ask: priceOf(ask),
  askSize: quantityOf(askSize),
  tsEvent: T0,
  tsInit: T0,
});
const routed = (over: Record<string, unknown> = {}) =>
  startAlgo({
    instrument: "ACME.SIMA",
    quantity: quantityOf(10),
    limitPrice: priceOf(100.05),
    params: { algo: "SOR", venues: ["SIMA", "SIMB"], checkEveryMs: 100, latencyBpsPerMs: 0, missCostBps: 0, minChildLots: 1 },
    ...over,
  });
const report = (type: string, clientOrderId: string, extra: Record<string, unknown> = {}) => ({
  type,
  clientOrderId,
  tsEvent: T0,
  tsInit: T0,
  ...extra,
});

t.test("a routed parent splits across two venues by the consolidated book, each child at its venue's touch", async (t) => {
  const d = new AlgoDriver("r1", venues);
  t.match(d.send(routed()).at(-1), { type: "reply", ok: true });
  t.equal(forwards(d.advance(T0)).length, 0, "no child before any venue is quoted");
  d.send(quote("ACME.SIMA", 100, 6));
  d.send(quote("ACME.SIMB", 100.01, 8));
  const wave = forwards(d.advance(T0 + 100_000));
  // SIMB's 100.01 beats SIMA's 100.00 plus 3 bps: SIMB takes the 8 it shows, SIMA the last 2
  t.match(
    wave.map((f) => f.message),
    [
      { instrument: "ACME.SIMB", price: priceOf(100.01), quantity: quantityOf(8), orderType: "LIMIT", timeInForce: "IOC" },
      { instrument: "ACME.SIMA", price: priceOf(100), quantity: quantityOf(2), orderType: "LIMIT", timeInForce: "IOC" },
    ],
  );
  t.ok(
    wave.every((f) => f.subject === "am.cmd.risk-book.b1"),
    "every child goes through the risk book",
  );
  t.match(
    domain(d.emitted).filter((e) => e.type === "AlgoChildSent"),
    [{ instrument: "ACME.SIMB" }, { instrument: "ACME.SIMA" }],
  );
  d.send(report("OrderFilled", wave[0]!.key, { lastPx: priceOf(100.01), cumQty: quantityOf(8), leavesQty: 0 }));
  d.send(report("OrderFilled", wave[1]!.key, { lastPx: priceOf(100), cumQty: quantityOf(2), leavesQty: 0 }));
  t.equal(d.context.status, "completed");
  t.same(d.context.venueFills, {
    SIMB: { sent: quantityOf(8), filled: quantityOf(8) },
    SIMA: { sent: quantityOf(2), filled: quantityOf(2) },
  });
});

t.test("the rest of a child a venue rejects is routed to the other venue, and the parent is not paused", async (t) => {
  const d = new AlgoDriver("r2", venues);
  d.send(routed({ quantity: quantityOf(4) }));
  d.send(quote("ACME.SIMA", 100, 6));
  d.send(quote("ACME.SIMB", 100.01, 8));
  const [first] = forwards(d.advance(T0 + 100_000));
  t.match(first?.message, { instrument: "ACME.SIMB", quantity: quantityOf(4) });
  d.send(report("OrderRejected", first!.key, { reason: "VENUE_NOT_READY" }));
  t.equal(d.context.status, "working", "a venue's rejection re-routes instead of pausing");
  const [second] = forwards(d.advance(T0 + 200_000));
  t.match(second?.message, { instrument: "ACME.SIMA", quantity: quantityOf(4) }, "the rejecting venue is passed over");
  // an IOC that takes part: the rest comes back and goes out in the next wave
  d.send(report("OrderFilled", second!.key, { lastPx: priceOf(100), cumQty: quantityOf(1), leavesQty: quantityOf(3) }));
  d.send(report("OrderCanceled", second!.key, { cumQty: quantityOf(1) }));
  const [third] = forwards(d.advance(T0 + 300_000));
  t.match(third?.message, { instrument: "ACME.SIMA", quantity: quantityOf(3) });
  t.equal(d.context.open, quantityOf(3));
});

t.test("a risk denial pauses a routed parent; a start naming a venue twice is refused and changes nothing", async (t) => {
  const d = new AlgoDriver("r3", venues);
  d.send(routed());
  d.send(quote("ACME.SIMB", 100.01, 20));
  const [child] = forwards(d.advance(T0 + 100_000));
  d.send({
    type: "ForwardRefused",
    key: child!.key,
    messageType: "SubmitOrder",
    error: { code: "MAX_ORDER_QUANTITY", message: "too big" },
    tsEvent: T0,
    tsInit: T0,
  });
  t.equal(d.context.status, "paused", "the risk book would deny the child at any venue");
  const twice = new AlgoDriver("r4", venues);
  const out = twice.send(
    routed({ params: { algo: "SOR", venues: ["SIMA", "SIMA"], checkEveryMs: 100, latencyBpsPerMs: 0, missCostBps: 0, minChildLots: 1 } }),
  );
  t.match(out.at(-1), { ok: false, error: { code: "invalid-parameters", message: /^params\.venues: / } });
  t.equal(twice.context.status, "idle");
});
