import { headers } from "@nats-io/transport-node";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { encodeMessage } from "../../infra/nats/index.ts";
import { connectAs, startTestServers } from "../../test/testing.ts";
import { admin } from "./admin-client.ts";
import { type AdminNode, serveAdmin } from "./admin-api.ts";

/** A node that hosts every actor and keeps who quarantined or configured what: the admin API's audit trail. */
function recordingNode(): AdminNode & {
  quarantines: { id: string; reason: string; by: string }[];
  configurations: { id: string; value: string; by: string }[];
} {
  const quarantines: { id: string; reason: string; by: string }[] = [];
  const configurations: { id: string; value: string; by: string }[] = [];
  const nothing = async () => undefined;
  return {
    node: "node-a",
    quarantines,
    configurations,
    hosts: () => true,
    liveNodes: () => ["node-a"],
    tree: nothing,
    list: nothing,
    describe: nothing,
    restart: nothing,
    unassign: nothing,
    release: nothing,
    ensure: nothing,
    deploy: nothing,
    quarantine: async (r, reason, by) => {
      quarantines.push({ id: r.id, reason, by });
    },
    configure: async (_section, id, value, by) => {
      configurations.push({ id, value, by });
    },
  };
}

t.test("an operator's quarantine is recorded under the user of its credentials, not the name its message gives", async (t) => {
  const { infra, nc } = await startTestServers(t, { declare: false });
  const node = recordingNode();
  for (const s of serveAdmin(nc, node)) t.teardown(() => s.unsubscribe());
  await nc.flush();
  const operator = await connectAs(t, infra, "operator");

  const claimed = { type: "AdminQuarantineRequest", kind: "strategy", id: "s1", reason: "runaway", by: "mallory" };
  t.equal((await admin(operator, "quarantine", claimed)).ok, true);
  // a header written to pass for the server's own is replaced by the server's
  const { data, headers: h } = encodeMessage({ ...claimed, id: "s2" });
  const forged = h ?? headers();
  forged.set("Nats-Request-Info", JSON.stringify({ acc: "OPS", user: "mallory" }));
  await operator.request(subjects.admin("quarantine"), data, { headers: forged, timeout: 5_000 });

  t.same(
    node.quarantines.map((q) => [q.id, q.by]),
    [
      ["s1", "OPS/operator"],
      ["s2", "OPS/operator"],
    ],
  );
});

t.test("a platform service's quarantine keeps the principal it authenticated", async (t) => {
  const { infra, nc } = await startTestServers(t, { declare: false });
  const node = recordingNode();
  for (const s of serveAdmin(nc, node)) t.teardown(() => s.unsubscribe());
  await nc.flush();
  const gateway = await connectAs(t, infra, "gateway");
  await admin(gateway, "quarantine", { type: "AdminQuarantineRequest", kind: "strategy", id: "s1", reason: "runaway", by: "alice" });
  await admin(gateway, "quarantine", { type: "AdminQuarantineRequest", kind: "strategy", id: "s2", reason: "runaway" });
  t.same(
    node.quarantines.map((q) => q.by),
    ["alice", "platform"],
  );
});

t.test("an operator's limits are set under the user of its credentials, whatever its message or headers claim", async (t) => {
  const { infra, nc } = await startTestServers(t, { declare: false });
  const node = recordingNode();
  for (const s of serveAdmin(nc, node)) t.teardown(() => s.unsubscribe());
  await nc.flush();
  const operator = await connectAs(t, infra, "operator");

  const claimed = { type: "AdminConfigureRequest", section: "limits", id: "b1", value: '{"maxPosition":1}', by: "mallory" };
  t.equal((await admin(operator, "configure", claimed)).ok, true);
  const { data, headers: h } = encodeMessage({ ...claimed, id: "b2" });
  const forged = h ?? headers();
  forged.set("Nats-Request-Info", JSON.stringify({ acc: "OPS", user: "mallory" }));
  await operator.request(subjects.admin("configure"), data, { headers: forged, timeout: 5_000 });
  const reader = await connectAs(t, infra, "reader");
  await t.rejects(admin(reader, "configure", { ...claimed, id: "b3" }, 2_000), /Permissions Violation|permission/i, "a reader may not");

  t.same(
    node.configurations.map((c) => [c.id, c.by]),
    [
      ["b1", "OPS/operator"],
      ["b2", "OPS/operator"],
    ],
  );
});
