import { Kvm } from "@nats-io/kv";
import { pathToFileURL } from "node:url";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { repoRoot } from "../../infra/local/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, type TestServers, startTestServers } from "../../test/testing.ts";
import { ActorNode } from "./actor-node.ts";
import { admin, type ReplyBody, seedDemoInstruments } from "./testing.ts";

// Timeouts are generous: these tests share a small machine with others. The platform's kinds with a three-instrument demo market (SIM001..SIM003.SIMX); cells inherit the environment.
process.env.AM_DEMO_INSTRUMENTS = "3";

/** An in-process node hosting the platform's kinds (supervisors/node/kinds.ts). */
async function startTradingNode(
  t: { teardown(fn: () => unknown): void },
  f: TestServers,
  node: string,
): Promise<{ node: ActorNode; stop(): Promise<void> }> {
  await seedDemoInstruments(f.nc, 3);
  const n = new ActorNode({
    nc: f.nc,
    natsUrl: f.infra.natsUrl,
    node,
    kindsModule: pathToFileURL(`${repoRoot}supervisors/node/kinds.ts`).href,
    cells: 1,
    hangBudgetMs: 5_000,
    log: createLogger({ level: "error" }),
    logLevel: "error",
  });
  await n.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await n.stop();
  };
  t.teardown(stop);
  return { node: n, stop };
}

interface Row {
  kind: string;
  id: string;
  node: string;
  status: string;
  summary?: { state?: string };
}
const list = async (f: TestServers): Promise<Row[]> =>
  ((await admin(f.nc, "list", { type: "AdminListRequest", kind: "strategy" }, 30_000)).result as { actors: Row[] }).actors;
const deploy = (f: TestServers, id: string, config: Record<string, unknown>): Promise<ReplyBody> =>
  admin(f.nc, "deploy", { type: "AdminDeployRequest", kind: "strategy", id, config }, 30_000);
const status = async (f: TestServers, id: string) =>
  (await admin(f.nc, "status", { type: "AdminActorRequest", kind: "strategy", id }, 1_000).catch(() => undefined))?.result as
    | { status: string; node: string; processed: number; context?: { state: string } }
    | undefined;

const meanReversion = {
  strategy: "mean-reversion",
  book: "demo",
  instruments: [{ id: "SIM002.SIMX" }],
  parameters: { lookback: 5, entryZ: 1, exitZ: 0.2, maxPosition: 1, source: "mid" },
};

t.test("am.admin.list names the demo strategies with the node that runs them", async (t) => {
  const f = await startTestServers(t);
  await startTradingNode(t, f, "n1");
  for (const id of ["trend-1", "meanrev-1", "mm-1"])
    t.equal((await admin(f.nc, "spawn", { type: "AdminActorRequest", kind: "strategy", id })).ok, true, `${id} spawned`);
  const rows = await eventually("three running strategies", async () => {
    const r = await list(f);
    return r.length === 3 && r.every((a) => a.status === "running") ? r : undefined;
  });
  t.same(
    rows.map((r) => [r.id, r.kind, r.node]),
    [
      ["meanrev-1", "strategy", "n1"],
      ["mm-1", "strategy", "n1"],
      ["trend-1", "strategy", "n1"],
    ],
  );
  t.ok(
    rows.every((r) => typeof r.summary?.state === "string"),
    "each row carries the strategy's own state",
  );
  const all = (await admin(f.nc, "list", { type: "AdminListRequest" })).result as { node: string; actors: Row[] };
  t.equal(all.node, "n1");
  t.ok(all.actors.length >= 3, "without a kind every hosted actor is listed");
});

t.test("a strategy deployed over the admin API runs, hears its market data, and comes back from KV on a new node", async (t) => {
  const f = await startTestServers(t);
  const first = await startTradingNode(t, f, "n1");
  const deployed = await deploy(f, "mr-x", meanReversion);
  t.match(deployed, { ok: true, result: { deployed: "strategy/mr-x", key: "strategies.mr-x", created: true } });
  const kv = await new Kvm(f.nc).open(buckets.config);
  const stored = JSON.parse((await kv.get("strategies.mr-x"))!.string()) as Record<string, unknown>;
  t.match(
    stored,
    {
      strategy: "mean-reversion",
      book: "demo",
      channels: ["quote"],
      autoStart: true,
      instruments: [{ id: "SIM002.SIMX", tickSize: "0.01", lotSize: "1" }],
    },
    "stored with sizes from the catalogue",
  );

  const running = await eventually(
    "mr-x running",
    async () => {
      const s = await status(f, "mr-x");
      return s?.status === "running" ? s : undefined;
    },
    { timeoutMs: 15_000 },
  );
  t.equal(running.node, "n1");
  t.equal(running.context?.state, "warmingUp", "it starts at once (autoStart) and warms up on quotes");
  let seq = 0;
  const quote = async () => {
    seq++;
    const bid = 100_00000000 + (seq % 7) * 1_000000;
    const { data, headers } = encodeMessage({
      type: "Quote",
      instrument: "SIM002.SIMX",
      bid,
      bidSize: 5_00000000,
      ask: bid + 2_000000,
      askSize: 5_00000000,
      seq,
      tsEvent: seq,
      tsInit: seq,
    });
    f.nc.publish(subjects.md("quote", { venue: "SIMX", symbol: "SIM002" }), data, { headers });
    await f.nc.flush();
  };
  await eventually(
    "mr-x processing quotes of SIM002.SIMX",
    async () => {
      await quote();
      return ((await status(f, "mr-x"))?.processed ?? 0) > 0;
    },
    { timeoutMs: 10_000 },
  );
  t.pass("it subscribes to the market data of its instrument");

  t.match(
    await deploy(f, "mr-x", { ...meanReversion, parameters: { source: "mid", exitZ: 0.2, entryZ: 1, maxPosition: 1, lookback: 5 } }),
    { ok: true, result: { created: false } },
    "the same configuration again is a no-op",
  );
  const other = await deploy(f, "mr-x", { ...meanReversion, parameters: { lookback: 6 } });
  t.match(other.error, { code: "already-exists", message: /mr-x is deployed with another configuration/ });
  t.match((await deploy(f, "trend-1", meanReversion)).error, { code: "already-exists", message: /built-in demo strategy/ });

  // A graceful stop releases the lease; a new node on the same NATS takes the strategy and rebuilds it from KV.
  await first.stop();
  await startTradingNode(t, f, "n2");
  const back = await eventually(
    "mr-x running on n2",
    async () => {
      const s = await status(f, "mr-x");
      return s?.status === "running" && s.node === "n2" ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.equal(back.context?.state, "warmingUp");
  t.match(await list(f), [{ id: "mr-x", node: "n2", status: "running" }]);
});

t.test("a bad deployment names the field; nothing is stored and nothing spawned", async (t) => {
  const f = await startTestServers(t);
  await startTradingNode(t, f, "n1");
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["unknown sample", { ...meanReversion, strategy: "martingale" }, /^config\.strategy: /],
    ["parameter out of its schema", { ...meanReversion, parameters: { lookback: 1 } }, /^config\.parameters\.lookback: /],
    ["parameters rule", { ...meanReversion, parameters: { entryZ: 1, exitZ: 2 } }, /^config\.parameters\.exitZ: must be less than entryZ/],
    [
      "misspelt parameter",
      { ...meanReversion, parameters: { lookbak: 5 } },
      /^config\.parameters\.lookbak: not a parameter of mean-reversion/,
    ],
    ["misspelt field", { ...meanReversion, instrument: [] }, /^config\.instrument: not a field/],
    ["no instruments", { ...meanReversion, instruments: [] }, /^config\.instruments: /],
    ["bad instrument id", { ...meanReversion, instruments: [{ id: "nodot" }] }, /^config\.instruments\.0\.id: must be SYMBOL\.VENUE/],
    [
      "instrument outside the catalogue",
      { ...meanReversion, instruments: [{ id: "ZZZ.XNAS" }] },
      /^config\.instruments\.0\.tickSize: required: ZZZ\.XNAS is not in the instrument catalogue/,
    ],
    [
      "bad tick size",
      { ...meanReversion, instruments: [{ id: "ZZZ.XNAS", tickSize: "0.0000000001", lotSize: "1" }] },
      /^config\.instruments\.0\.tickSize: /,
    ],
    ["no book", { ...meanReversion, book: undefined }, /^config\.book: /],
  ];
  for (const [what, config, message] of cases) {
    const r = await deploy(f, "bad-1", JSON.parse(JSON.stringify(config)) as Record<string, unknown>);
    t.equal(r.error?.code, "invalid", `${what}: refused as invalid`);
    t.match(r.error?.message, message, `${what}: ${r.error?.message}`);
  }
  const id = await deploy(f, "bad.id", meanReversion);
  t.match(id.error, { code: "invalid", message: /^id: / }, "a strategy id with a dot is refused (client order ids are prefixed by it)");
  const kv = await new Kvm(f.nc).open(buckets.config);
  t.equal(await kv.get("strategies.bad-1"), null, "nothing stored");
  t.notOk(await status(f, "bad-1"), "nothing spawned");
  t.same(await list(f), []);
});
