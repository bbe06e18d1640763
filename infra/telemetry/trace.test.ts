import type { NatsConnection } from "@nats-io/transport-node";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import t from "tap";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { ActorHost } from "../../supervisors/runtime/actor-host.ts";
import { counterKind } from "../../supervisors/runtime/testing/counter-kind.ts";
import { call, startHarness } from "../../gateway/testing.ts";
import { startTestServers } from "../../test/testing.ts";
import { encodeMessage, Header } from "../nats/codec.ts";
import { createLogger } from "./log.ts";
import { startTracing, stopTracing } from "./trace.ts";

const log = createLogger({ level: "error" });
const TRACE = "0af7651916cd43dd8448eb211c80319c";
const SENDER = "b7ad6b7169203331";
const incoming = `00-${TRACE}-${SENDER}-01`;

/** Sends Increment (with `traceparent` when given) and returns the traceparent of the event the actor journaled. */
async function incrementAndReadEvent(nc: NatsConnection, id: string, traceparent?: string): Promise<string | undefined> {
  const events = nc.subscribe(subjects.evtOf("counter-es", id), { max: 1 });
  const { data, headers } = encodeMessage({ type: "Increment", by: 1 }, traceparent ? { traceparent } : {});
  await nc.request(subjects.cmd("counter-es", id), data, { headers, timeout: 5_000 });
  for await (const m of events) return m.headers?.get(Header.TraceParent) || undefined;
  return undefined;
}

t.test("a handled message continues the sender's trace and what the actor emits carries the child context", async (t) => {
  const f = await startTestServers(t);
  const exporter = new InMemorySpanExporter();
  startTracing({ exporter, immediate: true });
  t.teardown(stopTracing);
  const h = new ActorHost(counterKind("event-sourced"), "traced", { ...f, clock: systemClock, log });
  await h.incarnate();
  t.teardown(() => h.stop());

  const emitted = await incrementAndReadEvent(f.nc, "traced", incoming);
  const spans = exporter.getFinishedSpans();
  t.equal(spans.length, 1, "one span for the one traced message");
  const span = spans[0]!;
  t.equal(span.name, "counter-es Increment");
  t.same(span.attributes, { "am.kind": "counter-es", "am.id": "traced", "am.message": "Increment" });
  t.equal(span.spanContext().traceId, TRACE);
  t.equal(span.parentSpanContext?.spanId, SENDER, "parent is the incoming traceparent");
  t.equal(emitted, `00-${TRACE}-${span.spanContext().spanId}-01`, "the event carries the span's context");

  exporter.reset();
  t.equal(await incrementAndReadEvent(f.nc, "traced"), undefined, "an untraced message emits no trace context");
  t.equal(exporter.getFinishedSpans().length, 0, "and starts no span");
});

t.test("with tracing off, no span is made and the incoming context passes through unchanged", async (t) => {
  const f = await startTestServers(t);
  const h = new ActorHost(counterKind("event-sourced"), "plain", { ...f, clock: systemClock, log });
  await h.incarnate();
  t.teardown(() => h.stop());
  t.equal(await incrementAndReadEvent(f.nc, "plain", incoming), incoming);
});

t.test("the gateway starts the trace of a command and sends its context with it", async (t) => {
  const h = await startHarness(t);
  const exporter = new InMemorySpanExporter();
  startTracing({ exporter, immediate: true });
  t.teardown(stopTracing);
  let sent: string | undefined;
  h.nc.subscribe(subjects.cmd("risk-book", "main"), {
    callback: (_e, m) => {
      sent = m.headers?.get(Header.TraceParent);
      const { data, headers } = encodeMessage({ type: "Reply", ok: true });
      m.respond(data, { headers });
    },
  });
  const order = {
    clientOrderId: "traced-1",
    instrument: "AAPL.XNAS",
    side: "SIDE_BUY",
    orderType: "ORDER_TYPE_LIMIT",
    quantity: "10",
    price: "123.45",
    timeInForce: "TIME_IN_FORCE_DAY",
    strategy: "trend-1",
    book: "main",
  };
  await call(h.client("Trading"), "SubmitOrder", order, h.meta(await h.token("trader")));
  const span = exporter.getFinishedSpans().find((s) => s.name === "gateway SubmitOrder");
  t.ok(span, "a span for the gateway's SubmitOrder");
  t.equal(span?.parentSpanContext, undefined, "the root of its trace");
  t.equal(sent, `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`, "the risk book receives the span's context");
});
