import { pathToFileURL } from "node:url";
import { Metadata, status } from "@grpc/grpc-js";
import t from "tap";
import { repoRoot } from "../infra/local/index.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorNode } from "../supervisors/node/actor-node.ts";
import { admin, seedDemoInstruments } from "../supervisors/node/testing.ts";
import { eventually } from "../test/testing.ts";
import { call, failure, startHarness } from "./testing.ts";

// A node of the platform's kinds with a three-instrument demo market (SIM001..SIM003.SIMX); cells inherit the environment.
process.env.AM_DEMO_INSTRUMENTS = "3";

interface Summary {
  id: string;
  state: string;
  node: string;
}

t.test("the Strategies service lists, deploys and steers strategies of a running node", async (t) => {
  const h = await startHarness(t);
  await seedDemoInstruments(h.nc, 3);
  const node = new ActorNode({
    nc: h.nc,
    natsUrl: h.infra.natsUrl,
    node: "n1",
    kindsModule: pathToFileURL(`${repoRoot}supervisors/node/kinds.ts`).href,
    cells: 1,
    hangBudgetMs: 5_000,
    log: createLogger({ level: "error" }),
    logLevel: "error",
  });
  await node.start();
  t.teardown(() => node.stop());
  const viewer = h.meta(await h.token("viewer"));
  const operator = h.meta(await h.token("operator", "olga"));
  const adminRole = h.meta(await h.token("admin", "ada"));
  const strategies = h.client("Strategies");
  const listed = async () => (await call<{ strategies: Summary[] }>(strategies, "ListStrategies", {}, viewer)).strategies;
  /** mr-g's summary once `ok` holds. */
  const until = (what: string, ok: (s: Summary) => boolean): Promise<Summary> =>
    eventually(`mr-g ${what}`, async () => (await listed()).find((x) => x.id === "mr-g"), {
      timeoutMs: 20_000,
      everyMs: 100,
      until: (s: Summary | undefined): s is Summary => s !== undefined && ok(s),
    });
  const config = {
    strategy: "mean-reversion",
    book: "demo",
    instruments: [{ id: "SIM001.SIMX", tickSize: "0.01", lotSize: "1" }],
    parameters: { lookback: 5, entryZ: 1, exitZ: 0.2, maxPosition: 1, source: "mid" },
  };

  await t.test("ListStrategies gathers the strategies of every node with their state and node", async (t) => {
    t.equal((await admin(h.nc, "spawn", { type: "AdminActorRequest", kind: "strategy", id: "mm-1" })).ok, true);
    const mm = await eventually(
      "mm-1 listed and warming up",
      async () => (await listed()).find((s) => s.id === "mm-1" && s.state === "warmingUp"),
      {
        timeoutMs: 20_000,
        everyMs: 100,
      },
    );
    t.same(mm, { id: "mm-1", state: "warmingUp", node: "n1" }, "the demo market maker, warming up on n1");
  });

  await t.test("DeployStrategy stores and starts a strategy; the same configuration again is a no-op", async (t) => {
    const d = await call<{ id: string; resultJson: string }>(
      strategies,
      "DeployStrategy",
      { id: "mr-g", configJson: JSON.stringify(config) },
      adminRole,
    );
    t.equal(d.id, "mr-g");
    t.match(JSON.parse(d.resultJson), { deployed: "strategy/mr-g", key: "strategies.mr-g", created: true });
    t.same(await until("running", (s) => s?.state === "warmingUp"), { id: "mr-g", state: "warmingUp", node: "n1" });
    const again = await call<{ resultJson: string }>(
      strategies,
      "DeployStrategy",
      { id: "mr-g", configJson: JSON.stringify(config) },
      adminRole,
    );
    t.match(JSON.parse(again.resultJson), { created: false });
    const other = await failure(
      call(strategies, "DeployStrategy", { id: "mr-g", configJson: JSON.stringify({ ...config, book: "other" }) }, adminRole),
    );
    t.equal(other.code, status.ALREADY_EXISTS);
    t.match(other.details, /deployed with another configuration/);
  });

  await t.test("a bad configuration is INVALID_ARGUMENT naming the field, and deploys nothing", async (t) => {
    const bad = await failure(
      call(
        strategies,
        "DeployStrategy",
        { id: "mr-bad", configJson: JSON.stringify({ ...config, parameters: { lookback: 1 } }) },
        adminRole,
      ),
    );
    t.equal(bad.code, status.INVALID_ARGUMENT);
    t.match(bad.details, /config\.parameters\.lookback: /);
    const kind = await failure(
      call(strategies, "DeployStrategy", { id: "mr-bad", configJson: JSON.stringify({ ...config, strategy: "martingale" }) }, adminRole),
    );
    t.equal(kind.code, status.INVALID_ARGUMENT);
    t.match(kind.details, /config\.strategy: /);
    t.notOk((await listed()).some((s) => s.id === "mr-bad"));
  });

  await t.test("StopStrategy, StartStrategy and SetParameters steer the deployed strategy", async (t) => {
    await call(strategies, "StopStrategy", { id: "mr-g", reason: "lunch" }, operator);
    t.equal((await until("stopped", (s) => s?.state === "stopped")).state, "stopped");
    await call(strategies, "StartStrategy", { id: "mr-g", reason: "back" }, operator);
    t.equal((await until("started again", (s) => s?.state === "warmingUp")).state, "warmingUp");
    const set = await call<{ resultJson: string }>(
      strategies,
      "SetParameters",
      { id: "mr-g", parametersJson: JSON.stringify({ lookback: 8 }) },
      operator,
    );
    t.equal(set.resultJson === "" || typeof set.resultJson === "string", true);
    const refused = await failure(
      call(strategies, "SetParameters", { id: "mr-g", parametersJson: JSON.stringify({ lookback: 1 }) }, operator),
    );
    t.equal(refused.code, status.FAILED_PRECONDITION);
    t.match(refused.details, /parameters\.lookback/);
  });

  await t.test("the service checks who calls", async (t) => {
    const anon = await failure(call(strategies, "ListStrategies", {}, new Metadata()));
    t.equal(anon.code, status.UNAUTHENTICATED);
    for (const who of [viewer, operator]) {
      const denied = await failure(call(strategies, "DeployStrategy", { id: "mr-h", configJson: JSON.stringify(config) }, who));
      t.equal(denied.code, status.PERMISSION_DENIED);
      t.match(denied.details, /needs role admin/);
    }
    const stop = await failure(call(strategies, "StopStrategy", { id: "mr-g" }, viewer));
    t.equal(stop.code, status.PERMISSION_DENIED);
    t.notOk(
      (await listed()).some((s) => s.id === "mr-h"),
      "a refused deployment deploys nothing",
    );
  });
});
