import { Kvm } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodePayload } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey } from "../../infra/nats/snapshot-store.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { command, startTestNode } from "./testing.ts";

const K = "counter-es";

t.test(
  "a node that cannot renew a lease stops the actor and reports the loss on am.sys; it runs again once the lease is free",
  async (t) => {
    const f = await startTestServers(t);
    const node = await startTestNode(t, f, { node: "l1" });
    const x = { kind: K, id: "acct-l" };
    await node.ensure(x);
    await eventually("x up", async () => (await command(f.nc, K, x.id, { type: "Increment", by: 3 }, 500).catch(() => undefined))?.ok);
    const events: Record<string, unknown>[] = [];
    const sys = f.nc.subscribe(subjects.sysAll(), {
      callback: (_e, m) => void events.push(decodeMessage(m.data, m.headers, true).message),
    });
    t.teardown(() => sys.unsubscribe());

    // Another writer takes the lease key: the node's renewals expect its own revision and fail from now on.
    const leases = await new Kvm(f.nc).open(buckets.leases);
    await leases.put(kvKey(x.kind, x.id), encodePayload({ node: "intruder" }));
    const lost = await eventually("a lease-lost event", () => events.find((e) => e.event === "lease-lost" && e.id === x.id), {
      timeoutMs: 10_000,
    });
    t.match(lost, { type: "ActorLifecycle", event: "lease-lost", node: "l1", kind: K, reason: /lease on l1 not renewed in time/ });
    const back = await eventually(
      "x answers again once the foreign lease expired",
      async () => (await command(f.nc, K, x.id, { type: "GetCount" }, 500).catch(() => undefined))?.result as { count: number } | undefined,
      { timeoutMs: 15_000 },
    );
    t.equal(back.count, 3, "with its state");
  },
);
