import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { ExecType, type ExecutionReport, priceOf, quantityOf } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { exchangeKind } from "./kind.ts";
import { simulatedVenueMachine } from "./machine.ts";

const NOW = 1_700_000_000_000_000;
const INSTRUMENT = "SIM001.SIMX";
const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: "SIMX", priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);

/** The exchange as the platform configures it (exchangeKind's input), driven by hand on a simulated clock. */
function venue(t: { teardown(fn: () => void): void }, costs: Parameters<typeof exchangeKind>[1]) {
  const clock = new SimulatedClock();
  const input = exchangeKind(catalogue, costs).input!("SIMX");
  const exchange = createActor(simulatedVenueMachine, { clock, input: input as never });
  const reports: ExecutionReport[] = [];
  exchange.on("*", (e: Emitted) => {
    if (e.type === "publish" && e.message.type === "ExecutionReport") reports.push(e.message as unknown as ExecutionReport);
  });
  exchange.start();
  t.teardown(() => exchange.stop());
  let now = NOW;
  const send = (m: { type: string; [k: string]: unknown }) => {
    now += 10;
    exchange.send({ ...m, nowUs: now } as never);
  };
  send({ type: "AdapterConnect", venue: "SIMX" });
  send({
    type: "Quote",
    instrument: INSTRUMENT,
    bid: priceOf(100),
    ask: priceOf(100.02),
    bidSize: quantityOf(5),
    askSize: quantityOf(5),
    seq: 1,
    tsEvent: now,
    tsInit: now,
  });
  const buy = (id: string) =>
    send({
      type: "VenueNewOrder",
      clientOrderId: id,
      version: 1,
      instrument: INSTRUMENT,
      side: "BUY",
      orderType: "MARKET",
      quantity: quantityOf(10),
      timeInForce: "IOC",
      postOnly: false,
      reduceOnly: false,
      tsEvent: now,
      tsInit: now,
    });
  return { buy, reports, clock };
}

t.test("a configured taker fee shows in the fills of the platform's exchange", async (t) => {
  const v = venue(t, { SIMX: { makerFeeBps: 0, takerFeeBps: 2.5, latencyUs: 0, jitterUs: 0 } });
  v.buy("o1");
  const fill = v.reports.find((r) => r.execType === ExecType.Fill);
  // 10 × 100.02 = 1000.2 of notional; 2.5 bps of it is 0.25005 (in 1e-8 units)
  t.equal(fill?.fee, 25_005_000, "taker fee = notional × 2.5 bps");
  t.equal(fill?.liquidity, "TAKER");
});

t.test("a venue not configured trades free and at once, as before", async (t) => {
  const v = venue(t, {});
  v.buy("o1");
  t.same(
    v.reports.map((r) => [r.execType, r.fee]),
    [
      [ExecType.New, 0],
      [ExecType.Fill, 0],
    ],
  );
});

t.test("with a latency the order arrives only once its delay has passed, woken by the exchange's own timer", async (t) => {
  const v = venue(t, { SIMX: { makerFeeBps: 0, takerFeeBps: 0, latencyUs: 5_000, jitterUs: 0 } });
  v.buy("o1");
  t.same(v.reports, [], "in flight: nothing at the venue yet");
  v.clock.increment(4);
  t.same(v.reports, [], "still in flight after 4 ms");
  v.clock.increment(1);
  t.same(
    v.reports.map((r) => r.execType),
    [ExecType.New, ExecType.Fill],
    "arrived after 5 ms without any other input",
  );
});
