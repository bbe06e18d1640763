import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Kvm } from "@nats-io/kv";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodePayload } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey } from "../../infra/nats/snapshot-store.ts";
import { repoRoot } from "../../infra/local/index.ts";
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

/** Sends an Increment every 40 ms for SENDER_MS from its own process, then prints when each was answered. */
const SENDER = `
const { connectNats } = await import(${JSON.stringify(`${repoRoot}infra/nats/connect.ts`)});
const { command } = await import(${JSON.stringify(`${repoRoot}supervisors/node/admin-client.ts`)});
const nc = await connectNats(process.env.SENDER_NATS_URL, "stall-sender");
console.log("ready");
const asked = [];
for (const until = Date.now() + Number(process.env.SENDER_MS); Date.now() < until; await new Promise((r) => setTimeout(r, 40)))
  asked.push(command(nc, "${K}", "acct-stall", { type: "Increment", by: 1 }, 10_000).then((b) => ({ ok: b.ok, at: Date.now() }), (e) => ({ ok: false, error: String(e), at: Date.now() })));
console.log(JSON.stringify(await Promise.all(asked)));
await nc.close();
`;

t.test("a node whose own thread stalls past its leases holds its cells' actors until it has renewed them, losing nothing", async (t) => {
  const f = await startTestServers(t);
  const node = await startTestNode(t, f, { node: "s1" });
  const x = { kind: K, id: "acct-stall" };
  await node.ensure(x);
  await eventually("x up", async () => (await command(f.nc, K, x.id, { type: "GetCount" }, 500).catch(() => undefined))?.ok);

  const sender = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SENDER], {
    cwd: repoRoot,
    env: { ...process.env, SENDER_NATS_URL: f.infra.natsUrl, SENDER_MS: "4000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.teardown(() => void sender.kill("SIGKILL"));
  const lines = createInterface({ input: sender.stdout! })[Symbol.asyncIterator]();
  t.equal((await lines.next()).value, "ready");
  await new Promise((r) => setTimeout(r, 800)); // answered while the node renews its leases

  // The node's thread (this one) stalls: no renewal goes out, and the lease runs out on the server.
  const stalledFrom = Date.now();
  while (Date.now() - stalledFrom < 2_500) {
    // a main thread busy elsewhere: a long synchronous start-up, a collector's pause, a starved machine
  }
  const stalledTo = Date.now();

  const answers = JSON.parse((await lines.next()).value as string) as { ok: boolean; at: number; error?: string }[];
  t.same(
    answers.filter((a) => !a.ok),
    [],
    "every command was answered",
  );
  // the earliest lease's last renewal went out before the stall: unconfirmed SELF_STOP_MS (1 050 ms) after it at most
  const unconfirmedBy = stalledFrom + 1_050 + 100;
  t.same(
    answers.filter((a) => a.at > unconfirmedBy && a.at < stalledTo),
    [],
    "none was answered while the node's leases were not confirmed",
  );
  t.ok(
    answers.some((a) => a.at < stalledFrom),
    "some were answered before the stall",
  );
  t.ok(
    answers.some((a) => a.at > stalledTo),
    "and the actor acted again once the node renewed",
  );
  const count = await command(f.nc, K, x.id, { type: "GetCount" }, 5_000);
  t.equal((count.result as { count: number }).count, answers.length, "with every increment counted once");
});
