import { Metadata, status } from "@grpc/grpc-js";
import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { encodeMessage } from "../infra/nats/index.ts";
import { nodeTree } from "./services/admin.ts";
import { eventually } from "../test/testing.ts";
import { call, failure, openStream, startHarness } from "./testing.ts";

t.test("MarketData, Portfolio, Risk, Strategies and Admin over a real nats-server", async (t) => {
  const h = await startHarness(t, { streams: { quoteQueue: 8 } });
  const viewer = h.meta(await h.token("viewer"));
  const operator = h.meta(await h.token("operator", "olga"));
  const admin = h.meta(await h.token("admin", "ada"));
  const publishQuote = (bid: number, seq: number) => {
    const { data, headers } = encodeMessage({
      type: "Quote",
      instrument: "BRK.B.XNYS",
      bid,
      bidSize: 1_00000000,
      ask: bid + 1_000000,
      askSize: 2_00000000,
      seq,
      tsEvent: seq,
      tsInit: seq,
    });
    h.nc.publish(subjects.md("quote", { symbol: "BRK.B", venue: "XNYS" }), data, { headers });
  };

  await t.test("quotes stream as decimal strings for an instrument whose symbol has a dot", async (t) => {
    const md = h.client("MarketData");
    const stream = openStream(md, "StreamQuotes", { instruments: ["BRK.B.XNYS"] }, viewer);
    let received = false;
    const first = new Promise<Record<string, unknown>>((resolve) =>
      stream.on("data", (d: Record<string, unknown>) => {
        received = true;
        resolve(d);
      }),
    );
    stream.on("error", () => {});
    // The gateway subscribes when the call arrives; publish until the stream is live (no fixed sleep).
    while (!received) {
      publishQuote(412_25000000, 1);
      await new Promise((r) => setTimeout(r, 100));
    }
    const q = await first;
    stream.cancel();
    t.same([q.instrument, q.bid, q.ask, q.bidSize, q.seq], ["BRK.B.XNYS", "412.25", "412.26", "1", 1]);
  });

  await t.test("a slow quote client gets the newest quotes; the server holds at most its bound", async (t) => {
    const md = h.client("MarketData");
    const stream = openStream(md, "StreamQuotes", { instruments: ["BRK.B.XNYS"] }, viewer);
    stream.on("error", () => {});
    stream.pause();
    // Wait until the gateway has opened this call's sink (and so its subscription), then let the interest reach the server.
    await eventually("the gateway's quote sink for this call", () => h.gateway.streamStats().length > 0, { everyMs: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const n = 30_000;
    for (let i = 1; i <= n; i++) {
      publishQuote(100_00000000 + i, i);
      if (i % 3000 === 0) await h.nc.flush();
    }
    await h.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    const [stats] = h.gateway.streamStats();
    t.ok(stats && stats.maxQueued <= 8, `queue held at most 8 (held ${stats?.maxQueued})`);
    t.ok(stats && stats.dropped > 0, "old quotes were dropped");
    const last = new Promise<void>((resolve) =>
      stream.on("data", (q: Record<string, unknown>) => {
        if (q.seq === n) resolve();
      }),
    );
    stream.resume();
    await last;
    stream.cancel();
    t.pass("the newest quote arrived");
  });

  await t.test("GetBars without a history store is UNAVAILABLE; bad bar types name the field", async (t) => {
    const md = h.client("MarketData");
    const e = await failure(call(md, "GetBars", { instrument: "AAPL.XNAS", barType: "1m", fromUs: 1 }, viewer));
    t.equal(e.code, status.UNAVAILABLE);
    t.match(e.details, /history store not configured/);
    const v = await failure(call(md, "GetBars", { instrument: "AAPL.XNAS", barType: "1 minute" }, viewer));
    t.match(v.details, /^bar_type: /);
  });

  await t.test("risk and portfolio RPCs read and steer the risk book", async (t) => {
    const got: Record<string, unknown>[] = [];
    h.respond(subjects.cmd("risk-book", "main"), (m) => {
      got.push(m);
      if (m.type === "GetRiskReport") {
        return {
          ok: true,
          result: {
            book: "main",
            tradingDay: "2024-05-01",
            positions: [
              {
                instrument: "AAPL.XNAS",
                leg: "NET",
                quantity: -5_00000000,
                avgPrice: 100_00000000,
                mark: 101_00000000,
                marketValue: -505_00000000n,
                cost: -500_00000000n,
                unrealisedPnl: -5_00000000n,
                realisedPnl: 0n,
                fees: 1000n,
              },
            ],
            pnl: {
              cash: 10_000_00000000n,
              equity: 9_995_00000000n,
              realised: 0n,
              unrealised: -5_00000000n,
              fees: 1000n,
              net: -5_00001000n,
              daily: -5_00000000n,
              highWaterMark: 10_000_00000000n,
              drawdown: 5_00000000n,
            },
            limits: [{ limit: "MAX_DRAWDOWN", value: 5_00000000n, warn: 80_00000000n, hard: 100_00000000n, usedPct: 5, level: "OK" }],
            killSwitch: { book: null, global: null },
          },
        };
      }
      return { ok: true };
    });
    const portfolio = h.client("Portfolio");
    const risk = h.client("Risk");
    const pos = await call<{ positions: Record<string, unknown>[] }>(portfolio, "GetPositions", { book: "main" }, viewer);
    t.same([pos.positions[0]!.quantity, pos.positions[0]!.marketValue, pos.positions[0]!.fees], ["-5", "-505", "0.00001"]);
    const pnl = await call(portfolio, "GetPnl", { book: "main" }, viewer);
    t.same([pnl.equity, pnl.drawdown, pnl.tradingDay], ["9995", "5", "2024-05-01"]);
    const report = await call<{ limits: Record<string, unknown>[] }>(risk, "GetRiskReport", { book: "main" }, viewer);
    t.same([report.limits[0]!.limit, report.limits[0]!.hard], ["MAX_DRAWDOWN", "100"]);

    const denied = await failure(call(risk, "SetLimits", { book: "main", limits: {} }, operator));
    t.equal(denied.code, status.PERMISSION_DENIED);
    t.match(denied.details, /needs role admin/);
    const bad = await failure(call(risk, "SetLimits", { book: "main", limits: { maxDrawdown: { hard: "10", warn: "20" } } }, admin));
    t.equal(bad.code, status.INVALID_ARGUMENT);
    t.match(bad.details, /^limits\.max_drawdown\.warn: must not exceed hard/);
    const set = await call(
      risk,
      "SetLimits",
      { book: "main", limits: { maxOrderQuantity: "100", maxDrawdown: { hard: "1000" }, priceCollarBps: 0 }, reason: "new day" },
      admin,
    );
    t.equal(set.maxOrderQuantity, "100");
    const sent = got.find((m) => m.type === "SetRiskLimits")!;
    t.same(sent.limits, {
      maxOrderQuantity: 100_00000000,
      instruments: {},
      maxDrawdown: { hard: 1000_00000000n },
      priceCollarBps: 0,
      reduceOnly: false,
    });
    t.equal(sent.by, "ada");
    await call(
      risk,
      "SetLimits",
      { book: "main", limits: { maxPosition: "50", regimeScale: { threshold: 0.5, factor: 0.25, holdBars: 30 } }, reason: "regimes" },
      admin,
    );
    t.same(
      got.filter((m) => m.type === "SetRiskLimits").at(-1)!.limits,
      { maxPosition: 50_00000000, instruments: {}, reduceOnly: false, regimeScale: { threshold: 0.5, factor: 0.25, holdBars: 30 } },
      "a regime scale set over gRPC reaches the book",
    );

    const noReason = await failure(call(risk, "EngageKillSwitch", { book: "main" }, operator));
    t.match(noReason.details, /^reason: required/);
    t.same(await call(risk, "EngageKillSwitch", { book: "main", scope: "KILL_SWITCH_SCOPE_GLOBAL", reason: "drill" }, operator), {
      book: "main",
      scope: "KILL_SWITCH_SCOPE_GLOBAL",
      engaged: true,
    });
    const engaged = got.find((m) => m.type === "EngageKillSwitch")!;
    t.same([engaged.scope, engaged.by, engaged.reason], ["GLOBAL", "olga", "drill"]);
  });

  await t.test("strategies are deployed by the admin API and steered on their command subject", async (t) => {
    const got: Record<string, unknown>[] = [];
    const ok = (m: Record<string, unknown>) => {
      got.push(m);
      return { ok: true };
    };
    h.respond(subjects.admin("deploy"), (m) => {
      got.push(m);
      return { ok: true, result: { key: "strategy/s-1" } };
    });
    const parameterChanges: Record<string, unknown>[] = [];
    h.respond(subjects.cmd("strategy", "s-1"), (m) => {
      if (m.type !== "SetStrategyParameters") return ok(m);
      parameterChanges.push(m);
      return { ok: false, error: { code: "invalid-parameters", message: "lookback must be positive" } };
    });
    const strategies = h.client("Strategies");
    const e = await failure(call(strategies, "DeployStrategy", { id: "s-1", configJson: "{}" }, operator));
    t.equal(e.code, status.PERMISSION_DENIED);
    const j = await failure(call(strategies, "DeployStrategy", { id: "s-1", configJson: "[1]" }, admin));
    t.match(j.details, /^config_json: must be a JSON object/);
    const d = await call(strategies, "DeployStrategy", { id: "s-1", configJson: '{"type":"trend","book":"main"}' }, admin);
    t.equal(d.resultJson, '{"key":"strategy/s-1"}');
    await call(strategies, "StopStrategy", { id: "s-1", keepOpenOrders: true }, operator);
    t.same(
      got.map((m) => [m.type, m.kind, m.cancelOpenOrders]),
      [
        ["AdminDeployRequest", "strategy", undefined],
        ["StopStrategy", undefined, false],
      ],
    );
    const p = await failure(call(strategies, "SetParameters", { id: "s-1", parametersJson: '{"lookback":-1}' }, operator));
    t.equal(p.code, status.INVALID_ARGUMENT, "parameters the strategy cannot take are an invalid argument, whatever its state");
    t.match(p.details, /invalid-parameters: lookback must be positive/);
    t.equal(parameterChanges[0]?.by, "olga", "a parameter change names the caller from the verified JWT");
  });

  await t.test("admin verbs go to am.admin.<verb> with kind, id, reason and the caller", async (t) => {
    const got: Record<string, unknown>[] = [];
    h.respond(subjects.admin("quarantine"), (m) => {
      got.push(m);
      return { ok: true, result: { key: "instrument/AAPL.XNAS", status: "quarantined", stats: { restarts: 3 } } };
    });
    h.respond(subjects.admin("tree"), () => ({
      ok: true,
      result: { name: "root", children: [{ kind: "risk-book", id: "main", status: "running" }] },
    }));
    const a = h.client("Admin");
    const node = await call(a, "QuarantineActor", { kind: "instrument", id: "AAPL.XNAS", reason: "poison" }, operator);
    t.same([node.status, node.restarts], ["quarantined", 3]);
    t.same(got[0], { type: "AdminQuarantineRequest", kind: "instrument", id: "AAPL.XNAS", reason: "poison (by olga)" });
    const tree = await call<{ key: string; children: Record<string, unknown>[] }>(a, "GetTree", {}, viewer);
    t.same([tree.key, tree.children[0]!.key], ["root", "risk-book/main"]);
    const v = await failure(call(a, "RestartActor", { kind: "Risk Book", id: "main" }, operator));
    t.match(v.details, /^kind: /);
    const none = await failure(call(a, "RestartActor", { kind: "risk-book", id: "main" }, operator));
    t.equal(none.code, status.UNAVAILABLE);
    t.match(none.details, /am\.admin\.restart/);
    const anon = await failure(call(a, "GetTree", {}, new Metadata()));
    t.equal(anon.code, status.UNAUTHENTICATED);
  });
});

t.test("GetTree shows the node's cells, kind supervisors and actors as one tree", async (t) => {
  const tree = nodeTree({
    node: "n1",
    cells: [
      {
        cell: 0,
        status: "running",
        kinds: [{ kind: "instrument", actors: [{ kind: "instrument", id: "A.X", status: "running", restarts: 2, processed: 9 }] }],
      },
    ],
  });
  t.match(tree, {
    key: "node/n1",
    kind: "node",
    status: "running",
    children: [
      {
        key: "cell/0",
        children: [{ key: "supervisor/instrument", children: [{ key: "instrument/A.X", node: "n1", restarts: 2, processed: 9 }] }],
      },
    ],
  });
  t.match(
    nodeTree({ key: "k", kind: "instrument", id: "A.X", children: [] }),
    { key: "k" },
    "an answer already shaped as an ActorNode passes through",
  );
});
