import { Kvm } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { buckets } from "../infra/nats/resources.ts";
import { configKey } from "../supervisors/node/config-watch.ts";
import { connectAs, eventually, startTestServers } from "./testing.ts";
import { admin, startNodeProcess } from "../supervisors/node/testing.ts";

t.test("risk limits and strategy parameters in KV reach their actors as audited changes; a bad value changes nothing", async (t) => {
  const f = await startTestServers(t);
  const node = startNodeProcess(t, "node-a", { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "3", AM_CELLS: "1" });
  await node.waitFor(/node up/, 90_000);
  const up = (kind: string, id: string) =>
    eventually(
      `${kind}/${id} up`,
      async () => (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.ok,
      { timeoutMs: 60_000 },
    );
  await up("risk-book", "demo");
  await up("strategy", "meanrev-1");

  const events: { type: string; [k: string]: unknown }[] = [];
  const sub = f.nc.subscribe("am.evt.>", {
    callback: (_e, m) => {
      if (
        m.subject.startsWith(subjects.evtOf("risk-book", "demo").slice(0, -1)) ||
        m.subject.startsWith(subjects.evtOf("strategy", "meanrev-1").slice(0, -1))
      ) {
        events.push(decodeMessage(m.data, m.headers, false).message);
      }
    },
  });
  t.teardown(() => sub.unsubscribe());
  // limits and parameters are the operator's to write (nats.conf)
  const kv = await new Kvm(await connectAs(t, f.infra, "operator")).open(buckets.config);

  await kv.put(configKey("limits", "demo"), JSON.stringify({ maxPosition: 20_00000000, maxOrderQuantity: 100_00000000 }));
  const changed = await eventually("RiskLimitsChanged", () => events.find((e) => e.type === "RiskLimitsChanged"), { timeoutMs: 20_000 });
  t.match(changed, { by: "kv:limits.demo", new: { maxPosition: 20_00000000 } }, "the change is journaled with who made it");

  await kv.put(configKey("limits", "demo"), JSON.stringify({ maxPosition: -1 }));
  await node.waitFor(/configuration refused.*limits\.demo.*maxPosition/, 20_000);
  t.equal(events.filter((e) => e.type === "RiskLimitsChanged").length, 1, "a refused value journals nothing");

  await kv.put(configKey("params", "meanrev-1"), JSON.stringify({ entryZ: 2.5 }));
  const params = await eventually("StrategyParametersChanged", () => events.find((e) => e.type === "StrategyParametersChanged"), {
    timeoutMs: 20_000,
  });
  t.match(params, { strategy: "meanrev-1", parameters: { entryZ: 2.5 } });
  await kv.put(configKey("params", "meanrev-1"), JSON.stringify({ entryZ: "wide" }));
  await node.waitFor(/configuration refused.*params\.meanrev-1.*entryZ/, 20_000);
  t.equal(events.filter((e) => e.type === "StrategyParametersChanged").length, 1, "bad parameters change nothing");
});
