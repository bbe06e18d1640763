import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import { deliverTrace, type Emitted } from "../contract/index.ts";
import { type ExecutionReport, priceOf, quantityOf } from "../domain/index.ts";
import { exchangeKind } from "./kind.ts";
import { limitBuy, quoteAt } from "./testing.ts";
import { simulatedVenueMachine } from "./machine.ts";

const NOW = 1_700_000_000_000_000;
const INSTRUMENT = "SIM001.SIMX";
const TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const catalogue = new Map([[INSTRUMENT, { id: INSTRUMENT, venue: "SIMX", priceIncrement: priceOf(0.01), lotSize: quantityOf(1) }]]);

t.test("an order's reports carry its trace even when a later input (a quote, its latency) brings them", async (t) => {
  const input = exchangeKind(catalogue, { SIMX: { makerFeeBps: 0, takerFeeBps: 0, latencyUs: 500, jitterUs: 0 } }).input!("SIMX");
  const exchange = createActor(simulatedVenueMachine, { clock: new SimulatedClock(), input: input as never });
  const reports: { execType: string; clientOrderId: string; traceparent: string | undefined }[] = [];
  const fields = new Set<string>();
  exchange.on("*", (e: Emitted) => {
    if (e.type !== "publish" || e.message.type !== "ExecutionReport") return;
    const m = e.message as unknown as ExecutionReport;
    for (const f of Object.keys(m)) fields.add(f);
    reports.push({ execType: m.execType, clientOrderId: m.clientOrderId, traceparent: e.traceparent });
  });
  exchange.start();
  t.teardown(() => exchange.stop());
  let now = NOW;
  const send = (m: { type: string; [k: string]: unknown }, traceparent?: string) => {
    const event = { ...m, nowUs: now };
    if (traceparent) deliverTrace(event, traceparent);
    exchange.send(event as never);
  };
  const quote = (bid: number, ask: number) => send(quoteAt(INSTRUMENT, bid, ask, now));
  const buy = (id: string, traceparent?: string) => send(limitBuy(INSTRUMENT, id, 99.98, now, { quantity: quantityOf(1) }), traceparent);
  send({ type: "AdapterConnect", venue: "SIMX" });
  quote(100, 100.02);
  buy("traced", TRACE);
  buy("untraced");
  now += 600; // both have arrived by the next quote, which is in no trace
  quote(100, 100.02);
  t.same(
    reports.map((r) => [r.clientOrderId, r.execType, r.traceparent]),
    [
      ["traced", "NEW", TRACE],
      ["untraced", "NEW", undefined],
    ],
    "the acknowledgements a quote brought carry each order's own trace",
  );
  now += 10;
  quote(99.95, 99.97); // the market moves through both orders
  const fills = reports.filter((r) => r.execType === "FILL");
  t.same(
    fills.map((r) => [r.clientOrderId, r.traceparent]),
    [
      ["traced", TRACE],
      ["untraced", undefined],
    ],
    "so do the fills the market caused",
  );
  t.notOk(fields.has("traceparent"), "the trace is no field of any report");
});
