import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { formatFixed, fromNumber } from "../actors/domain/index.ts";
import { call } from "../gateway/testing.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { command, startGatewayNode, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * Contingent order lists on the running platform: each leg goes through the demo risk book to the simulated
 * exchange; the list entity releases and cancels legs as their order events come in, and survives a killed node.
 */

type Ev = { type: string; [k: string]: unknown };
const INSTRUMENT = "SIM004.SIMX"; // listed and in the demo book, traded by no demo strategy
const POLL = { timeoutMs: 30_000, everyMs: 200 };

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

t.test("brackets, OCO and OTO lists in a node process, and a list that survives the node's restart", async (t) => {
  const f = await startTestServers(t);
  const env = { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "4", AM_CELLS: "1" };
  // the first node serves the gRPC gateway too (the bracket goes in over gRPC); the restarted one need not
  const platform = await startGatewayNode(t, "node-lists", f, "order-list-test-secret-of-32-bytes!", env);
  let node = platform.node;
  const trading = platform.client("Trading");
  const [trader, viewer] = await Promise.all([platform.as("trader"), platform.as("viewer")]);
  const ready = () => venueReady(f.nc, "SIMX");
  await eventually("the venue connection ready", ready, POLL);
  const quotes = collect(f.nc, subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), t);
  const listEvents = collect(f.nc, subjects.evtAll("order-list"), t);
  const orderEvents = collect(f.nc, subjects.evtAll("order"), t);
  const q = await eventually("a quote of SIM004", () => quotes.at(-1) as { bid: number; ask: number } | undefined, POLL);
  const of = (list: string, type: string) => listEvents.filter((e) => e.listId === list && e.type === type);
  const orderOf = (id: string, type: string) => orderEvents.filter((e) => e.clientOrderId === id && e.type === type);
  const now = () => Date.now() * 1000;
  const leg = (over: Record<string, unknown>) => ({
    instrument: INSTRUMENT,
    side: "BUY",
    orderType: "LIMIT",
    quantity: fromNumber(1),
    timeInForce: "GTC",
    ...over,
  });
  const submit = async (list: string, body: Record<string, unknown>) => {
    const r = await command(f.nc, "order-list", list, {
      type: "SubmitOrderList",
      book: "demo",
      strategy: "list-tester",
      tsEvent: now(),
      tsInit: now(),
      ...body,
    });
    t.equal(r.ok, true, `${list} accepted (${JSON.stringify(r.error ?? "")})`);
  };
  const view = async (list: string) =>
    (await command(f.nc, "order-list", list, { type: "GetOrderList", tsEvent: now(), tsInit: now() }, 2_000)).result as {
      status: string;
      outcome: string | null;
      legs: { sent: boolean; cumQty: number; outcome: string | null }[];
    };
  const position = async () => {
    const r = (await command(f.nc, "risk-book", "demo", { type: "GetRiskReport", tsEvent: 1, tsInit: 1 }, 2_000)).result as {
      positions: { instrument: string; quantity: number }[];
    };
    return r.positions.find((p) => p.instrument === INSTRUMENT)?.quantity ?? 0;
  };
  const cancelByHand = (id: string) =>
    command(f.nc, "risk-book", "demo", { type: "CancelOrder", clientOrderId: id, tsEvent: now(), tsInit: now() });

  // a bracket: the entry fills (through the ask), both exits go out; the take-profit (through the bid) fills and
  // the stop-loss (far below the market) is canceled, so the position is flat again
  const entry = await call<{ listId: string; status: string; legs: { role: string; clientOrderId: string }[] }>(
    trading,
    "SubmitOrderList",
    {
      listId: "br-1",
      contingency: "CONTINGENCY_BRACKET",
      orders: [
        {
          instrument: INSTRUMENT,
          side: "SIDE_BUY",
          orderType: "ORDER_TYPE_LIMIT",
          quantity: "2",
          price: formatFixed(q.ask + fromNumber(1)),
          timeInForce: "TIME_IN_FORCE_GTC",
        },
      ],
      takeProfitPrice: formatFixed(Math.max(fromNumber(1), q.bid - fromNumber(1))),
      stopLossPrice: formatFixed(Math.max(1, q.bid - fromNumber(20))),
      strategy: "list-tester",
      book: "demo",
    },
    trader,
  );
  t.match(entry, {
    listId: "br-1",
    status: "WORKING",
    legs: [{ role: "ENTRY", clientOrderId: "list.br-1.0" }, { role: "TAKE_PROFIT" }, { role: "STOP_LOSS" }],
  });
  const bracketDone = await eventually("the bracket done", () => of("br-1", "OrderListDone")[0], POLL);
  t.equal(bracketDone.outcome, "COMPLETED");
  t.strictSame(
    of("br-1", "OrderListLegSent").map((e) => [e.leg, e.quantity]),
    [
      [0, fromNumber(2)],
      [1, fromNumber(2)],
      [2, fromNumber(2)],
    ],
    "the entry, then both exits at its filled quantity",
  );
  t.ok(orderOf("list.br-1.2", "OrderAccepted").length > 0, "the stop-loss reached the venue");
  t.equal(orderOf("list.br-1.2", "OrderCanceled").length, 1, "the take-profit's fill canceled the stop-loss");
  t.equal(orderOf("list.br-1.2", "OrderFilled").length, 0);
  await eventually("the position flat", async () => ((await position()) === 0 ? true : undefined), POLL);
  t.match(await call(trading, "GetOrderList", { listId: "br-1" }, viewer), {
    status: "DONE",
    outcome: "COMPLETED",
    legs: [
      { outcome: "FILLED", cumQty: "2" },
      { outcome: "FILLED", cumQty: "2" },
      { outcome: "CANCELED", cumQty: "0" },
    ],
  });

  // an OCO: a buy resting below the market and one through it; the fill of the second cancels the first
  await submit("oco-1", { contingency: "OCO", orders: [leg({ price: q.bid - fromNumber(5) }), leg({ price: q.ask + fromNumber(1) })] });
  const ocoDone = await eventually("the OCO done", () => of("oco-1", "OrderListDone")[0], POLL);
  t.equal(ocoDone.outcome, "COMPLETED");
  t.equal(orderOf("list.oco-1.0", "OrderCanceled").length, 1, "the resting member was canceled");
  t.equal(orderOf("list.oco-1.1", "OrderFilled").at(-1)?.leavesQty, 0, "the other filled");

  // an OTO whose primary is canceled: the secondary never reaches the risk book
  await submit("oto-1", {
    contingency: "OTO",
    primary: leg({ price: q.bid - fromNumber(5) }),
    secondaries: [leg({ side: "SELL", price: q.ask + fromNumber(5) })],
  });
  await eventually("the primary rests", () => orderOf("list.oto-1.0", "OrderAccepted")[0], POLL);
  t.match(await cancelByHand("list.oto-1.0"), { ok: true });
  const otoDone = await eventually("the OTO done", () => of("oto-1", "OrderListDone")[0], POLL);
  t.equal(otoDone.outcome, "CANCELED");
  await new Promise((r) => setTimeout(r, 500));
  t.equal(orderEvents.filter((e) => e.clientOrderId === "list.oto-1.1").length, 0, "no order event of the secondary");
  t.match(await view("oto-1"), { status: "done", legs: [{ outcome: "CANCELED" }, { sent: false, outcome: "CANCELED" }] });

  // a list alive across a killed node: two resting OCO members; after the restart the restored list hears one
  // canceled by hand and cancels the other (a member ended unfilled breaks the set)
  await submit("oco-2", { contingency: "OCO", orders: [leg({ price: q.bid - fromNumber(5) }), leg({ price: q.bid - fromNumber(6) })] });
  await eventually(
    "both members rest",
    () => orderOf("list.oco-2.0", "OrderAccepted")[0] && orderOf("list.oco-2.1", "OrderAccepted")[0],
    POLL,
  );
  // the venue connection's snapshot (every 500 ms) holds the open orders
  await new Promise((r) => setTimeout(r, 1_000));
  node.proc.kill("SIGKILL");
  await node.exited;
  node = startNodeProcess(t, "node-lists", env);
  await node.waitFor(/node up/, 60_000);
  await eventually("the venue connection ready again", ready, POLL);
  // nobody asks the list anything: the leg's cancel reaches it through its shard's owner, which restores it
  await eventually(
    "the leg canceled by hand",
    async () => ((await cancelByHand("list.oco-2.0").catch(() => undefined))?.ok ? true : undefined),
    POLL,
  );
  const restoredDone = await eventually("the restored OCO done", () => of("oco-2", "OrderListDone")[0], POLL);
  t.equal(restoredDone.outcome, "CANCELED");
  t.ok(orderOf("list.oco-2.1", "OrderCanceled").length >= 1, "the list canceled the other member after the restart");
  t.equal(of("oco-2", "OrderListAccepted").length, 1, "accepted once");
  t.match(await view("oco-2"), { status: "done", outcome: "CANCELED", legs: [{ outcome: "CANCELED" }, { outcome: "CANCELED" }] });
});
