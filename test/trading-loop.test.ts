import t from "tap";
import { fromNumber } from "../actors/domain/fixed.ts";
import { subjects } from "../actors/domain/subjects.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { eventually, natsFixture } from "../supervisors/runtime/testing/harness.ts";
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

t.test("the trading loop in a node process: a SubmitOrder to the risk book is filled by the simulated exchange, the book holds the fill, and strategies trade", async (t) => {
  const f = await natsFixture(t);
  const node = startNodeProcess(t, "node-a", { AM_NATS_URL: f.infra.natsUrl, AM_DEMO_INSTRUMENTS: "4", AM_CELLS: "2" });
  await node.waitFor(/node up/, 60_000);
  const status = async (kind: string, id: string) => (await admin(f.nc, "status", { type: "AdminActorRequest", kind, id }, 1_000).catch(() => undefined))?.result as { state?: unknown } | undefined;
  await eventually(async () => (await status("venue", "SIMX"))?.state === "ready", "the venue connection logged on and reconciled", 30_000);

  const quotes = collect(f.nc, subjects.md("quote", { venue: "SIMX", symbol: "SIM004" }), t);
  const ask = await eventually(() => quotes.at(-1)?.ask as number | undefined, "a quote of SIM004", 20_000);
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
      // marketable: a few ticks through the ask, so it takes the background's offer
      price: ask + fromNumber(0.05),
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
  const fills = await eventually(() => {
    const f = events.filter((e) => e.type === "OrderFilled");
    const filled = f.reduce((s, e) => s + (e.lastQty as number), 0);
    return filled === fromNumber(3) ? f : undefined;
  }, "OrderFilled on am.evt.order.<id>", 20_000);
  t.ok(events.some((e) => e.type === "OrderAccepted"), "the venue acknowledged the order");
  t.ok(fills.every((e) => (e.lastPx as number) <= ask + fromNumber(0.05)), "filled within the limit");

  const position = await eventually(async () => {
    const r = await command(f.nc, "risk-book", "demo", { type: "GetRiskReport", tsEvent: now, tsInit: now });
    const p = (r.result as { positions: { instrument: string; quantity: number }[] }).positions.find((x) => x.instrument === INSTRUMENT);
    return p?.quantity === fromNumber(3) ? p : undefined;
  }, "the book's position to equal the fill", 10_000);
  t.equal(position.quantity, fromNumber(3), "the risk book's position equals the fill");

  const strategyOrders = collect(f.nc, subjects.evtAll("order"), t);
  const flowed = await eventually(
    () => strategyOrders.find((e) => e.type === "OrderAccepted" && /^(mm-1|meanrev-1|trend-1)\./.test(String(e.clientOrderId))),
    "an order of a demo strategy accepted by the venue",
    60_000,
  );
  t.ok(flowed, `strategy order ${flowed.clientOrderId} flowed through the risk book and the venue`);
});
