import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { fromNumber, parseFixed } from "../actors/domain/index.ts";
import { call, failure, openStream } from "../gateway/testing.ts";
import { loadProtos, mintToken, type Role } from "../gateway/index.ts";
import type { ServiceName } from "../gateway/protos.ts";
import { freePort } from "../infra/local/index.ts";
import { questdbSql, rowsOf, sqlLiteral } from "../infra/questdb/index.ts";
import { startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The gRPC edge against the running platform: supervisors/node/main.ts as a child process (demo market, recorder,
 * gateway) on a test nats-server and QuestDB, called through grpc-js clients of every service.
 */

const secret = "grpc-platform-test-secret-of-32-bytes-or-more";
const BOOK = "demo";
const MINE = "SIM004.SIMX"; // listed and in the book, traded by no demo strategy: our orders are the only ones
const SPARE = "SIM003.SIMX"; // restarted, quarantined and released by the admin tests
const RATE = { perSecond: 20, burst: 40 };

type Msg = Record<string, unknown>;

/** Probes at most 5 times a second: the gateway rate-limits each principal. */
const POLL = { timeoutMs: 20_000, everyMs: 200 };

t.test("every gRPC service answers against the running platform, with auth, validation and rate limits enforced", async (t) => {
  const { infra, nc } = await startTestServers(t, { questdb: true, declare: false });
  const gatewayPort = await freePort();
  const node = startNodeProcess(t, "grpc-node", {
    AM_NATS_URL: infra.natsUrl,
    AM_QUESTDB_URL: infra.questdbUrl!,
    AM_VAR_DIR: mkdtempSync(join(tmpdir(), "am-grpc-var-")),
    AM_DEMO_INSTRUMENTS: "5",
    AM_CELLS: "1",
    AM_GATEWAY_PORT: String(gatewayPort), // 0 would mean no gateway
    AM_GATEWAY_JWT_SECRET: secret,
    AM_GATEWAY_RATE_PER_SECOND: String(RATE.perSecond),
    AM_GATEWAY_RATE_BURST: String(RATE.burst),
  });
  await node.waitFor(/gRPC gateway listening/, 60_000);
  const address = `127.0.0.1:${gatewayPort}`;
  await node.waitFor(/node up/, 60_000);

  const protos = loadProtos();
  const clients = new Map<string, grpc.Client>();
  const client = (name: ServiceName): grpc.Client => {
    let c = clients.get(name);
    if (!c) {
      const Ctor = protos.client(name);
      c = new Ctor(address, grpc.credentials.createInsecure());
      clients.set(name, c);
    }
    return c;
  };
  t.teardown(() => {
    for (const c of clients.values()) c.close();
  });
  const meta = async (role: Role, subject: string): Promise<grpc.Metadata> => {
    const m = new grpc.Metadata();
    m.set("authorization", `Bearer ${await mintToken(secret, { subject, role, ttlS: 600 })}`);
    return m;
  };
  // One principal per concern, so that no test spends another's rate-limit bucket.
  const trader = await meta("trader", "tess-trader");
  const viewer = await meta("viewer", "vic-viewer");
  const operator = await meta("operator", "olga-operator");
  const admin = await meta("admin", "ada-admin");
  const trading = client("Trading");
  const market = client("MarketData");
  const portfolio = client("Portfolio");
  const risk = client("Risk");
  const adminApi = client("Admin");

  // The venue must have logged on before an order can fill.
  await eventually("the venue connection logged on", () => venueReady(nc, "SIMX"), { ...POLL, timeoutMs: 30_000 });

  await t.test("MarketData: StreamQuotes delivers demo quotes, GetBook the book, GetBars recorded bars", async (t) => {
    const stream = openStream<Msg>(market, "StreamQuotes", { instruments: [MINE] }, viewer);
    stream.on("error", () => {});
    const quote = await new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no quote of ${MINE} within 20 s`)), 20_000);
      stream.on("data", (q: Msg) => {
        clearTimeout(timer);
        resolve(q);
      });
    });
    stream.cancel();
    t.equal(quote.instrument, MINE);
    t.ok(
      parseFixed(String(quote.bid)) > 0 && parseFixed(String(quote.ask)) > parseFixed(String(quote.bid)),
      `a two-sided quote (${quote.bid} / ${quote.ask})`,
    );

    const book = await eventually(
      "a book with both sides",
      async () => {
        const b = await call<{ bids: Msg[]; asks: Msg[]; seq: number }>(market, "GetBook", { instrument: MINE, depth: 3 }, viewer);
        return b.bids.length > 0 && b.asks.length > 0 ? b : undefined;
      },
      POLL,
    );
    t.ok(book.bids.length <= 3 && book.asks.length <= 3, "at most `depth` levels per side");
    t.ok(parseFixed(String(book.bids[0]!.price)) < parseFixed(String(book.asks[0]!.price)), "best bid below best ask");

    const bars = await eventually(
      "1s bars of the demo in QuestDB",
      async () => {
        const r = await call<{ bars: Msg[] }>(
          market,
          "GetBars",
          { instrument: MINE, barType: "1s", fromUs: 0, toUs: 0, limit: 10 },
          viewer,
        );
        return r.bars.length > 0 ? r.bars : undefined;
      },
      { ...POLL, timeoutMs: 30_000 },
    );
    t.equal(bars[0]!.instrument, MINE);
    t.ok(Number(bars[0]!.tsEventUs) > Number(bars[0]!.tsOpenUs), "a bar closes after it opens");
  });

  let filledId = "";
  await t.test(
    "Trading: a submitted order is live, fills, is reported, listed, and answered from history once its actor retired",
    async (t) => {
      const reports: Msg[] = [];
      const stream = openStream<Msg>(trading, "StreamExecutionReports", { book: BOOK, strategy: "grpc-test" }, viewer);
      stream.on("data", (r: Msg) => reports.push(r));
      stream.on("error", () => {});
      t.teardown(() => stream.cancel());
      const touch = await call<{ bids: Msg[]; asks: Msg[] }>(market, "GetBook", { instrument: MINE, depth: 1 }, viewer);
      const bid = parseFixed(String(touch.bids[0]!.price));
      const ask = parseFixed(String(touch.asks[0]!.price));
      const order = {
        instrument: MINE,
        side: "SIDE_BUY",
        orderType: "ORDER_TYPE_LIMIT",
        quantity: "2",
        timeInForce: "TIME_IN_FORCE_GTC",
        strategy: "grpc-test",
        book: BOOK,
      };

      // A resting order far below the market: live while it works, then canceled.
      const resting = `grpc.rest.${Date.now()}`;
      await call(
        trading,
        "SubmitOrder",
        { ...order, clientOrderId: resting, price: String(Math.max(1, Math.floor((bid * 0.5) / 1e8))) },
        trader,
      );
      const live = await eventually(
        "the resting order acknowledged by the venue",
        async () => {
          const o = await call<Msg>(trading, "GetOrder", { clientOrderId: resting }, viewer);
          return o.status === "NEW" ? o : undefined;
        },
        POLL,
      );
      t.equal(live.book, BOOK);
      t.equal(live.quantity, "2");
      t.equal(live.cumQty, "0");
      await call(trading, "CancelOrder", { clientOrderId: resting }, trader);
      await eventually(
        "the cancel",
        async () => (await call<Msg>(trading, "GetOrder", { clientOrderId: resting }, viewer)).status === "CANCELED",
        POLL,
      );

      // A marketable order: fills against the simulated exchange, and its actor retires.
      filledId = `grpc.fill.${Date.now()}`;
      const price = ((ask + fromNumber(1)) / 1e8).toFixed(8);
      const accepted = await call<Msg>(
        trading,
        "SubmitOrder",
        { ...order, clientOrderId: filledId, price, timeInForce: "TIME_IN_FORCE_IOC" },
        trader,
      );
      t.equal(accepted.accepted, true);
      const filled = await eventually(
        "the order filled",
        async () => {
          const o = await call<Msg>(trading, "GetOrder", { clientOrderId: filledId }, viewer);
          return o.status === "FILLED" ? o : undefined;
        },
        POLL,
      );
      t.equal(filled.cumQty, "2");
      t.equal(filled.leavesQty, "0");
      const report = await eventually(
        "the fill's execution report",
        async () => reports.find((r) => r.clientOrderId === filledId && r.event === "OrderFilled"),
        POLL,
      );
      t.equal(report.book, BOOK);
      t.ok(parseFixed(String(report.lastPx)) > 0, "the report carries the fill price");

      // The closed order's actor retires; QuestDB's order history holds its last state and GetOrder answers from it.
      const recorded = await eventually(
        "the recorder's FILLED row of the order",
        async () => {
          const rows = rowsOf(
            await questdbSql(
              infra.questdbUrl!,
              `SELECT status FROM orders WHERE order_id = ${sqlLiteral(filledId)} ORDER BY seq DESC LIMIT 1`,
            ),
          );
          return rows[0]?.status === "FILLED" ? rows[0] : undefined;
        },
        POLL,
      );
      t.equal(recorded.status, "FILLED");
      await eventually(
        "the filled order's actor to retire",
        async () => {
          const s = await call<Msg>(adminApi, "GetActorStatus", { kind: "order", id: filledId }, operator).catch((e: grpc.ServiceError) =>
            e.code === grpc.status.NOT_FOUND ? undefined : Promise.reject(e),
          );
          return s === undefined;
        },
        POLL,
      );
      const fromHistory = await call<Msg>(trading, "GetOrder", { clientOrderId: filledId }, viewer);
      t.equal(fromHistory.status, "FILLED", "a retired order is answered from history");
      t.equal(fromHistory.cumQty, "2");
      t.equal(fromHistory.instrument, MINE);

      const unknown = await failure(call(trading, "GetOrder", { clientOrderId: "grpc.never.submitted" }, viewer));
      t.equal(unknown.code, grpc.status.NOT_FOUND);
      t.match(unknown.details, /grpc\.never\.submitted/, "NOT_FOUND names the id");

      const listed = await call<{ orders: Msg[] }>(trading, "ListOrders", { book: BOOK, strategy: "grpc-test", limit: 10 }, viewer);
      t.same(
        listed.orders.map((o) => [o.clientOrderId, o.status]),
        [
          [filledId, "FILLED"],
          [resting, "CANCELED"],
        ],
        "ListOrders shows both orders, newest first",
      );
    },
  );

  await t.test("Portfolio: positions hold the fill, P&L and an equity curve with points", async (t) => {
    const positions = await eventually(
      "the position of the fill",
      async () => {
        const p = await call<{ positions: Msg[] }>(portfolio, "GetPositions", { book: BOOK }, viewer);
        return p.positions.find((x) => x.instrument === MINE && parseFixed(String(x.quantity)) >= fromNumber(2));
      },
      POLL,
    );
    t.ok(positions, `position ${positions.quantity} of ${MINE}`);
    const pnl = await call<Msg>(portfolio, "GetPnl", { book: BOOK }, viewer);
    t.equal(pnl.book, BOOK);
    t.not(pnl.equity, "", "equity is reported");
    const curve = await eventually(
      "a point of the equity curve",
      async () => {
        const c = await call<{ points: Msg[] }>(portfolio, "GetEquityCurve", { book: BOOK, fromUs: 0, toUs: 0, limit: 100 }, viewer);
        return c.points.length > 0 ? c.points : undefined;
      },
      POLL,
    );
    t.ok(Number(curve[0]!.tsUs) > 0 && curve[0]!.equity !== "", "a point has a time and an equity");
  });

  await t.test("Risk: limits read and set, the risk report, and the kill switch refuses orders until released", async (t) => {
    const before = await call<Msg>(risk, "GetLimits", { book: BOOK }, viewer);
    t.equal(before.maxOrderQuantity, "100", "the demo book's limit");
    const changed = await call<Msg>(
      risk,
      "SetLimits",
      { book: BOOK, limits: { ...before, maxOrderQuantity: "50" }, reason: "grpc test" },
      admin,
    );
    t.equal(changed.maxOrderQuantity, "50", "SetLimits answers with the limits in force");
    t.equal((await call<Msg>(risk, "GetLimits", { book: BOOK }, viewer)).maxOrderQuantity, "50", "GetLimits sees the change");
    const notAdmin = await failure(call(risk, "SetLimits", { book: BOOK, limits: before, reason: "x" }, operator));
    t.equal(notAdmin.code, grpc.status.PERMISSION_DENIED);
    await call(risk, "SetLimits", { book: BOOK, limits: before, reason: "grpc test: restore" }, admin);

    const report = await call<Msg>(risk, "GetRiskReport", { book: BOOK }, viewer);
    t.equal(report.book, BOOK);
    t.ok(
      (report.positions as Msg[]).some((p) => p.instrument === MINE),
      "the report lists the position",
    );

    await call(risk, "EngageKillSwitch", { book: BOOK, scope: "KILL_SWITCH_SCOPE_BOOK", reason: "grpc test halt" }, operator);
    const refused = await failure(
      call(
        trading,
        "SubmitOrder",
        {
          clientOrderId: `grpc.killed.${Date.now()}`,
          instrument: MINE,
          side: "SIDE_SELL",
          orderType: "ORDER_TYPE_LIMIT",
          quantity: "1",
          price: "1000000",
          timeInForce: "TIME_IN_FORCE_GTC",
          strategy: "grpc-test",
          book: BOOK,
        },
        trader,
      ),
    );
    t.equal(refused.code, grpc.status.FAILED_PRECONDITION);
    t.match(refused.details, /KILL_SWITCH/i, `the refusal names the kill switch: ${refused.details}`);
    const halted = await call<Msg>(risk, "GetRiskReport", { book: BOOK }, viewer);
    t.equal((halted.bookKillSwitch as Msg).engaged, true);
    t.equal((halted.bookKillSwitch as Msg).reason, "grpc test halt");
    await call(risk, "ReleaseKillSwitch", { book: BOOK, scope: "KILL_SWITCH_SCOPE_BOOK", reason: "grpc test done" }, operator);
    t.equal(((await call<Msg>(risk, "GetRiskReport", { book: BOOK }, viewer)).bookKillSwitch as Msg).engaged, false, "released");
  });

  await t.test("Admin: the tree, an actor's status, restart, quarantine and release", async (t) => {
    const tree = await call<Msg>(adminApi, "GetTree", {}, viewer);
    const keys: string[] = [];
    const walk = (n: Msg) => {
      keys.push(String(n.key));
      for (const c of (n.children as Msg[]) ?? []) walk(c);
    };
    walk(tree);
    t.equal(tree.kind, "node");
    t.ok(keys.includes(`instrument/${SPARE}`) && keys.includes("risk-book/demo"), "the tree holds the instruments and the book");

    const status = await call<Msg>(adminApi, "GetActorStatus", { kind: "instrument", id: SPARE }, viewer);
    t.equal(status.status, "running");
    await eventually(
      "the instrument processing its feed",
      async () => Number((await call<Msg>(adminApi, "GetActorStatus", { kind: "instrument", id: SPARE }, viewer)).processed) > 10,
      POLL,
    );
    const before = Number((await call<Msg>(adminApi, "GetActorStatus", { kind: "instrument", id: SPARE }, viewer)).processed);
    const restarted = await call<Msg>(adminApi, "RestartActor", { kind: "instrument", id: SPARE, reason: "grpc test" }, operator);
    t.equal(restarted.key, `instrument/${SPARE}`);
    t.equal(restarted.status, "running", "the restarted actor runs");
    // An operator restart starts a new incarnation: its counters start again (the runtime keeps no restart count for it).
    t.ok(Number(restarted.processed) < before, `a new incarnation (processed ${restarted.processed} < ${before})`);

    const viewerRestart = await failure(call(adminApi, "RestartActor", { kind: "instrument", id: SPARE, reason: "x" }, viewer));
    t.equal(viewerRestart.code, grpc.status.PERMISSION_DENIED);

    const quarantined = await call<Msg>(adminApi, "QuarantineActor", { kind: "instrument", id: SPARE, reason: "grpc test" }, operator);
    t.equal(quarantined.status, "quarantined");
    await call(adminApi, "ReleaseActor", { kind: "instrument", id: SPARE, reason: "grpc test" }, operator);
    await eventually(
      "the released actor running again",
      async () => (await call<Msg>(adminApi, "GetActorStatus", { kind: "instrument", id: SPARE }, viewer)).status === "running",
      POLL,
    );
  });

  await t.test("auth: no token and a bad token are UNAUTHENTICATED, a viewer submitting is PERMISSION_DENIED", async (t) => {
    const order = {
      clientOrderId: "grpc.auth.1",
      instrument: MINE,
      side: "SIDE_BUY",
      orderType: "ORDER_TYPE_LIMIT",
      quantity: "1",
      price: "1",
      timeInForce: "TIME_IN_FORCE_GTC",
      strategy: "grpc-test",
      book: BOOK,
    };
    const none = await failure(call(trading, "SubmitOrder", order, new grpc.Metadata()));
    t.equal(none.code, grpc.status.UNAUTHENTICATED);
    const bad = new grpc.Metadata();
    bad.set(
      "authorization",
      `Bearer ${await mintToken("some-other-secret-of-at-least-32-bytes", { subject: "mallory", role: "admin", ttlS: 60 })}`,
    );
    const forged = await failure(call(trading, "SubmitOrder", order, bad));
    t.equal(forged.code, grpc.status.UNAUTHENTICATED);
    const denied = await failure(call(trading, "SubmitOrder", order, viewer));
    t.equal(denied.code, grpc.status.PERMISSION_DENIED);
    t.match(denied.details, /trader/, "the refusal names the role needed");
  });

  await t.test("validation: a bad field is INVALID_ARGUMENT naming the field, and changes nothing", async (t) => {
    const e = await failure(
      call(
        trading,
        "SubmitOrder",
        {
          clientOrderId: "grpc.invalid.1",
          instrument: MINE,
          side: "SIDE_BUY",
          orderType: "ORDER_TYPE_LIMIT",
          quantity: "-3",
          price: "1",
          timeInForce: "TIME_IN_FORCE_GTC",
          strategy: "grpc-test",
          book: BOOK,
        },
        trader,
      ),
    );
    t.equal(e.code, grpc.status.INVALID_ARGUMENT);
    t.match(e.details, /quantity/);
    const depth = await failure(call(market, "GetBook", { instrument: "not an id", depth: 5 }, viewer));
    t.equal(depth.code, grpc.status.INVALID_ARGUMENT);
    t.match(depth.details, /instrument/);
    const unknownOrder = await failure(call(trading, "GetOrder", { clientOrderId: "grpc.invalid.1" }, viewer));
    t.equal(unknownOrder.code, grpc.status.NOT_FOUND, "the invalid order was never submitted");
  });

  await t.test("rate limit: a principal past its burst is RESOURCE_EXHAUSTED, another is not", async (t) => {
    const spammer = await meta("viewer", "sam-spammer");
    const results = await Promise.allSettled(
      Array.from({ length: RATE.burst + 20 }, () => call(trading, "ListOrders", { limit: 1 }, spammer)),
    );
    const exhausted = results.filter(
      (r) => r.status === "rejected" && (r.reason as grpc.ServiceError).code === grpc.status.RESOURCE_EXHAUSTED,
    );
    t.ok(exhausted.length >= 1, `${exhausted.length} of ${results.length} calls refused`);
    t.match((exhausted[0] as PromiseRejectedResult).reason.details, /sam-spammer/, "the refusal names the principal");
    await call(trading, "ListOrders", { limit: 1 }, viewer);
  });
});
