import t from "tap";
import { subjects } from "../actors/contract/index.ts";
import { fromNumber } from "../actors/domain/index.ts";
import { fixExchangeSubjects } from "../actors/venue/fix/index.ts";
import { freePort } from "../infra/local/index.ts";
import { decodeMessage } from "../infra/nats/codec.ts";
import { command, startNodeProcess, venueReady } from "../supervisors/node/testing.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * Lists held by a venue traded over FIX 4.4: SIMY names them in AM_VENUE_CAPABILITIES and is reached through the
 * node's FIX initiator and acceptor on loopback, so each leg crosses a real FIX session as a NewOrderList fragment
 * and reaches the simulated exchange tagged with its list, which runs it as it does for an in-process venue.
 */

type Ev = { type: string; [k: string]: unknown };
type View = { status: string; outcome: string | null; legs: { role: string; cumQty: number; outcome: string | null }[] };
const SYMBOL = "SIM004"; // listed on every demo venue and in the demo book, traded by no demo strategy
const VENUE = "SIMY";
const INSTRUMENT = `${SYMBOL}.${VENUE}`;
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

t.test("an OCO and a bracket held by a FIX venue: the exchange runs them as NewOrderList legs", async (t) => {
  const f = await startTestServers(t);
  const port = await freePort();
  const node = startNodeProcess(t, "node-fix-lists", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "4",
    AM_CELLS: "1",
    AM_VENUE_CAPABILITIES: JSON.stringify({ [VENUE]: { lists: ["OCO", "OTO", "BRACKET"] } }),
    AM_FIX_VENUES: JSON.stringify({
      [VENUE]: { host: "127.0.0.1", port, senderCompId: "ALPHAMIND", targetCompId: VENUE, acceptor: true, heartbeatSecs: 5 },
    }),
  });
  await node.waitFor(/node up/, 60_000);
  await eventually(`the ${VENUE} FIX connection ready`, () => venueReady(f.nc, VENUE), POLL);
  const listEvents = collect(f.nc, subjects.evtAll("order-list"), t);
  // what the acceptor read off the FIX session and handed to the exchange
  const fromFix = collect(f.nc, fixExchangeSubjects(VENUE).toExchange, t);
  const quotes = collect(f.nc, subjects.md("quote", { venue: VENUE, symbol: SYMBOL }), t);
  const now = () => Date.now() * 1000;
  const of = (list: string, type: string) => listEvents.filter((e) => e.listId === list && e.type === type);
  const view = async (list: string) =>
    (await command(f.nc, "order-list", list, { type: "GetOrderList", tsEvent: now(), tsInit: now() }, 2_000)).result as View;
  const endState = (v: View) => ({ status: v.status, outcome: v.outcome, legs: v.legs.map((l) => [l.role, l.outcome, l.cumQty]) });
  const q = await eventually(`a quote of ${INSTRUMENT}`, () => quotes.at(-1) as { bid: number; ask: number } | undefined, POLL);
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
      strategy: "fix-list-tester",
      tsEvent: now(),
      tsInit: now(),
      ...body,
    });
    t.equal(r.ok, true, `${list} accepted (${JSON.stringify(r.error ?? "")})`);
  };
  const legsFromFix = (list: string) =>
    fromFix
      .filter((m) => m.type === "VenueNewOrder" && (m.list as { listId?: string } | undefined)?.listId === list)
      .map((m) => {
        const tag = m.list as { contingency: string; leg: number; legCount: number; role: string };
        return [tag.contingency, tag.leg, tag.legCount, tag.role];
      })
      .sort((a, b) => Number(a[1]) - Number(b[1]));

  await t.test("an OCO's resting member is canceled when the other fills", async (t) => {
    await submit("oco-fix", {
      contingency: "OCO",
      orders: [leg({ price: q.bid - fromNumber(5) }), leg({ price: q.ask + fromNumber(1) })],
    });
    await eventually("oco-fix done", () => of("oco-fix", "OrderListDone")[0], POLL);
    t.equal(of("oco-fix", "OrderListAccepted")[0]?.native, true, "the FIX venue holds the list");
    t.strictSame(
      legsFromFix("oco-fix"),
      [
        ["OCO", 0, 2, "MEMBER"],
        ["OCO", 1, 2, "MEMBER"],
      ],
      "both legs crossed the FIX session tagged with their list",
    );
    t.match(endState(await view("oco-fix")), {
      status: "done",
      outcome: "COMPLETED",
      legs: [
        ["MEMBER", "CANCELED", 0],
        ["MEMBER", "FILLED", fromNumber(1)],
      ],
    });
  });

  await t.test("a bracket's exits arm when its entry fills: the take-profit fills and the stop-loss is canceled", async (t) => {
    await submit("br-fix", {
      contingency: "BRACKET",
      entry: leg({ quantity: fromNumber(2), price: q.ask + fromNumber(1) }),
      takeProfitPrice: q.bid - fromNumber(1),
      stopLossPrice: q.bid - fromNumber(20),
      stopLossLimitPrice: q.bid - fromNumber(21),
    });
    await eventually("br-fix done", () => of("br-fix", "OrderListDone")[0], POLL);
    t.strictSame(
      legsFromFix("br-fix"),
      [
        ["BRACKET", 0, 3, "ENTRY"],
        ["BRACKET", 1, 3, "TAKE_PROFIT"],
        ["BRACKET", 2, 3, "STOP_LOSS"],
      ],
      "the bracket crossed the FIX session whole, its roles read from ListSeqNo",
    );
    t.match(endState(await view("br-fix")), {
      status: "done",
      outcome: "COMPLETED",
      legs: [
        ["ENTRY", "FILLED", fromNumber(2)],
        ["TAKE_PROFIT", "FILLED", fromNumber(2)],
        ["STOP_LOSS", "CANCELED", 0],
      ],
    });
  });
});
