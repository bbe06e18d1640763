import t from "tap";
import { fromNumber } from "../actors/domain/index.ts";
import { subjects } from "../actors/contract/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { eventually, startTestServers } from "./testing.ts";
import { admin, command, startNodeProcess } from "../supervisors/node/testing.ts";

type Ev = { type: string; [k: string]: unknown };

/** Collects decoded messages of a subject. */
function collect(nc: Parameters<typeof command>[0], subject: string, t: { teardown(fn: () => void): void }): Ev[] {
  const out: Ev[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      out.push(decodeMessage(m.data, m.headers, false).message as Ev);
    },
  });
  t.teardown(() => sub.unsubscribe());
  return out;
}

const INSTRUMENT = "SIM004.SIMX"; // listed and in the book, traded by no demo strategy

t.test(
  "the trading loop in a node process: a SubmitOrder to the risk book is filled by the simulated exchange, the book holds the fill, and strategies trade",
  async (t) => {
    const f = await startTestServers(t);
    const node = startNodeProcess(t, "node-a", { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "4", AM_CELLS: "2" });
    await node.waitFor(/node up/, 60_000);
    const status = async (kind: string, id: string) =>
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.result as
        | { state?: unknown }
        | undefined;
    await eventually("the venue connection logged on and reconciled", async () => (await status("venue", "SIMX"))?.state === "ready", {
      timeoutMs: 30_000,
    });

    const quotes = collect(f.nc, subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), t);
    const ask = await eventually("a quote of SIM004", () => quotes.at(-1)?.ask as number | undefined, { timeoutMs: 20_000 });
    const id = "test.order.1";
    const events = collect(f.nc, subjects.evtOf("order", id), t);
    const now = Date.now() * 1000;
    const approved = await command(
      f.nc,
      "risk-book",
      "demo",
      {
        type: "SubmitOrder",
        clientOrderId: id,
        instrument: INSTRUMENT,
        side: "BUY",
        orderType: "LIMIT",
        // marketable: well through the ask (the market moves while the order travels); it takes the background's offer
        price: ask + fromNumber(1),
        quantity: fromNumber(3),
        timeInForce: "IOC",
        postOnly: false,
        reduceOnly: false,
        strategy: "tester",
        book: "demo",
        tsEvent: now,
        tsInit: now,
      },
      5_000,
    );
    t.equal(approved.ok, true, `the risk book approved the order (${JSON.stringify(approved.error ?? "")})`);
    const fills = await eventually(
      "OrderFilled on am.evt.order.<id>",
      () => {
        const f = events.filter((e) => e.type === "OrderFilled");
        const filled = f.reduce((s, e) => s + (e.lastQty as number), 0);
        return filled === fromNumber(3) ? f : undefined;
      },
      { timeoutMs: 20_000 },
    );
    t.ok(
      events.some((e) => e.type === "OrderAccepted"),
      "the venue acknowledged the order",
    );
    t.ok(
      fills.every((e) => (e.lastPx as number) <= ask + fromNumber(1)),
      "filled within the limit",
    );

    const position = await eventually(
      "the book's position to equal the fill",
      async () => {
        const r = await command(f.nc, "risk-book", "demo", { type: "GetRiskReport", tsEvent: now, tsInit: now });
        const p = (r.result as { positions: { instrument: string; quantity: number }[] }).positions.find(
          (x) => x.instrument === INSTRUMENT,
        );
        return p?.quantity === fromNumber(3) ? p : undefined;
      },
      { timeoutMs: 10_000 },
    );
    t.equal(position.quantity, fromNumber(3), "the risk book's position equals the fill");

    const strategyOrders = collect(f.nc, subjects.evtAll("order"), t);
    const flowed = await eventually(
      "an order of a demo strategy accepted by the venue",
      () => strategyOrders.find((e) => e.type === "OrderAccepted" && /^(mm-1|meanrev-1|trend-1)\./.test(String(e.clientOrderId))),
      { timeoutMs: 60_000 },
    );
    t.ok(flowed, `strategy order ${flowed.clientOrderId} flowed through the risk book and the venue`);
  },
);

t.test(
  "a node killed with open orders and started again: the restarted venue still holds them and cancels them on request, each fill counts once and the book's position equals the venue's fills",
  async (t) => {
    const f = await startTestServers(t);
    const env = { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "4", AM_CELLS: "2" };
    const first = startNodeProcess(t, "node-k", env);
    await first.waitFor(/node up/, 60_000);
    const status = async (kind: string, id: string) =>
      (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.result as
        | { state?: unknown }
        | undefined;
    await eventually("the venue connection ready", async () => (await status("venue", "SIMX"))?.state === "ready", { timeoutMs: 30_000 });
    const quotes = collect(f.nc, subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), t);
    const bookFills = collect(f.nc, subjects.evt("risk-book", "demo", "FillApplied"), t);
    const orderEvents = collect(f.nc, subjects.evtAll("order"), t);
    // the exchange's reports to the venue connection (commands without a reply subject cross nats-server; its
    // forwards to the orders may be handed over inside a cell)
    const venueReports = collect(f.nc, subjects.cmd("venue", "SIMX"), t);
    const q = await eventually("a quote of SIM004", () => quotes.at(-1) as { bid: number; ask: number } | undefined, { timeoutMs: 20_000 });
    const submit = async (id: string, price: number, quantity: number, timeInForce: string) => {
      const now = Date.now() * 1000;
      const r = await command(f.nc, "risk-book", "demo", {
        type: "SubmitOrder",
        clientOrderId: id,
        instrument: INSTRUMENT,
        side: "BUY",
        orderType: "LIMIT",
        price,
        quantity,
        timeInForce,
        postOnly: false,
        reduceOnly: false,
        strategy: "tester",
        book: "demo",
        tsEvent: now,
        tsInit: now,
      });
      t.equal(r.ok, true, `${id} approved`);
    };
    await submit("kill.filled", q.ask + fromNumber(1), fromNumber(3), "IOC");
    await submit("kill.open.1", q.bid - fromNumber(5), fromNumber(2), "GTC");
    await submit("kill.open.2", q.bid - fromNumber(6), fromNumber(2), "GTC");
    const ofType = (type: string, id: string) => orderEvents.filter((e) => e.type === type && e.clientOrderId === id);
    await eventually(
      "the marketable order filled",
      () => ofType("OrderFilled", "kill.filled").reduce((s, e) => s + (e.lastQty as number), 0) === fromNumber(3),
      { timeoutMs: 20_000 },
    );
    await eventually(
      "the resting orders accepted",
      () => ofType("OrderAccepted", "kill.open.1").length > 0 && ofType("OrderAccepted", "kill.open.2").length > 0,
      { timeoutMs: 20_000 },
    );
    const report = async () =>
      (await command(f.nc, "risk-book", "demo", { type: "GetRiskReport", tsEvent: 1, tsInit: 1 }, 2_000)).result as {
        positions: { instrument: string; quantity: number }[];
        pending: { clientOrderId: string }[];
      };
    const position = (r: Awaited<ReturnType<typeof report>>) => r.positions.find((p) => p.instrument === INSTRUMENT)?.quantity ?? 0;
    await eventually("the book holds the fill before the kill", async () => position(await report()) === fromNumber(3), {
      timeoutMs: 10_000,
    });
    // the venue connection's snapshot (every 500 ms) holds the open orders
    await new Promise((r) => setTimeout(r, 1_000));

    first.proc.kill("SIGKILL");
    await first.exited;
    const second = startNodeProcess(t, "node-k", env);
    await second.waitFor(/node up/, 60_000);
    await eventually("the venue connection ready again", async () => (await status("venue", "SIMX"))?.state === "ready", {
      timeoutMs: 30_000,
    });
    for (const id of ["kill.open.1", "kill.open.2"]) {
      const o = await eventually(
        `${id} answered`,
        async () =>
          (await command(f.nc, "order", id, { type: "GetOrder", clientOrderId: id, tsEvent: 1, tsInit: 1 }, 2_000).catch(() => undefined))
            ?.result as { status: string } | undefined,
        { timeoutMs: 20_000 },
      );
      t.equal(o.status, "NEW", `${id} still open at the restarted venue`);
      const now = Date.now() * 1000;
      await command(f.nc, "order", id, { type: "CancelOrder", clientOrderId: id, tsEvent: now, tsInit: now });
      await eventually(`${id} canceled by the restarted venue`, () => ofType("OrderCanceled", id).length > 0, { timeoutMs: 30_000 });
    }
    const after = await eventually(
      "the book released the canceled orders",
      async () => {
        const r = await report();
        return r.pending.some((p) => p.clientOrderId.startsWith("kill.")) ? undefined : r;
      },
      { timeoutMs: 10_000 },
    );

    // each execution once: a restarted exchange may report one again
    const venueFills = new Map(
      venueReports
        .filter(
          (r) => r.type === "ExecutionReport" && r.instrument === INSTRUMENT && (r.execType === "FILL" || r.execType === "PARTIAL_FILL"),
        )
        .map((r) => [String(r.execId), r.lastQty as number]),
    );
    const venueFilled = [...venueFills.values()].reduce((s, q) => s + q, 0);
    t.equal(position(after), venueFilled, "the book's position equals what the venue filled");
    t.equal(position(after), fromNumber(3));
    const execIds = ofType("OrderFilled", "kill.filled").map((e) => String(e.execId));
    t.equal(new Set(execIds).size, execIds.length, "each fill journaled once by its order");
    const applied = bookFills.filter((e) => execIds.includes(String(e.fillId)));
    t.equal(applied.length, execIds.length, "each fill applied once by the book");
    t.equal(ofType("OrderCanceled", "kill.open.1").length, 1, "one cancel per open order");
  },
);
