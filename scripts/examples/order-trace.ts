/**
 * One order as one trace, printed as a tree. Listens as a small OTLP/HTTP (JSON) trace collector on
 * 127.0.0.1:<port>/v1/traces (start the node with AM_OTLP_TRACES_URL pointing there), submits one order over gRPC to
 * the node's gateway (AM_HOST:AM_GATEWAY_PORT, a trader token signed with the node's secret: AM_GATEWAY_JWT_SECRET
 * or var/jwt-secret), and prints every span of that order's trace under its parent once none arrived for 7 s (each
 * thread exports its spans in batches, every 5 s).
 *   node --import tsx scripts/examples/order-trace.ts [--port 4318] [--instrument SIM002.SIMX] [--book demo]
 * The order is a 1-unit IOC market buy of strategy `manual`, so it fills at once against the exchange's liquidity.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { errorMessage } from "../../actors/contract/index.ts";
import { loadProtos } from "../../gateway/index.ts";
import { mintToken } from "../../infra/auth/index.ts";
import { loadConfig, resolveJwtSecret } from "../../infra/config/index.ts";

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}
interface Export {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Span[] }[] }[];
}

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "4318" },
    instrument: { type: "string", default: "SIM002.SIMX" },
    book: { type: "string", default: "demo" },
  },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port: ${args.port} is not a TCP port`);

/** every span received, with the node that sent it */
const spans: { span: Span; node: string; arrivedAt: number }[] = [];
const collector = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    try {
      for (const rs of (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Export).resourceSpans) {
        const node = rs.resource.attributes.find((a) => a.key === "service.instance.id")?.value.stringValue ?? "?";
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ span, node, arrivedAt: Date.now() });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } catch (e) {
      res.writeHead(400).end(errorMessage(e));
    }
  });
});
await new Promise<void>((resolve, reject) => collector.once("error", reject).listen(port, "127.0.0.1", resolve));
process.stderr.write(`collecting OTLP/HTTP JSON traces on http://127.0.0.1:${port}/v1/traces\n`);

const config = loadConfig();
const auth = new grpc.Metadata();
auth.set("authorization", `Bearer ${await mintToken(resolveJwtSecret(config), { subject: "order-trace", role: "trader", ttlS: 300 })}`);
const trading = new (loadProtos().client("Trading"))(`${config.host}:${config.gatewayPort}`, grpc.credentials.createInsecure());
const clientOrderId = `trace.${Date.now().toString(36)}`;
const submittedAt = Date.now() * 1e6;
const answer = await new Promise<unknown>((resolve, reject) =>
  (
    trading as unknown as Record<
      string,
      (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, v: unknown) => void) => void
    >
  ).SubmitOrder!.call(
    trading,
    {
      clientOrderId,
      instrument: args.instrument,
      side: "SIDE_BUY",
      orderType: "ORDER_TYPE_MARKET",
      quantity: "1",
      timeInForce: "TIME_IN_FORCE_IOC",
      strategy: "manual",
      book: args.book,
    },
    auth,
    { deadline: Date.now() + 10_000 },
    (e, v) => (e ? reject(e) : resolve(v)),
  ),
);
process.stderr.write(`SubmitOrder ${clientOrderId}: ${JSON.stringify(answer)}\n`);
trading.close();

/** longer than a thread's batch of spans waits before it is exported (5 s) */
const QUIET_MS = 7_000;
// the gateway's span of this call is the trace's root: the first one that started after the call was made
let trace: { span: Span; node: string; arrivedAt: number }[] = [];
const deadline = Date.now() + 60_000;
for (;;) {
  const root = spans.find((s) => s.span.name === "gateway SubmitOrder" && Number(s.span.startTimeUnixNano) >= submittedAt - 1e9);
  trace = root ? spans.filter((s) => s.span.traceId === root.span.traceId) : [];
  const quiet = trace.length > 0 && Date.now() - Math.max(...trace.map((s) => s.arrivedAt)) > QUIET_MS;
  if (quiet || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 200));
}
collector.close();
if (!trace.length)
  throw new Error(`no span "gateway SubmitOrder" within 60 s: is the node's AM_OTLP_TRACES_URL http://127.0.0.1:${port}/v1/traces?`);

const t0 = Math.min(...trace.map((s) => Number(s.span.startTimeUnixNano)));
const ms = (ns: number) => (ns / 1e6).toFixed(2);
const ids = new Set(trace.map((s) => s.span.spanId));
const lines = [`trace ${trace[0]!.span.traceId}: ${trace.length} spans (start +ms, duration ms, node, span id <- parent)`];
const print = (parent: string | undefined, depth: number) => {
  const children = trace
    .filter((s) => (parent === undefined ? !s.span.parentSpanId || !ids.has(s.span.parentSpanId) : s.span.parentSpanId === parent))
    .sort((a, b) => Number(a.span.startTimeUnixNano) - Number(b.span.startTimeUnixNano));
  for (const { span, node } of children) {
    const start = Number(span.startTimeUnixNano);
    lines.push(
      `${"  ".repeat(depth)}${span.name}  +${ms(start - t0)}  ${ms(Number(span.endTimeUnixNano) - start)}  ${node}  ${span.spanId} <- ${span.parentSpanId || "(root)"}`,
    );
    print(span.spanId, depth + 1);
  }
};
print(undefined, 0);
process.stdout.write(`${lines.join("\n")}\n`);
