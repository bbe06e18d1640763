import type { Msg } from "@nats-io/transport-node";
import t from "tap";
import { call } from "../gateway/testing.ts";
import { decodeMessage, Header } from "../infra/nats/codec.ts";
import { startGatewayNode, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * One order submitted over gRPC to the running platform (a node process with the platform's kinds in worker
 * cells) is one trace: every message it causes, from the gateway's SubmitOrder to the risk book through the
 * order and the venue connection to the exchange's adapter and back as its ExecutionReport, carries a traceparent with the same trace id.
 * The bus shows the commands that cross nats-server and every journaled event.
 */

const secret = "order-trace-test-secret-of-32-bytes-or-more";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy

const traceIdOf = (m: Msg): string | undefined => m.headers?.get(Header.TraceParent)?.split("-")[1];

t.test("a SubmitOrder over gRPC is one trace through risk book, order, venue, exchange and back", async (t) => {
  const f = await startTestServers(t);
  const platform = await startGatewayNode(t, "trace-node", f, secret);
  const trading = platform.client("Trading");
  const trader = await platform.as("trader");
  // the venue connection logged on: an order sent before its logon is rejected, and the trace ends at the venue
  await eventually("the venue connection logged on", () => venueReady(f.nc, "SIMX"), { timeoutMs: 60_000, everyMs: 200 });

  // every command and event on the bus, with its trace id; the order's is the one its SubmitOrder carries
  const seen: { subject: string; type: string; trace: string | undefined }[] = [];
  const clientOrderId = `trace.${Date.now()}`;
  let orderTrace: string | undefined;
  const sub = f.nc.subscribe("am.>", {
    callback: (_e, m) => {
      const type = m.headers?.get(Header.Type) ?? "";
      const trace = traceIdOf(m);
      seen.push({ subject: m.subject, type, trace });
      if (type === "SubmitOrder" && m.subject.startsWith("am.cmd.risk-book.")) {
        const body = decodeMessage(m.data, m.headers, false).message as { clientOrderId?: string };
        if (body.clientOrderId === clientOrderId) orderTrace = trace;
      }
    },
  });
  t.teardown(() => sub.unsubscribe());
  await f.nc.flush();

  const accepted = await call<{ accepted: boolean }>(
    trading,
    "SubmitOrder",
    {
      instrument: MINE,
      side: "SIDE_BUY",
      orderType: "ORDER_TYPE_LIMIT",
      quantity: "1",
      price: "1",
      timeInForce: "TIME_IN_FORCE_GTC",
      strategy: "tracing",
      book: "demo",
      clientOrderId,
    },
    trader,
  );
  t.equal(accepted.accepted, true);
  t.match(orderTrace, /^[0-9a-f]{32}$/, "the gateway's SubmitOrder carries a trace context");

  const kindOf = (subject: string) => subject.split(".")[2];
  const traced = () => seen.filter((s) => s.trace === orderTrace);
  // Commands between actors of one cell are handed over in memory, and which actors share a cell is placement's
  // choice: the journaled events are what always crosses the bus. The order accepts once the exchange's report
  // came back through the venue connection, so its OrderAccepted carrying the trace closes the loop.
  await eventually(
    "the order's OrderAccepted, after the exchange's report came back to it",
    () => traced().some((s) => s.type === "OrderAccepted" && s.subject.startsWith("am.evt.order.")) || undefined,
    { timeoutMs: 20_000, everyMs: 100 },
  );
  // The exchange's report to the venue connection is its own message, on the venue's subject. Its journaled change
  // may carry another input's trace: the change is taken at whichever input the exchange handles when the order's
  // simulated latency has passed, a quote batch or another order.
  const senderOf = (s: { subject: string; type: string }) =>
    s.type === "ExecutionReport" && s.subject.startsWith("am.cmd.venue.") ? "exchange" : kindOf(s.subject);
  const kinds = new Set(traced().map(senderOf));
  for (const kind of ["risk-book", "order", "exchange"]) t.ok(kinds.has(kind), `${kind} messages carry the order's trace id`);
  t.comment(`the order's trace: ${[...new Set(traced().map((s) => `${s.type}@${s.subject}`))].join(", ")}`);
});
