import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { fromNumber } from "../actors/domain/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { command, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * The same lists on two venues of one node: SIMX lacks the capability, so the platform holds them (emulated); SIMY
 * names them in AM_VENUE_CAPABILITIES, so each list goes to its simulated exchange whole and the exchange runs it
 * (native). Both end the same way.
 */

type Ev = { type: string; [k: string]: unknown };
type View = { status: string; outcome: string | null; legs: { role: string; cumQty: number; outcome: string | null }[] };
const SYMBOL = "SIM004"; // listed on every demo venue and in the demo book, traded by no demo strategy
const POLL = { timeoutMs: 30_000, everyMs: 200 };
const capabilities = { SIMY: { lists: ["OCO", "OTO", "BRACKET"] } };

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

t.test("a venue's capabilities naming an unknown list type stop the node, naming the field", async (t) => {
  const f = await startTestServers(t, { declare: false });
  const node = startNodeProcess(t, "node-bad-lists", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_VENUE_CAPABILITIES: JSON.stringify({ SIMY: { lists: ["OCO", "ICEBERG"] } }),
  });
  const line = await node.waitFor(/AM_VENUE_CAPABILITIES/, 60_000);
  t.match(line, /SIMY\.lists\.1/);
  t.not(await node.exited, 0, "the node does not start");
});

t.test("a bracket and an OCO emulated on SIMX and native on SIMY end the same way", async (t) => {
  const f = await startTestServers(t);
  const node = startNodeProcess(t, "node-native-lists", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "4",
    AM_CELLS: "1",
    AM_VENUE_CAPABILITIES: JSON.stringify(capabilities),
  });
  await node.waitFor(/node up/, 60_000);
  for (const venue of ["SIMX", "SIMY"]) await eventually(`the ${venue} connection ready`, () => venueReady(f.nc, venue), POLL);
  const listEvents = collect(f.nc, subjects.evtAll("order-list"), t);
  const quotes = new Map(["SIMX", "SIMY"].map((venue) => [venue, collect(f.nc, subjects.md("quote", { venue, symbol: SYMBOL }), t)]));
  const now = () => Date.now() * 1000;
  const of = (list: string, type: string) => listEvents.filter((e) => e.listId === list && e.type === type);
  const view = async (list: string) =>
    (await command(f.nc, "order-list", list, { type: "GetOrderList", tsEvent: now(), tsInit: now() }, 2_000)).result as View;
  const endState = (v: View) => ({ status: v.status, outcome: v.outcome, legs: v.legs.map((l) => [l.role, l.outcome, l.cumQty]) });

  const run = async (venue: string) => {
    const instrument = `${SYMBOL}.${venue}`;
    const q = await eventually(
      `a quote of ${instrument}`,
      () => quotes.get(venue)?.at(-1) as { bid: number; ask: number } | undefined,
      POLL,
    );
    const leg = (over: Record<string, unknown>) => ({
      instrument,
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
    // a bracket whose entry (through the ask) fills, whose take-profit (through the bid) fills, whose stop is canceled
    const bracket = `br-${venue}`;
    await submit(bracket, {
      contingency: "BRACKET",
      entry: leg({ quantity: fromNumber(2), price: q.ask + fromNumber(1) }),
      takeProfitPrice: q.bid - fromNumber(1),
      stopLossPrice: q.bid - fromNumber(20),
      // a stop-limit: the book prices a stop by its limit, and the demo marks no price of an instrument nobody traded
      // yet (a native bracket's exits are checked with its entry, before any fill gives the book a price)
      stopLossLimitPrice: q.bid - fromNumber(21),
    });
    // an OCO: one buy resting below the market and one through it; the second fills and the first is canceled
    const oco = `oco-${venue}`;
    await submit(oco, { contingency: "OCO", orders: [leg({ price: q.bid - fromNumber(5) }), leg({ price: q.ask + fromNumber(1) })] });
    for (const list of [bracket, oco]) await eventually(`${list} done`, () => of(list, "OrderListDone")[0], POLL);
    return { bracket: await view(bracket), oco: await view(oco), native: of(bracket, "OrderListAccepted")[0]?.native === true };
  };

  const emulated = await run("SIMX");
  const native = await run("SIMY");
  t.equal(emulated.native, false, "SIMX lacks the capability: the platform holds the list");
  t.equal(native.native, true, "SIMY names it: its exchange holds the list");
  t.strictSame(
    of("br-SIMY", "OrderListLegSent").map((e) => [e.leg, e.quantity]),
    [
      [0, fromNumber(2)],
      [1, fromNumber(2)],
      [2, fromNumber(2)],
    ],
    "the native bracket went out whole, every leg through the risk book",
  );
  t.match(endState(emulated.bracket), {
    status: "done",
    outcome: "COMPLETED",
    legs: [
      ["ENTRY", "FILLED", fromNumber(2)],
      ["TAKE_PROFIT", "FILLED", fromNumber(2)],
      ["STOP_LOSS", "CANCELED", 0],
    ],
  });
  t.strictSame(endState(native.bracket), endState(emulated.bracket), "the bracket ends the same native as emulated");
  t.match(endState(emulated.oco), {
    status: "done",
    outcome: "COMPLETED",
    legs: [
      ["MEMBER", "CANCELED", 0],
      ["MEMBER", "FILLED", fromNumber(1)],
    ],
  });
  t.strictSame(endState(native.oco), endState(emulated.oco), "the OCO ends the same native as emulated");
});
