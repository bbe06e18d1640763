import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { freePort } from "../infra/local/index.ts";
import { encodeMessage } from "../infra/nats/codec.ts";
import { call } from "../gateway/testing.ts";
import { admin, command, startGatewayNode, startNodeProcess } from "../supervisors/node/testing.ts";
import { eventually, startTestServers, type Teardown } from "./testing.ts";

const K = "counter-es";
const kinds = "supervisors/runtime/testing/test-kinds.ts";

/** Spawns a counter on the node and waits until it answers. */
async function counterUp(nc: NatsConnection, id: string): Promise<void> {
  const spawned = await admin(nc, "spawn", { type: "AdminActorRequest", kind: K, id });
  if (!spawned.ok) throw new Error(`${K}/${id} not spawned: ${spawned.error?.message}`);
  await eventually(`${id} up`, async () => (await command(nc, K, id, { type: "GetCount" }, 1_000).catch(() => undefined))?.ok, {
    timeoutMs: 20_000,
  });
}

t.test(
  "a node with AM_METRICS_PORT serves the figures of its cells, recorder and main thread on /metrics in Prometheus text format",
  async (t) => {
    const f = await startTestServers(t, { questdb: true });
    const port = await freePort();
    const node = startNodeProcess(t, "node-m", {
      AM_NATS_URL: f.infra.natsUrl,
      AM_KINDS: kinds,
      AM_CELLS: "2",
      AM_QUESTDB_URL: f.infra.questdbUrl!,
      AM_METRICS_PORT: String(port),
    });
    await node.waitFor(/node up/, 60_000);
    await counterUp(f.nc, "measured");
    for (const by of [1, 2, 3]) t.equal((await command(f.nc, K, "measured", { type: "Increment", by })).ok, true);

    const url = `http://127.0.0.1:${port}/metrics`;
    const page = await eventually(
      "the three increments, lease renewals and the recorder's lag on the page",
      async () => {
        const res = await fetch(url);
        const text = await res.text();
        const handled = /^am_actor_messages_total\{am_kind="counter-es",am_node="node-m",am_thread="cell-\d"\} (\d+)/m.exec(text);
        // GetCount once or more (the readiness probe), the three increments; the main thread's lease renewals and
        // the recorder thread's lag of both lanes beside them
        const complete =
          handled &&
          Number(handled[1]) >= 4 &&
          /^am_placement_lease_renewals_total\{am_result="ok",am_node="node-m"\} [1-9]/m.test(text) &&
          /^am_recorder_lag\{am_lane="orders",am_node="node-m",am_thread="recorder"\} \d+$/m.test(text) &&
          /^am_recorder_lag\{am_lane="marketData",am_node="node-m",am_thread="recorder"\} \d+$/m.test(text);
        return complete ? { text, type: res.headers.get("content-type") } : undefined;
      },
      { timeoutMs: 10_000, everyMs: 200 },
    );
    t.match(page.type, /^text\/plain/);
    const types = page.text.split("\n").filter((l) => l.startsWith("# TYPE "));
    t.same(types, [...new Set(types)], "one TYPE line per metric name, whichever threads measured it");
    t.ok(types.includes("# TYPE am_actor_messages_total counter"));
    t.ok(types.includes("# TYPE am_actor_handling histogram"));
    t.match(page.text, /^am_actor_handling_bucket\{am_kind="counter-es",am_node="node-m",am_thread="cell-\d",le="\+Inf"\} \d+$/m);
    t.match(page.text, /^am_actor_received_total\{am_kind="counter-es",am_node="node-m",am_thread="cell-\d"\} \d+$/m);
    t.match(page.text, /^am_actor_mailbox_depth\{am_kind="counter-es",am_node="node-m",am_thread="cell-\d"\} 0$/m, "an idle mailbox");
    t.match(page.text, /^am_actor_mailbox_depth\{am_kind="counter-es",am_node="node-m",am_thread="cell-0"\}/m, "every cell answers");
    t.match(page.text, /^am_actor_mailbox_depth\{am_kind="counter-es",am_node="node-m",am_thread="cell-1"\}/m, "every cell answers");
    t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  },
);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A tiny OTLP/HTTP collector (JSON) on a free loopback port, closed at teardown. */
async function startCollector(t: Teardown): Promise<{ url: string; received: OtlpExport[]; requests: string[] }> {
  const received: OtlpExport[] = [];
  const requests: string[] = [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  t.teardown(() => collector.close());
  return { url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`, received, requests };
}

/** Every span the collector received, with its resource's attributes. */
function spansOf(received: OtlpExport[]): { span: OtlpSpan; resource: Record<string, string | undefined> }[] {
  return received.flatMap((e) =>
    e.resourceSpans.flatMap((rs) => {
      const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
      return rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, resource })));
    }),
  );
}

t.test("with AM_OTLP_TRACES_URL a node exports the spans of a traced command to the collector", async (t) => {
  const collector = await startCollector(t);
  const f = await startTestServers(t);
  const node = startNodeProcess(t, "node-t", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_KINDS: kinds,
    AM_CELLS: "1",
    AM_OTLP_TRACES_URL: collector.url,
  });
  await node.waitFor(/node up/, 60_000);
  await counterUp(f.nc, "traced");

  const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const sender = "00f067aa0ba902b7";
  const { data, headers } = encodeMessage({ type: "Increment", by: 1 }, { traceparent: `00-${trace}-${sender}-01` });
  await f.nc.request(subjects.cmd(K, "traced"), data, { headers, timeout: 5_000 });

  const found = await eventually(
    "the command's span at the collector",
    () => spansOf(collector.received).find((s) => s.span.traceId === trace),
    {
      timeoutMs: 20_000,
      everyMs: 100,
    },
  );
  t.equal(found.span.name, "counter-es Increment");
  t.equal(found.span.parentSpanId, sender, "a child of the sender's context");
  t.equal(found.resource["service.name"], "alphamind");
  t.equal(found.resource["service.instance.id"], "node-t");
  t.match(collector.requests[0], /^POST \/v1\/traces application\/json/);
});

t.test("one order submitted over gRPC is one trace at the collector: gateway, risk book, order, venue and exchange", async (t) => {
  const collector = await startCollector(t);
  const f = await startTestServers(t);
  const platform = await startGatewayNode(t, "node-o", f, "telemetry-test-secret-of-32-bytes-or-more", {
    AM_OTLP_TRACES_URL: collector.url,
  });
  const order = await platform.restingBuy("SIM004.SIMX", "traced", "demo");
  const accepted = await call<{ accepted: boolean }>(
    platform.client("Trading"),
    "SubmitOrder",
    { ...order, clientOrderId: `traced.${Date.now()}` },
    await platform.as("trader"),
  );
  t.equal(accepted.accepted, true);
  const kinds = ["gateway", "risk-book", "order", "venue", "exchange"];
  // on failure, what did arrive and what the node complained of
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(spansOf(collector.received).map((s) => `${s.span.name} ${s.span.traceId} ${s.span.spanId}<-${s.span.parentSpanId}`));
    t.comment(platform.node.output.filter((l) => /"level":"(warn|error)"/.test(l)).slice(-8));
  });
  const hops = (spans: OtlpSpan[]) => kinds.every((k) => spans.some((s) => s.name.startsWith(`${k} `)));
  const trace = await eventually(
    "spans of every hop of the order",
    () => {
      const spans = spansOf(collector.received).map((s) => s.span);
      const root = spans.find((s) => s.name === "gateway SubmitOrder");
      return root ? spans.filter((s) => s.traceId === root.traceId) : [];
    },
    { timeoutMs: 45_000, everyMs: 200, until: hops },
  );
  const root = trace.find((s) => s.name === "gateway SubmitOrder")!;
  t.equal(root.parentSpanId || undefined, undefined, "the gateway's span is the root");
  const ids = new Set(trace.map((s) => s.spanId));
  t.ok(
    trace.every((s) => s === root || ids.has(s.parentSpanId ?? "")),
    `every other span is a child within the trace: ${trace.map((s) => s.name).join(", ")}`,
  );
});
