import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { connectAs, eventually, startTestServers } from "../../test/testing.ts";
import { buckets, streams } from "./index.ts";

/** The server's refusals a connection reported (permission violations arrive asynchronously, as status errors). */
function refusalsOf(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") seen.push(String(s.error));
  })();
  return seen;
}

t.test("a client without credentials is refused", async (t) => {
  const { infra } = await startTestServers(t, { declare: false });
  await t.rejects(connect({ servers: infra.natsUrl, timeout: 3_000 }), /Authorization Violation/);
});

t.test("a read-only client sees market data and can neither command, change KV nor delete a stream", async (t) => {
  const { infra, nc } = await startTestServers(t);
  const reader = await connectAs(t, infra, "reader");
  const refusals = refusalsOf(reader);

  const quotes: string[] = [];
  reader.subscribe(subjects.mdAll("quote"), { callback: (_e, m) => void quotes.push(m.subject) });
  await reader.flush();
  const quote = subjects.md("quote", { venue: "SIMX", symbol: "SIM001" });
  nc.publish(quote, new Uint8Array([0x80]));
  await eventually("the reader's quote", () => quotes.includes(quote));

  reader.publish(subjects.cmd("risk-book", "demo"), new Uint8Array([0x80]));
  await eventually("the command's refusal", () => refusals.find((r) => r.includes(`Publish to "${subjects.cmd("risk-book", "demo")}"`)));

  const config = await new Kvm(reader).open(buckets.config);
  await t.rejects(config.put("limits.demo", "{}"), /Permissions Violation|permission/i, "a KV write is refused");
  await t.rejects(
    reader.request(`$JS.API.STREAM.DELETE.${streams.events}`, undefined, { timeout: 2_000 }),
    /Permissions Violation|permission/i,
  );
  const jsm = await jetstreamManager(nc);
  t.equal((await jsm.streams.info(streams.events)).config.name, streams.events, "the event stream is still there");
  t.equal(await (await new Kvm(nc).open(buckets.config)).get("limits.demo"), null, "no limits were written");
});

t.test("an operator may neither write risk limits or parameters in KV nor rebuild their bucket; a node writes them", async (t) => {
  const { infra, nc } = await startTestServers(t);
  const operator = await connectAs(t, infra, "operator");
  const kv = await new Kvm(operator).open(buckets.config);
  await t.rejects(kv.put("limits.demo", "{}"), /Permissions Violation|permission/i, "limits go through am.admin.configure");
  await t.rejects(kv.put("params.meanrev-1", "{}"), /Permissions Violation|permission/i, "parameters too");
  for (const verb of ["UPDATE", "DELETE"])
    await t.rejects(
      operator.request(`$JS.API.STREAM.${verb}.KV_${buckets.config}`, undefined, { timeout: 2_000 }),
      /Permissions Violation|permission/i,
      `no stream ${verb.toLowerCase()} of the config bucket`,
    );
  await (await new Kvm(nc).open(buckets.config)).put("limits.demo", '{"maxPosition":1}');
  t.equal((await kv.get("limits.demo"))?.string(), '{"maxPosition":1}', "the operator reads what a node wrote");
});

t.test("the gateway may send commands but not delete a stream", async (t) => {
  const { infra, nc } = await startTestServers(t);
  const gateway = await connectAs(t, infra, "gateway");
  const commands: string[] = [];
  nc.subscribe(subjects.cmdAll("risk-book"), { callback: (_e, m) => void commands.push(m.subject) });
  await nc.flush();
  gateway.publish(subjects.cmd("risk-book", "demo"), new Uint8Array([0x80]));
  await eventually("the gateway's command", () => commands.length === 1);
  await t.rejects(
    gateway.request(`$JS.API.STREAM.DELETE.${streams.events}`, undefined, { timeout: 2_000 }),
    /Permissions Violation|permission/i,
  );
});

t.test("the system user answers $SYS server requests (nats server report jetstream)", async (t) => {
  const { infra } = await startTestServers(t);
  const system = await connectAs(t, infra, "system");
  const reply = await system.request("$SYS.REQ.SERVER.PING.JSZ", undefined, { timeout: 2_000 });
  const jsz = reply.json<{ data?: { streams?: number; config?: unknown } }>();
  t.ok(jsz.data?.config, "JetStream's figures come back");
  t.ok((jsz.data?.streams ?? 0) >= 4, "the platform's streams are counted");
});
