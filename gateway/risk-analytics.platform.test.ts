import * as grpc from "@grpc/grpc-js";
import t from "tap";
import { Reply, SimulatedClock, subjects } from "../actors/contract/index.ts";
import { priceOf, quantityOf, SCALE } from "../actors/domain/index.ts";
import { analytics, type BookConfig, defaultBookConfig, riskBookKind, riskCovariance, weakPrior } from "../actors/risk-book/index.ts";
import { portfolioRebalancer, strategyKind } from "../actors/strategy/index.ts";
import { decodeAs, decodeMessage, encodeMessage } from "../infra/nats/codec.ts";
import { SnapshotStore } from "../infra/nats/snapshot-store.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorTree } from "../supervisors/runtime/actor-tree.ts";
import { eventually } from "../test/testing.ts";
import { Role } from "./auth.ts";
import { call, startHarness } from "./testing.ts";

const CALM = "CALM.XNAS";
const WILD = "WILD.XNAS";
const BOOK = "alpha";
const ROUNDS = 15;

const book: BookConfig = defaultBookConfig(BOOK, {
  instruments: [
    { instrument: CALM, multiplier: SCALE, sector: "TECH", assetClass: "EQUITY" },
    { instrument: WILD, multiplier: SCALE, sector: "ENERGY", assetClass: "EQUITY" },
  ],
  initialCash: 100_000_000_000_000n as BookConfig["initialCash"],
  limits: { maxDailyLoss: { hard: 5_000_000_000_000n } },
});

const calm = Array.from({ length: ROUNDS + 1 }, (_, k) => Math.round(100 * (1 + 0.01 * Math.sin(k * 1.7)) * 100) / 100);
const wild = Array.from({ length: ROUNDS + 1 }, (_, k) => Math.round(50 * (1 + 0.02 * Math.cos(k * 2.3)) * 100) / 100);

t.test("risk analytics and operator approval against a running risk book, strategy and gateway", async (t) => {
  const h = await startHarness(t);
  const store = await SnapshotStore.open(h.nc);
  const clock = new SimulatedClock(Date.now() * 1000);
  const rebalancer = {
    definition: portfolioRebalancer as never,
    config: {
      strategyId: "reb",
      book: BOOK,
      instruments: [CALM, WILD].map((id) => ({ id, tickSize: priceOf(0.01), lotSize: quantityOf(1) })),
      channels: ["bar" as const],
      parameters: { lookbackBars: 10, rebalanceEveryBars: 12, capital: 100_000, approval: "operator", proposalTtlMs: 600_000 },
    },
    autoStart: false,
  };
  const tree = new ActorTree(
    [
      riskBookKind({
        books: new Map([[BOOK, book]]),
        marked: [CALM, WILD],
        analytics: { ...analyticsDefaults(), everyMs: 1_000 },
        var: { confidence: 0.99, window: 500, sampleUs: 1 },
      }),
      strategyKind({ definitionOf: (id) => (id === "reb" ? rebalancer : undefined), known: () => ["reb"] }),
    ],
    { nc: h.nc, store, clock, log: createLogger({ level: "error" }), onLifecycle: () => {} },
  );
  await tree.start();
  t.teardown(() => tree.stop());
  await tree.spawn("risk-book", BOOK);
  await tree.spawn("strategy", "reb");

  const request = async (subject: string, message: { type: string; [k: string]: unknown }) => {
    const now = clock.nowUs();
    const { data, headers } = encodeMessage({ tsEvent: now, tsInit: now, ...message });
    const r = await h.nc.request(subject, data, { headers, timeout: 10_000 });
    return decodeAs(Reply, r.data, r.headers);
  };
  const toBook = (message: { type: string; [k: string]: unknown }) => request(subjects.cmd("risk-book", BOOK), message);
  let fills = 0;
  const fill = (instrument: string, side: "BUY" | "SELL", quantity: number, price: number) =>
    toBook({ type: "ApplyFill", fillId: `f${++fills}`, instrument, side, quantity: quantityOf(quantity), price: priceOf(price) });
  /** a quote at mid `price`, then a query behind it in the book's mailbox, so it is marked before the clock moves */
  const quote = async (instrument: string, price: number) => {
    clock.advance(1_000_000);
    const now = clock.nowUs();
    const [symbol, venue] = instrument.split(".") as [string, string];
    const q = {
      type: "Quote",
      instrument,
      bid: priceOf(price - 0.01),
      ask: priceOf(price + 0.01),
      bidSize: quantityOf(1),
      askSize: quantityOf(1),
      seq: 1,
    };
    const { data, headers } = encodeMessage({ ...q, tsEvent: now, tsInit: now });
    h.nc.publish(subjects.md("quote", { venue, symbol }), data, { headers });
    await toBook({ type: "GetRiskLimits" });
  };

  t.match(await fill(CALM, "BUY", 300, 100), { ok: true });
  t.match(await fill(WILD, "SELL", 200, 50), { ok: true });
  const reports: Record<string, unknown>[] = [];
  h.nc.subscribe(subjects.report("risk-book", BOOK, "RiskAnalytics"), {
    callback: (_e, m) => {
      reports.push(decodeMessage(m.data, m.headers, false).message as Record<string, unknown>);
    },
  });
  for (let k = 0; k <= ROUNDS; k++) {
    await quote(CALM, calm[k]!);
    await quote(WILD, wild[k]!);
  }

  await t.test("the on-demand query answers the pure functions' figures on the book's positions and window", async (t) => {
    const r = await toBook({ type: "GetRiskAnalytics", confidence: 0.95, paths: 2_000, seed: 3 });
    t.equal(r.ok, true);
    const a = (r as { result: unknown }).result as {
      positions: { instrument: string; exposure: number }[];
      valueAtRisk: { samples: number; estimates: { method: string; valueAtRisk: number; expectedShortfall: number; note?: string }[] };
    };
    t.same(
      a.positions.map((p) => [p.instrument, p.exposure]),
      [
        [CALM, 300 * calm[ROUNDS]!],
        [WILD, -200 * wild[ROUNDS]!],
      ],
    );
    // the window's samples: the first WILD mark (CALM unchanged), then each quote moves its own instrument only
    const px = (p: number) => priceOf(p) as number;
    const returns: number[][] = [[0, 0]];
    for (let k = 1; k <= ROUNDS; k++) {
      returns.push([px(calm[k]!) / px(calm[k - 1]!) - 1, 0]);
      returns.push([0, px(wild[k]!) / px(wild[k - 1]!) - 1]);
    }
    t.equal(a.valueAtRisk.samples, returns.length);
    const exposures = a.positions.map((p) => p.exposure);
    const pnl = analytics.scenarioPnl(returns, exposures);
    const want = [
      analytics.historicalRisk(pnl, 0.95),
      analytics.parametricNormalRisk(pnl, 0.95),
      analytics.parametricStudentTRisk(pnl, 0.95),
      analytics.monteCarloRisk({ exposures, covariance: riskCovariance(returns, 2), paths: 2_000, seed: 3, confidence: 0.95 }),
      analytics.bayesianRisk(weakPrior(pnl), pnl, 0.95),
    ];
    for (const w of want) {
      const got = a.valueAtRisk.estimates.find((e) => e.method === w.method && e.note === undefined)!;
      t.ok(
        Math.abs(got.valueAtRisk - w.valueAtRisk) < 1e-9 * Math.abs(w.valueAtRisk),
        `${w.method} VaR ${got.valueAtRisk} = ${w.valueAtRisk}`,
      );
      t.ok(Math.abs(got.expectedShortfall - w.expectedShortfall) < 1e-9 * Math.abs(w.expectedShortfall), `${w.method} ES`);
    }
  });

  await t.test("the schedule publishes the report on the book's report subject", async (t) => {
    // the schedule runs on the book's clock: move it on while the ticks come
    await eventually(
      "a scheduled report",
      () => {
        clock.advance(250_000);
        return reports.length > 0;
      },
      { timeoutMs: 15_000, everyMs: 100 },
    );
    t.match(reports[0], { type: "RiskAnalyticsReport", book: BOOK, valueAtRisk: { available: true, confidence: 0.99 } });
  });

  const viewer = h.meta(await h.token(Role.Viewer));
  const operator = h.meta(await h.token(Role.Operator, "olivia"));
  const risk = h.client("Risk");
  const portfolio = h.client("Portfolio");

  await t.test("gRPC answers the analytics and the performance attribution", async (t) => {
    const a = await call<Record<string, Record<string, unknown>>>(
      risk,
      "GetRiskAnalytics",
      { book: BOOK, confidence: 0.99, scenarios: [] },
      viewer,
      10_000,
    );
    t.equal(a.valueAtRisk!.available, true);
    t.equal((a.valueAtRisk!.estimates as unknown[]).length, 6);
    t.equal((a.stress!.scenarios as unknown[]).length, 4, "every historical scenario");
    t.ok((a.stress!.reverse as unknown[]).length > 0, "reverse stress against the daily loss limit");
    t.match(a.backtest, { available: true, trafficLight: /GREEN|YELLOW|RED/ });
    t.match(a.counterparty, { available: true, counterparties: [{ counterparty: "XNAS" }] });
    const xnas = (a.counterparty!.counterparties as Record<string, unknown>[])[0]!;
    t.match(
      xnas,
      {
        hazardRate: 0.02 / 0.6,
        recoveryRate: 0.4,
        collateral: { threshold: 10_000, minimumTransfer: 1_000, independentAmount: 0, marginPeriodDays: 10 },
      },
      "the venue's own credit and CSA",
    );
    const p = await call(portfolio, "GetPerformanceAttribution", { book: BOOK }, viewer, 10_000);
    t.match(p, { book: BOOK, pnlByInstrument: { [CALM]: Number, [WILD]: Number } });
  });

  await t.test("bad input gets a clear error naming the field and changes nothing", async (t) => {
    const before = await toBook({ type: "GetRiskReport" });
    const refused = async (req: Record<string, unknown>, code: grpc.status, message: RegExp) => {
      const e = await call(risk, "GetRiskAnalytics", req, viewer, 10_000).then(
        () => undefined,
        (x: grpc.ServiceError) => x,
      );
      t.equal(e?.code, code, String(e?.details));
      t.match(e?.details, message);
    };
    await refused({ book: BOOK, confidence: 1.5 }, grpc.status.INVALID_ARGUMENT, /confidence/);
    await refused({ book: BOOK, scenarios: ["1929-crash"] }, grpc.status.INVALID_ARGUMENT, /scenarios\.0: unknown scenario 1929-crash/);
    await refused(
      { book: BOOK, hypothetical: [{ name: "gold", factorShocks: { GOLD: -0.2 } }] },
      grpc.status.INVALID_ARGUMENT,
      /hypothetical\.0.*GOLD/,
    );
    await refused({ book: "nobody" }, grpc.status.UNAVAILABLE, /risk-book\.nobody/);
    const direct = await toBook({ type: "GetRiskAnalytics", confidence: 1.5 });
    t.match(direct, { ok: false, error: { code: "invalid", message: /confidence/ } }, "the book refuses it on NATS too");
    t.same(await toBook({ type: "GetRiskReport" }), before, "the book is as it was");
  });

  await t.test("an approved proposal becomes orders through the risk book; a rejected one none", async (t) => {
    const approvedOrders: string[] = [];
    h.nc.subscribe(subjects.evt("risk-book", BOOK, "OrderApproved"), {
      callback: (_e, m) => {
        approvedOrders.push(
          String((decodeMessage(m.data, m.headers, false).message as unknown as { clientOrderId: string }).clientOrderId),
        );
      },
    });
    const decisions: Record<string, unknown>[] = [];
    h.nc.subscribe(subjects.evtOf("strategy", "reb"), {
      callback: (_e, m) => {
        decisions.push(decodeMessage(m.data, m.headers, false).message as Record<string, unknown>);
      },
    });
    t.match(await request(subjects.cmd("strategy", "reb"), { type: "StartStrategy" }), { ok: true });
    let bar = 0;
    const bars = async (n: number) => {
      for (let i = 0; i < n; i++, bar++) {
        for (const [instrument, close] of [
          [CALM, 100 * (1 + 0.004 * Math.sin(bar * 1.3))],
          [WILD, 50 * (1 + 0.01 * Math.cos(bar * 0.7))],
        ] as const) {
          clock.advance(1_000);
          const now = clock.nowUs();
          const [symbol, venue] = instrument.split(".") as [string, string];
          const c = priceOf(Math.round(close * 100) / 100);
          const b = { type: "Bar", instrument, barType: "1m", tsOpen: now - 60_000_000, open: c, high: c, low: c, close: c };
          const { data, headers } = encodeMessage({ ...b, volume: quantityOf(1), vwap: c, trades: 1, tsEvent: now, tsInit: now });
          h.nc.publish(subjects.md("bar", { venue, symbol }), data, { headers });
        }
      }
      await request(subjects.cmd("strategy", "reb"), { type: "GetProposals" });
    };
    const pending = async () => {
      const r = await call<{ proposals: { proposalId: string; trades: unknown[]; objective: Record<string, number> }[] }>(
        portfolio,
        "ListProposals",
        { strategy: "reb" },
        viewer,
      );
      return r.proposals;
    };
    await bars(12);
    await eventually("a proposal", async () => (await pending()).length === 1, { timeoutMs: 10_000 });
    const [first] = await pending();
    t.equal(first!.trades.length, 2);
    t.ok(first!.objective.volatility! > 0);
    t.same(approvedOrders, [], "nothing reached the book before approval");
    // a restart (stop, then a new incarnation from the snapshot) keeps the pending proposal
    await tree.stopActor("strategy", "reb");
    await tree.spawn("strategy", "reb");
    await eventually("the restored strategy answers", async () => (await pending()).length === 1, { timeoutMs: 10_000 });
    t.equal((await pending())[0]!.proposalId, first!.proposalId, "the same proposal is pending after the restart");
    const approved = await call<{ orders: string[]; status: string }>(
      portfolio,
      "ApproveProposal",
      { strategy: "reb", proposalId: first!.proposalId, reason: "checked" },
      operator,
    );
    t.match(approved, { status: "APPROVED", orders: [String, String] });
    await eventually("the approved trades pass the risk book", () => approvedOrders.length === 2, { timeoutMs: 10_000 });
    t.same([...approvedOrders].sort(), [...approved.orders].sort());
    await eventually("the approval is recorded with the operator", () =>
      decisions.some((d) => d.type === "ProposalApproved" && d.by === "olivia" && d.proposalId === first!.proposalId),
    );

    await bars(12);
    await eventually("a second proposal", async () => (await pending()).some((p) => p.proposalId !== first!.proposalId), {
      timeoutMs: 10_000,
    });
    const [second] = await pending();
    t.match(await call(portfolio, "RejectProposal", { strategy: "reb", proposalId: second!.proposalId }, operator), { status: "REJECTED" });
    await eventually("the rejection is recorded with the operator", () =>
      decisions.some((d) => d.type === "ProposalRejected" && d.by === "olivia"),
    );
    await new Promise((r) => setTimeout(r, 300));
    t.equal(approvedOrders.length, 2, "a rejected proposal sends nothing to the book");
    t.same(await pending(), []);
    const e = await call(portfolio, "ApproveProposal", { strategy: "reb", proposalId: second!.proposalId }, operator).then(
      () => undefined,
      (x: grpc.ServiceError) => x,
    );
    t.equal(e?.code, grpc.status.NOT_FOUND, "a rejected proposal cannot be approved");
    const viewerTry = await call(portfolio, "ApproveProposal", { strategy: "reb", proposalId: "x" }, viewer).then(
      () => undefined,
      (x: grpc.ServiceError) => x,
    );
    t.equal(viewerTry?.code, grpc.status.PERMISSION_DENIED, "approving takes the operator role");
  });
});

function analyticsDefaults() {
  return {
    everyMs: 0,
    minSamples: 20,
    credit: { spread: 0.01, recoveryRate: 0.4, riskFreeRate: 0.03 },
    exposureTimes: [0.25, 0.5, 0.75, 1],
    // XNAS has its own credit and a CSA: the collateralised profile and its CVA come back through gRPC
    counterparties: {
      XNAS: {
        credit: { spread: 0.02 },
        collateral: { threshold: 10_000, minimumTransfer: 1_000, independentAmount: 0, marginPeriodDays: 10 },
      },
    },
  };
}
