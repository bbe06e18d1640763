import { Kvm } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { buckets } from "../infra/nats/resources.ts";
import { configKey } from "../supervisors/node/config-watch.ts";
import { connectAs, eventually, startTestServers } from "./testing.ts";
import { admin, startNodeProcess } from "../supervisors/node/testing.ts";

t.test(
  "an operator's risk limits and strategy parameters reach their actors journaled under the operator's user; a bad value changes nothing",
  async (t) => {
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
    // limits and parameters are the operator's to set, through the admin API: the server names the operator
    const operator = await connectAs(t, f.infra, "operator");
    const configure = (section: "limits" | "params", id: string, value: unknown, by?: string) =>
      admin(operator, "configure", { type: "AdminConfigureRequest", section, id, value: JSON.stringify(value), ...(by ? { by } : {}) });

    const stored = await configure("limits", "demo", { maxPosition: 20_00000000, maxOrderQuantity: 100_00000000 }, "mallory");
    t.match(stored, { ok: true, result: { key: configKey("limits", "demo"), by: "OPS/operator" } }, "the body's `by` is not the requester");
    const changed = await eventually("RiskLimitsChanged", () => events.find((e) => e.type === "RiskLimitsChanged"), { timeoutMs: 20_000 });
    t.match(changed, { by: "OPS/operator", new: { maxPosition: 20_00000000 } }, "the change is journaled with who made it");

    const refused = await configure("limits", "demo", { maxPosition: -1 });
    t.match(refused, { ok: false, error: { code: "invalid", message: /value\.maxPosition/ } }, "a bad limit is refused naming its field");
    t.equal(
      (await (await new Kvm(f.nc).open(buckets.config)).get(configKey("limits", "demo")))?.json<{ maxPosition: number }>().maxPosition,
      20_00000000,
      "a refused value is not stored",
    );
    t.equal(events.filter((e) => e.type === "RiskLimitsChanged").length, 1, "a refused value journals nothing");

    const kv = await new Kvm(operator).open(buckets.config);
    await t.rejects(
      kv.put(configKey("limits", "demo"), "{}"),
      /Permissions Violation|permission/i,
      "an operator's own KV write is refused",
    );
    const reader = await connectAs(t, f.infra, "reader");
    await t.rejects(
      admin(reader, "configure", { type: "AdminConfigureRequest", section: "limits", id: "demo", value: "{}" }, 2_000),
      /Permissions Violation|permission/i,
      "a reader cannot set limits",
    );
    t.equal(events.filter((e) => e.type === "RiskLimitsChanged").length, 1, "neither changed the limits");

    t.match(await configure("params", "meanrev-1", { entryZ: 2.5 }, "mallory"), { ok: true, result: { by: "OPS/operator" } });
    const params = await eventually("StrategyParametersChanged", () => events.find((e) => e.type === "StrategyParametersChanged"), {
      timeoutMs: 20_000,
    });
    t.match(params, { strategy: "meanrev-1", parameters: { entryZ: 2.5 } });
    t.equal(params.by, "OPS/operator", "the strategy's event names the operator, not the body's `by`");
    t.match(await configure("params", "meanrev-1", { entryZ: "wide" }), { ok: true }, "the strategy checks its own parameters");
    await node.waitFor(/configuration refused.*params\.meanrev-1.*entryZ/, 20_000);
    t.equal(events.filter((e) => e.type === "StrategyParametersChanged").length, 1, "bad parameters change nothing");
  },
);
