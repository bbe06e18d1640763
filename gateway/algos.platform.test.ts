import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { asPrice, asQuantity, parseFixed } from "../actors/domain/index.ts";
import { committedPoliciesDir, readModelFile } from "../actors/model/index.ts";
import { freePort } from "../infra/local/index.ts";
import { ModelRegistry } from "../infra/models/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { openIlpWriter } from "../infra/questdb/index.ts";
import { quoteRow, tradeRow } from "../infra/questdb/rows.ts";
import { walApplied } from "../infra/questdb/testing.ts";
import { startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "../test/testing.ts";
import { loadProtos, mintToken } from "./index.ts";
import { call, failure } from "./testing.ts";

/** The Trading service's algorithm RPCs on a running node: start, watch, pause, resume, cancel, list; fields named. */

const secret = "algos-grpc-test-secret-of-32-bytes-long";
const MINE = "SIM004.SIMX"; // in the demo book, traded by no demo strategy
const POLL = { timeoutMs: 30_000, everyMs: 200 };
const SECOND = 1_000_000;
const DAY = 86_400 * SECOND;
type Algo = { parentId: string; status: string; algo: string; filled: string; quantity: string; tca?: Record<string, unknown> };

t.test("execution algorithms over gRPC against a running node", async (t) => {
  const f = await startTestServers(t, { questdb: true });
  const gatewayPort = await freePort();
  const node = startNodeProcess(t, "algos-grpc-node", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_QUESTDB_URL: f.infra.questdbUrl ?? "",
    AM_DEMO_INSTRUMENTS: "4",
    AM_CELLS: "1",
    AM_GATEWAY_PORT: String(gatewayPort),
    AM_GATEWAY_JWT_SECRET: secret,
  });
  await node.waitFor(/node up/, 60_000);
  const protos = loadProtos();
  const address = `127.0.0.1:${gatewayPort}`;
  const trading = new (protos.client("Trading"))(address, grpc.credentials.createInsecure());
  const market = new (protos.client("MarketData"))(address, grpc.credentials.createInsecure());
  t.teardown(() => {
    trading.close();
    market.close();
  });
  const meta = async (role: "trader" | "viewer") => {
    const m = new grpc.Metadata();
    m.set("authorization", `Bearer ${await mintToken(secret, { subject: `${role}-1`, role, ttlS: 600 })}`);
    return m;
  };
  const [trader, viewer] = await Promise.all([meta("trader"), meta("viewer")]);
  await eventually("the venue connection ready", () => venueReady(f.nc, "SIMX"), POLL);
  const touch = await eventually(
    "a quote of the instrument",
    async () => {
      const b = await call<{ bids: { price: string }[]; asks: { price: string }[] }>(
        market,
        "GetBook",
        { instrument: MINE, depth: 1 },
        viewer,
      );
      return b.asks.length && b.bids.length ? { bid: b.bids[0]!.price, ask: b.asks[0]!.price } : undefined;
    },
    POLL,
  );
  const decimal = (units: number) => (units / 1e8).toFixed(2);
  const parent = (parentId: string, over: Record<string, unknown>) => ({
    parentId,
    instrument: MINE,
    side: "SIDE_BUY",
    quantity: "3",
    lotSize: "1",
    book: "demo",
    strategy: "algo-desk",
    ...over,
  });
  const get = (parentId: string) => call<Algo>(trading, "GetAlgo", { parentId }, viewer);

  await t.test("a TWAP parent started over gRPC fills through the platform and shows its TCA", async (t) => {
    const nowUs = Date.now() * 1000;
    const started = await call<Algo>(
      trading,
      "StartAlgo",
      parent("g-twap", {
        // marketable: far through the ask, so each IOC child fills against the background's offer
        limitPrice: decimal(parseFixed(touch.ask) * 2),
        twap: { endAtUs: nowUs + 2 * SECOND, slices: 3 },
      }),
      trader,
      15_000,
    );
    t.match(started, { parentId: "g-twap", algo: "TWAP", status: "working", quantity: "3" });
    const done = await eventually(
      "g-twap completed",
      async () => ((await get("g-twap")).status === "completed" ? get("g-twap") : undefined),
      POLL,
    );
    t.match(done, { filled: "3", status: "completed" });
    t.ok(Number(done.tca?.avgPx) > 0, `its TCA: ${JSON.stringify(done.tca)}`);
    const listed = await call<{ algos: Record<string, unknown>[] }>(trading, "ListAlgos", {}, viewer);
    t.match(
      listed.algos.find((a) => a.parentId === "g-twap"),
      { algo: "TWAP", instrument: MINE, side: "SIDE_BUY", quantity: "3", filled: "3", status: "completed" },
      "ListAlgos shows it with its progress",
    );
  });

  await t.test("an iceberg is paused, resumed and canceled over gRPC", async (t) => {
    const below = decimal(parseFixed(touch.bid) - 5e8);
    const started = await call<Algo>(
      trading,
      "StartAlgo",
      parent("g-ice", { limitPrice: below, iceberg: { displayQuantity: "1", checkEveryMs: 200 } }),
      trader,
      15_000,
    );
    t.match(started, { algo: "ICEBERG", status: "working" });
    t.match(await call<Algo>(trading, "PauseAlgo", { parentId: "g-ice", reason: "desk says wait" }, trader), { status: "paused" });
    t.match(await call<Algo>(trading, "ResumeAlgo", { parentId: "g-ice" }, trader), { status: "working" });
    t.match(await call<Algo>(trading, "AmendAlgo", { parentId: "g-ice", quantity: "5" }, trader), { quantity: "5" });
    t.match(await call<Algo>(trading, "CancelAlgo", { parentId: "g-ice", reason: "done" }, trader), { status: "canceled" });
    const e = await failure(call(trading, "PauseAlgo", { parentId: "g-ice" }, trader));
    t.equal(e.code, grpc.status.FAILED_PRECONDITION, `a canceled parent cannot pause: ${e.details}`);
  });

  await t.test("a VWAP parent without a profile takes the volume curve recorded in QuestDB", async (t) => {
    // yesterday at the horizon's times of day: 10 in its first 10 s, 30 in its second, none in its third, 60 in its last
    const startUs = Date.now() * 1000 + 2 * SECOND;
    const writer = await openIlpWriter(f.infra.questdbUrl ?? "");
    const yesterday: [number, number][] = [
      [5, 10],
      [15, 30],
      [35, 60],
    ];
    for (const [i, [s, size]] of yesterday.entries()) {
      writer.row(
        tradeRow({
          instrument: MINE,
          price: asPrice(100e8),
          size: asQuantity(size * 1e8),
          aggressor: "BUY",
          tradeId: `Y${i}`,
          seq: 900_000 + i,
          tsEvent: startUs - DAY + s * SECOND,
          tsInit: startUs - DAY + s * SECOND,
        }),
      );
    }
    await writer.flush();
    await writer.close();
    await walApplied(f.infra.questdbUrl ?? "", "trades", { written: true });
    const sub = f.nc.subscribe(subjects.evt("execution-algo", "g-vwap", "AlgoStarted"));
    t.teardown(() => sub.unsubscribe());
    const wait = startUs - Date.now() * 1000;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait / 1000));
    const started = await call<Algo>(
      trading,
      "StartAlgo",
      parent("g-vwap", {
        quantity: "10",
        limitPrice: decimal(parseFixed(touch.bid) - 5e8),
        vwap: { endAtUs: startUs + 40 * SECOND, slices: 4 },
      }),
      trader,
      15_000,
    );
    t.match(started, { algo: "VWAP", status: "working" });
    for await (const m of sub) {
      const e = decodeMessage(m.data, m.headers, false).message as unknown as { params: { profile: number[] } };
      t.same(
        e.params.profile.map((w) => Math.round(w * 100) / 100),
        [0.1, 0.3, 0, 0.6],
        "the schedule's weights are yesterday's volume by bucket",
      );
      break;
    }
    await call(trading, "CancelAlgo", { parentId: "g-vwap" }, trader);
  });

  await t.test("a shortfall parent without volatility or impact takes them estimated from recorded quotes and trades", async (t) => {
    // ten minutes of 10-second slices before now: a quote, then a buy and a sell of growing cost
    const nowUs = Date.now() * 1000;
    const writer = await openIlpWriter(f.infra.questdbUrl ?? "");
    for (let k = 0; k < 60; k++) {
      const at = nowUs - (60 - k) * 10 * SECOND;
      // about the live touch, which the demo records in the same window
      const mid = parseFixed(touch.bid) / 1e8 + (k % 5) * 0.05;
      const size = 5 + (k % 7) * 10;
      writer.row(
        quoteRow({
          instrument: MINE,
          bid: asPrice(Math.round((mid - 0.01) * 1e8)),
          bidSize: asQuantity(100e8),
          ask: asPrice(Math.round((mid + 0.01) * 1e8)),
          askSize: asQuantity(100e8),
          seq: 800_000 + k,
          tsEvent: at,
          tsInit: at,
        }),
      );
      for (const [i, side] of (["BUY", "SELL"] as const).entries()) {
        const cost = 0.01 + 0.0001 * size;
        writer.row(
          tradeRow({
            instrument: MINE,
            price: asPrice(Math.round((side === "BUY" ? mid + cost : mid - cost) * 1e8)),
            size: asQuantity(size * 1e8),
            aggressor: side,
            tradeId: `IS${k}${side}`,
            seq: 800_000 + 2 * k + i,
            tsEvent: at + (i + 1) * SECOND,
            tsInit: at + (i + 1) * SECOND,
          }),
        );
      }
    }
    await writer.flush();
    await writer.close();
    await walApplied(f.infra.questdbUrl ?? "", "quotes", { written: true });
    await walApplied(f.infra.questdbUrl ?? "", "trades", { written: true });
    type Params = { volatility: number; temporaryImpact: number; permanentImpact: number };
    const startedParams = async (parentId: string, shortfall: Record<string, unknown>): Promise<Params> => {
      const sub = f.nc.subscribe(subjects.evt("execution-algo", parentId, "AlgoStarted"), { max: 1 });
      t.teardown(() => sub.unsubscribe());
      await f.nc.flush();
      const started = await call<Algo>(
        trading,
        "StartAlgo",
        parent(parentId, {
          limitPrice: decimal(parseFixed(touch.bid) - 5e8),
          shortfall: { endAtUs: Date.now() * 1000 + 40 * SECOND, slices: 4, riskAversion: 1e-6, ...shortfall },
        }),
        trader,
        15_000,
      );
      t.match(started, { algo: "IS", status: "working" });
      for await (const m of sub) return (decodeMessage(m.data, m.headers, false).message as unknown as { params: Params }).params;
      throw new Error("no AlgoStarted");
    };
    const estimated = await startedParams("g-is", {});
    t.ok(estimated.volatility > 0, `σ estimated: ${estimated.volatility}`);
    t.ok(
      estimated.temporaryImpact > estimated.permanentImpact / 2,
      `η ${estimated.temporaryImpact} > γ/2 (γ ${estimated.permanentImpact})`,
    );
    const given = await startedParams("g-is-given", { volatility: 0.5, temporaryImpact: 0.001 });
    t.same(given, { ...given, volatility: 0.5, temporaryImpact: 0.001, permanentImpact: 0 }, "what the caller gives is kept");
    for (const id of ["g-is", "g-is-given"]) await call(trading, "CancelAlgo", { parentId: id }, trader);
  });

  await t.test("an RL parent started over gRPC is worked by the committed policy through the platform", async (t) => {
    // the committed policy registered and promoted as an operator does (scripts/admin.ts models register / promote)
    const policy = readModelFile("exec-ddpg-liquidation", committedPoliciesDir.pathname);
    const registry = await ModelRegistry.open(f.nc);
    await registry.register(policy.card, policy.bytes, "algos-grpc-test");
    await registry.promote(policy.card.name, policy.card.version);
    const models = new (protos.client("Models"))(address, grpc.credentials.createInsecure());
    t.teardown(() => models.close());
    await eventually(
      "the node serving the policy",
      () =>
        call<{ values: number[] }>(models, "Predict", { name: "exec-ddpg-liquidation", features: [1, 1, 0.1, 0.2, 0] }, trader).catch(
          () => undefined,
        ),
      POLL,
    );
    const sent = f.nc.subscribe(subjects.evt("execution-algo", "g-rl", "AlgoChildSent"));
    t.teardown(() => sent.unsubscribe());
    await f.nc.flush();
    const nowUs = Date.now() * 1000;
    const started = await call<Algo>(
      trading,
      "StartAlgo",
      parent("g-rl", {
        quantity: "4",
        // marketable, as for the TWAP: each IOC child the policy sizes fills against the background's offer
        limitPrice: decimal(parseFixed(touch.ask) * 2),
        learned: { endAtUs: nowUs + 3 * SECOND, slices: 3, model: "exec-ddpg-liquidation", tickSize: "0.01" },
      }),
      trader,
      15_000,
    );
    t.match(started, { parentId: "g-rl", algo: "RL", status: "working", quantity: "4" });
    const children: string[] = [];
    for await (const m of sent) {
      children.push(String(decodeMessage(m.data, m.headers, false).message.clientOrderId));
      break;
    }
    t.match(children, [/^algo\.g-rl\.\d+$/], `its first child: ${children.join(", ")}`);
    const done = await eventually(
      "g-rl completed",
      async () => ((await get("g-rl")).status === "completed" ? get("g-rl") : undefined),
      POLL,
    );
    t.match(done, { algo: "RL", filled: "4", status: "completed" });
    const listed = await call<{ algos: Record<string, unknown>[] }>(trading, "ListAlgos", {}, viewer);
    t.match(
      listed.algos.find((a) => a.parentId === "g-rl"),
      { algo: "RL", instrument: MINE, quantity: "4", filled: "4", status: "completed" },
      "ListAlgos shows it",
    );

    const learned = { endAtUs: Date.now() * 1000 + 60 * SECOND, slices: 3, model: "exec-ddpg-liquidation", tickSize: "0.01" };
    const refusal = async (over: Record<string, unknown>) =>
      failure(call(trading, "StartAlgo", parent("g-rl-bad", { learned: { ...learned, ...over } }), trader, 15_000));
    const noTick = await refusal({ tickSize: "" });
    t.equal(noTick.code, grpc.status.INVALID_ARGUMENT);
    t.match(noTick.details, /^learned\.tick_size: required/, "a learned parent needs the tick");
    const badName = await refusal({ model: "Not A Model" });
    t.equal(badName.code, grpc.status.INVALID_ARGUMENT);
    t.match(badName.details, /^learned\.model: a model name/, "the model's name is checked");
    const unknown = await refusal({ model: "no-such-policy" });
    t.equal(unknown.code, grpc.status.FAILED_PRECONDITION);
    t.match(unknown.details, /^learned\.model: no-such-policy has no promoted version/, "a model the platform does not serve");
    const factors = await refusal({ model: "gbt-return-5f" });
    t.equal(factors.code, grpc.status.INVALID_ARGUMENT);
    t.match(factors.details, /^learned\.model: gbt-return-5f v1 takes bar-factors v1/, "a model that answers another question");
    const wrongSlices = await refusal({ slices: 0 });
    t.match(wrongSlices.details, /^learned\.slices: /, "the horizon as for the other algorithms");
  });

  await t.test("bad requests are refused naming the proto field, and change nothing", async (t) => {
    const refused = async (req: Record<string, unknown>, field: RegExp, what: string) => {
      const e = await failure(call(trading, "StartAlgo", req, trader, 15_000));
      t.equal(e.code, grpc.status.INVALID_ARGUMENT, what);
      t.match(e.details, field, what);
    };
    const future = Date.now() * 1000 + 60 * SECOND;
    await refused(parent("g-bad", {}), /^params: set one of twap, vwap/, "no algorithm chosen");
    await refused(
      parent("g-bad", { quantity: "abc", twap: { endAtUs: future, slices: 2 } }),
      /^quantity: /,
      "a quantity that is no number",
    );
    await refused(
      parent("g-bad", { twap: { endAtUs: future, slices: 0 } }),
      /^twap\.slices: /,
      "the domain schema's check, named as the proto names it",
    );
    await refused(
      parent("g-bad", { twap: { endAtUs: 1_000_000, slices: 2 } }),
      /^twap\.end_at_us: .*must be in the future/,
      "the actor's own check, named as the proto names it",
    );
    await refused(parent("g-bad", { routed: { venues: ["simx"] } }), /^routed\.venues\.0: a venue id like SIMX/, "a venue id");
    await refused(
      parent("g-bad", { iceberg: { displayQuantity: "1" } }),
      /^limit_price: required for ICEBERG/,
      "an iceberg without a limit",
    );
    // the refused parent's actor may still be letting go: a loaded machine takes longer than get's 5 s to answer
    const unstarted = call<Algo>(trading, "GetAlgo", { parentId: "g-bad" }, viewer, 15_000);
    t.equal((await failure(unstarted)).code, grpc.status.NOT_FOUND, "nothing was started");
    await eventually(
      "the actor spawned for the refused parent let go",
      async () => !(await call<{ algos: Algo[] }>(trading, "ListAlgos", {}, viewer)).algos.some((a) => a.parentId === "g-bad"),
      POLL,
    );
    t.equal((await failure(get("never-spawned"))).code, grpc.status.NOT_FOUND, "an unknown parent is NOT_FOUND");
    t.equal(
      (await failure(call(trading, "CancelAlgo", { parentId: "never-spawned" }, trader))).code,
      grpc.status.NOT_FOUND,
      "a command to an unknown parent is NOT_FOUND too",
    );
    const denied = await failure(call(trading, "StartAlgo", parent("g-view", { twap: { endAtUs: future, slices: 2 } }), viewer));
    t.equal(denied.code, grpc.status.PERMISSION_DENIED, "a viewer cannot start one");
  });
});
