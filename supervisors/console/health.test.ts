import { DiscardPolicy, jetstream, jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { clusterHealth, healthReasons, probeHealth, streamHealthOf } from "./health.ts";
import type { Health, NodeTree } from "./protocol.ts";

const servers: Omit<Health, "status" | "reasons" | "cluster" | "at"> = {
  nats: { ok: true },
  jetstream: { ok: true, streams: [] },
  questdb: { ok: false, configured: false },
};
const node = (name: string, actors: { id: string; status: string }[], quarantined: { key: string; reason: string }[] = []): NodeTree => ({
  node: name,
  liveNodes: [name],
  cells: [{ cell: 0, status: "running", kinds: [{ kind: "venue", actors: actors.map((a) => ({ kind: "venue", ...a })) }] }],
  quarantined,
});
const reasonsOf = (tree: NodeTree[], declared?: string[]) =>
  healthReasons({ at: 0, ...servers, cluster: clusterHealth({ tree, declared }) });

t.test("no node is never healthy, however green the servers are", async (t) => {
  t.same(reasonsOf([]), ["no live node: nothing runs the actors"]);
  t.same(healthReasons({ at: 0, ...servers }), [], "without a cluster picture only the servers count");
});

t.test("a node with an empty tree is degraded", async (t) => {
  t.match(reasonsOf([node("n1", [])]), [/the supervision tree is empty: no actor runs on n1/]);
});

t.test("declared actors that no node runs are named; quarantined ones are reported as such, not as missing", async (t) => {
  const tree = [
    node(
      "n1",
      [
        { id: "SIMX", status: "running" },
        { id: "XNAS", status: "failed" },
      ],
      [{ key: "venue/BATS", reason: "hung" }],
    ),
  ];
  const c = clusterHealth({ tree, declared: ["venue/SIMX", "venue/XNAS", "venue/BATS", "risk-book/demo"] });
  t.same(c.missing, ["risk-book/demo", "venue/XNAS"]);
  t.same(c.quarantined, ["venue/BATS"]);
  t.equal(c.ok, false);
  t.same(reasonsOf(tree, ["venue/SIMX", "venue/XNAS", "venue/BATS", "risk-book/demo"]), [
    "2 declared actors not running: risk-book/demo, venue/XNAS",
    "1 actor quarantined: venue/BATS",
  ]);
});

t.test("every declared actor running on a live node is healthy", async (t) => {
  const c = clusterHealth({ tree: [node("n1", [{ id: "SIMX", status: "running" }])], declared: ["venue/SIMX"] });
  t.match(c, { ok: true, nodes: ["n1"], running: 1, declared: 1, missing: [] });
  t.same(reasonsOf([node("n1", [{ id: "SIMX", status: "running" }])], ["venue/SIMX"]), []);
});

t.test("server problems and cluster problems are reasons side by side", async (t) => {
  const reasons = healthReasons({
    at: 0,
    ...servers,
    nats: { ok: false, error: "rtt: timeout" },
    questdb: { ok: false, configured: true, error: "connection refused" },
    cluster: clusterHealth({ tree: [] }),
  });
  t.same(reasons, ["NATS: rtt: timeout", "QuestDB: connection refused", "no live node: nothing runs the actors"]);
});

t.test("a long list of missing actors stays one readable line", async (t) => {
  const declared = Array.from({ length: 8 }, (_, i) => `venue/V${i}`);
  t.same(reasonsOf([node("n1", [{ id: "other", status: "running" }])], declared), [
    "8 declared actors not running: venue/V0, venue/V1, venue/V2, venue/V3, venue/V4 and 3 more",
  ]);
});

/** A stream as JetStream describes it, through what the health makes of it. */
const stream = (name: string, bytes: number, maxBytes: number, discard: DiscardPolicy) =>
  streamHealthOf({
    config: { name, max_bytes: maxBytes, discard } as StreamInfo["config"],
    state: { messages: 1, bytes, consumer_count: 0, first_seq: 1, last_seq: 1 } as StreamInfo["state"],
  });

t.test("a stream that refuses new messages once full is a reason from 80 % of its limit on", async (t) => {
  const GiB = 2 ** 30;
  const reasons = (streams: ReturnType<typeof stream>[]) => healthReasons({ at: 0, ...servers, jetstream: { ok: true, streams } });
  t.same(reasons([stream("AM_EVT", 13.6 * GiB, 16 * GiB, DiscardPolicy.New)]), [
    "stream AM_EVT is 85 % full (13926 MiB of 16384 MiB): once full it refuses what is written to it",
  ]);
  t.same(reasons([stream("AM_EVT", 12.7 * GiB, 16 * GiB, DiscardPolicy.New)]), [], "79 % is not yet a problem");
  t.same(reasons([stream("AM_MD", 3.99 * GiB, 4 * GiB, DiscardPolicy.Old)]), [], "a stream that drops its oldest when full goes on");
  t.same(reasons([stream("AM_EVT", 20 * GiB, -1, DiscardPolicy.New)]), [], "a stream without a limit");
});

t.test("a real stream filled to its limit is named in the platform's health", async (t) => {
  const f = await startTestServers(t, { declare: false });
  const jsm = await jetstreamManager(f.nc);
  await jsm.streams.add({ name: "T_FULL", subjects: ["am.dlq.full-test"], max_bytes: 16 * 1024, discard: DiscardPolicy.New });
  const js = jetstream(f.nc);
  let refused: unknown;
  for (let i = 0; i < 1_000 && !refused; i++)
    await js.publish("am.dlq.full-test", new Uint8Array(200)).catch((e: unknown) => (refused = e));
  t.ok(refused, "the full stream refuses a message");
  const h = await probeHealth({ nc: f.nc });
  t.equal(h.status, "degraded");
  t.match(h.reasons, [/^stream T_FULL is (8|9)\d % full \(1\d KiB of 16 KiB\): once full it refuses what is written to it$/]);
  t.match(h.jetstream.streams, [{ name: "T_FULL", maxBytes: 16 * 1024, refusesWhenFull: true, nearlyFull: true }]);
});
