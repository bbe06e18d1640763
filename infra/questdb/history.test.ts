import type { Msg } from "@nats-io/transport-node";
import t from "tap";
import { type Bar, type OrderEvent, type Quote, type Trade, asPrice, asQuantity } from "../../actors/domain/index.ts";
import { evolve, type OrderState } from "../../actors/order/index.ts";
import type { ReplayClock } from "../../actors/feed/replay/index.ts";
import type { TestInfra } from "../local/index.ts";
import { startTestServers } from "../../test/testing.ts";
import { connectNats, decodeMessage } from "../nats/index.ts";
import {
  barsOf,
  declareTables,
  closedOrdersOf,
  latestOrderOf,
  latestQuote,
  openIlpWriter,
  publishReplayFeed,
  questdbBarHistory,
  questdbReplaySource,
  questdbSql,
  type RecordedOrder,
  rowsOf,
  ticksOf,
} from "./index.ts";
import { barRow, orderEventRows, quoteRow, tradeRow } from "./rows.ts";
import { walApplied } from "./testing.ts";

// One QuestDB (and nats-server) for the file; the rows are written once and only read by the tests.
let infra: TestInfra;
let url: string;
const T0 = 1_760_000_000_000_000;
const inst = "BRK.B.XNYS";

const quotes: Quote[] = Array.from({ length: 30 }, (_, i) => ({
  instrument: inst,
  bid: asPrice(i === 29 ? Number.MAX_SAFE_INTEGER - 1 : 41_000_000_000 + i),
  bidSize: asQuantity(100_000_000 + i),
  ask: asPrice(i === 29 ? Number.MAX_SAFE_INTEGER : 41_000_000_500 + i),
  askSize: asQuantity(1 + i),
  // two quotes share a timestamp: the sequence orders them
  seq: i,
  tsEvent: T0 + Math.floor(i / 2) * 1_000_000,
  tsInit: T0 + Math.floor(i / 2) * 1_000_000 + 7,
}));
const trades: Trade[] = Array.from({ length: 10 }, (_, i) => ({
  instrument: inst,
  price: asPrice(41_000_000_250 + i),
  size: asQuantity(3_00000000 + i),
  aggressor: i % 2 ? "SELL" : "BUY",
  tradeId: `X-${i}`,
  seq: i,
  tsEvent: T0 + i * 1_500_000 + 1,
  tsInit: T0 + i * 1_500_000 + 2,
}));
const bars: Bar[] = Array.from({ length: 5 }, (_, i) => ({
  instrument: inst,
  barType: "1m",
  tsOpen: T0 + i * 60_000_000,
  open: asPrice(410_00000000 + i),
  high: asPrice(411_00000000 + i),
  low: asPrice(409_00000000 + i),
  close: asPrice(410_50000000 + i),
  volume: asQuantity(12_34567890 + i),
  vwap: asPrice(410_12345678 + i),
  trades: 3 + i,
  tsEvent: T0 + (i + 1) * 60_000_000,
  tsInit: T0 + (i + 1) * 60_000_000 + 5,
}));

// An id with a quote in it: the SQL literal must escape it.
const ORDER_ID = "o'brien-1";
const orderEvents: OrderEvent[] = [
  {
    type: "OrderSubmitted",
    clientOrderId: ORDER_ID,
    instrument: inst,
    side: "SELL",
    orderType: "LIMIT",
    quantity: asQuantity(3_00000000),
    price: asPrice(410_25000000),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    strategy: "s",
    book: "b",
    emulatedStop: false,
    emulatedGtd: false,
    tsEvent: T0,
    tsInit: T0,
  },
  { type: "OrderAccepted", clientOrderId: ORDER_ID, venueOrderId: "V-9", local: false, tsEvent: T0 + 10, tsInit: T0 + 10 },
  {
    type: "OrderFilled",
    clientOrderId: ORDER_ID,
    venueOrderId: "V-9",
    execId: "E-1",
    side: "SELL",
    lastQty: asQuantity(3_00000000),
    lastPx: asPrice(410_50000000),
    fee: 0,
    liquidity: "TAKER",
    cumQty: asQuantity(3_00000000),
    leavesQty: asQuantity(0),
    avgPx: asPrice(410_50000000),
    venueSeq: 1,
    tsEvent: T0 + 20,
    tsInit: T0 + 21,
  },
];

// The venue stamped the fill before the cancel request the order journaled first: event times run backwards at the
// end, and only the stream sequence says the order is FILLED (by ts it reads as PENDING_CANCEL).
const RACED_ID = "raced-1";
const racedEvents: OrderEvent[] = [
  {
    type: "OrderSubmitted",
    clientOrderId: RACED_ID,
    instrument: inst,
    side: "BUY",
    orderType: "LIMIT",
    quantity: asQuantity(2_00000000),
    price: asPrice(410_00000000),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    strategy: "s",
    book: "b",
    emulatedStop: false,
    emulatedGtd: false,
    tsEvent: T0 + 100,
    tsInit: T0 + 100,
  },
  { type: "OrderAccepted", clientOrderId: RACED_ID, venueOrderId: "V-10", local: false, tsEvent: T0 + 200, tsInit: T0 + 200 },
  { type: "OrderCancelPending", clientOrderId: RACED_ID, cause: "USER", tsEvent: T0 + 500, tsInit: T0 + 500 },
  {
    type: "OrderFilled",
    clientOrderId: RACED_ID,
    venueOrderId: "V-10",
    execId: "E-10",
    side: "BUY",
    lastQty: asQuantity(2_00000000),
    lastPx: asPrice(410_00000000),
    fee: 0,
    liquidity: "MAKER",
    cumQty: asQuantity(2_00000000),
    leavesQty: asQuantity(0),
    avgPx: asPrice(410_00000000),
    venueSeq: 2,
    tsEvent: T0 + 400,
    tsInit: T0 + 510,
  },
];

// Another book, strategy and instrument (canceled), and an order still open: ListOrders' history filters by them.
const OTHER_ID = "other-1";
const OPEN_ID = "open-1";
const otherEvents: OrderEvent[] = [
  {
    ...(orderEvents[0] as OrderEvent & { type: "OrderSubmitted" }),
    clientOrderId: OTHER_ID,
    instrument: "BRK.A.XNYS",
    book: "b2",
    strategy: "s2",
    tsEvent: T0 + 500,
    tsInit: T0 + 500,
  },
  { type: "OrderCanceled", clientOrderId: OTHER_ID, cause: "USER", cumQty: asQuantity(0), tsEvent: T0 + 600, tsInit: T0 + 600 },
  { ...(orderEvents[0] as OrderEvent & { type: "OrderSubmitted" }), clientOrderId: OPEN_ID, tsEvent: T0 + 700, tsInit: T0 + 700 },
];

t.before(async () => {
  ({ infra } = await startTestServers(t, { questdb: true, declare: false }));
  url = infra.questdbUrl ?? "";
  await declareTables(url);
  const sender = await openIlpWriter(url);
  for (const q of quotes) sender.row(quoteRow(q));
  for (const x of trades) sender.row(tradeRow(x));
  for (const b of bars) sender.row(barRow(b));
  // another instrument's rows must never leak into BRK.B's answers
  sender.row(quoteRow({ ...quotes[3]!, instrument: "BRK.A.XNYS", bid: asPrice(1) }));
  let state: OrderState | null = null;
  for (const [i, e] of orderEvents.entries()) {
    state = evolve(state, e);
    for (const row of orderEventRows(e, state, i + 1)) sender.row(row);
  }
  let raced: OrderState | null = null;
  for (const [i, e] of racedEvents.entries()) {
    raced = evolve(raced, e);
    for (const row of orderEventRows(e, raced, 100 + i)) sender.row(row);
  }
  const states = new Map<string, OrderState | null>();
  for (const [i, e] of otherEvents.entries()) {
    const state = evolve(states.get(e.clientOrderId) ?? null, e);
    states.set(e.clientOrderId, state);
    for (const row of orderEventRows(e, state, 200 + i)) sender.row(row);
  }
  await sender.flush();
  await sender.close();
  for (const table of ["quotes", "trades", "bars", "orders"]) await walApplied(url, table);
});

t.test("bars come back by instrument, bar type and open-time range as the Bar messages that were written", async (t) => {
  t.same(await barsOf(url, { instrument: inst, barType: "1m", fromUs: T0, toUs: T0 + 10 * 60_000_000 }), bars);
  t.same(
    await barsOf(url, { instrument: inst, barType: "1m", fromUs: T0 + 60_000_000, toUs: T0 + 3 * 60_000_000 }),
    bars.slice(1, 3),
    "the range is [from, to)",
  );
  t.same(await barsOf(url, { instrument: inst, barType: "5m", fromUs: T0, toUs: T0 + 10 * 60_000_000 }), []);
  t.same(
    await questdbBarHistory(url).bars(inst, "1m", T0 + 60_000_000, T0 + 3 * 60_000_000, 10),
    bars.slice(0, 2),
    "the gateway's port ranges by close time",
  );
});

t.test("ticks come back in (time, sequence) order with a limit, and page on from the last one", async (t) => {
  const all = await ticksOf(url, { kind: "quote", instrument: inst, fromUs: T0, toUs: T0 + 3_600_000_000, limit: 1000 });
  t.same(
    all,
    quotes.map((q) => (q.bid >= q.ask ? { ...q, crossed: true } : q)),
  );
  t.same(all[29]?.bid, 9_007_199_254_740_990, "the largest fixed-point values survive exactly");
  const page1 = await ticksOf(url, { kind: "quote", instrument: inst, fromUs: T0, toUs: T0 + 3_600_000_000, limit: 7 });
  const last = page1[6]!;
  const page2 = await ticksOf(url, {
    kind: "quote",
    instrument: inst,
    fromUs: T0,
    toUs: T0 + 3_600_000_000,
    limit: 7,
    after: { tsUs: last.tsEvent, seq: last.seq },
  });
  t.same(
    [...page1, ...page2].map((q) => q.seq),
    Array.from({ length: 14 }, (_, i) => i),
    "a page boundary inside one timestamp loses and repeats nothing",
  );
  t.same(await ticksOf(url, { kind: "trade", instrument: inst, fromUs: T0, toUs: T0 + 3_000_002, limit: 100 }), trades.slice(0, 3));
});

t.test("the latest quote is the last one written for the instrument", async (t) => {
  t.same(await latestQuote(url, inst), quotes[29]);
  t.equal(await latestQuote(url, "NONE.XNYS"), undefined);
});

t.test("a hostile instrument id is refused with a clear error before any SQL runs, and changes nothing", async (t) => {
  const hostile = "X'; DROP TABLE quotes;--.SIMX";
  await t.rejects(latestQuote(url, hostile), {
    name: "HistoryQueryError",
    message: `instrument id ${JSON.stringify(hostile)}: symbol "X'; DROP TABLE quotes;--" has characters outside A-Z a-z 0-9 . _ / : + -`,
  });
  await t.rejects(
    ticksOf(url, { kind: "quote", instrument: hostile, fromUs: 0, toUs: 1, limit: 1 }),
    /instrument id .*symbol "X'; DROP TABLE quotes;--" has characters outside/,
  );
  await t.rejects(
    barsOf(url, { instrument: inst, barType: "1m' OR '1'='1", fromUs: 0, toUs: 1 }),
    /barType .* must be a number and a unit/,
  );
  await t.rejects(
    ticksOf(url, { kind: "quote; DROP TABLE quotes" as "quote", instrument: inst, fromUs: 0, toUs: 1, limit: 1 }),
    /kind must be "quote" or "trade"/,
  );
  await t.rejects(
    ticksOf(url, { kind: "quote", instrument: inst, fromUs: "0 OR 1=1" as unknown as number, toUs: 1, limit: 1 }),
    /fromUs must be a non-negative integer/,
  );
  await t.rejects(
    ticksOf(url, { kind: "quote", instrument: inst, fromUs: 0, toUs: 1, limit: 1e9 }),
    /limit must be an integer from 1 to 100000/,
  );
  const count = rowsOf(await questdbSql(url, "SELECT count() n FROM quotes"))[0]?.n;
  t.equal(count, quotes.length + 1, "the quotes table is intact");
});

t.test("a symbol with a quote in it is refused by the instrument id grammar, naming the symbol", async (t) => {
  t.equal(
    await latestQuote(url, "O'NEIL.XNYS").catch((e: Error) => e.message),
    'instrument id "O\'NEIL.XNYS": symbol "O\'NEIL" has characters outside A-Z a-z 0-9 . _ / : + -',
  );
});

t.test("a replay from QuestDB publishes quotes, trades and bars on the replay feed in time order", async (t) => {
  const nc = await connectNats(infra.natsUrl, "replay-test");
  t.teardown(() => nc.close());
  const got: { subject: string; type: string; tsEvent: number }[] = [];
  const sub = nc.subscribe("am.feed.replay.>", {
    callback: (_e: Error | null, m: Msg) => {
      const { message } = decodeMessage(m.data, m.headers, true);
      got.push({ subject: m.subject, type: message.type, tsEvent: message.tsEvent as number });
    },
  });
  t.teardown(() => sub.unsubscribe());
  let now = 0;
  const clock: ReplayClock = {
    nowMs: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  const records = questdbReplaySource(url, {
    instruments: [inst],
    quotes: true,
    trades: true,
    barType: "1m",
    fromUs: T0,
    toUs: T0 + 3_600_000_000,
    pageSize: 4,
  });
  const summary = await publishReplayFeed(nc, records, { speed: 60, clock });
  await nc.flush();
  t.equal(summary.published, quotes.length + trades.length + bars.length);
  t.equal(got.length, summary.published, "every record arrived");
  t.ok(
    got.every((g, i) => i === 0 || g.tsEvent >= got[i - 1]!.tsEvent),
    "in time order across series",
  );
  t.same(new Set(got.map((g) => g.subject)), new Set(["am.feed.replay.XNYS.BRK~2EB"]));
  t.same(new Set(got.map((g) => g.type)), new Set(["RawQuote", "RawTrade", "Bar"]));
  t.equal(now, (bars[4]!.tsEvent - T0) / 1000 / 60, "five minutes of data took five seconds of (fake) time at x60");
});

t.test("the latest recorded state of an order comes back by clientOrderId, and nothing for an unknown one", async (t) => {
  t.same(await latestOrderOf(url, ORDER_ID), {
    clientOrderId: ORDER_ID,
    event: "OrderFilled",
    tsEvent: T0 + 20,
    venueOrderId: "V-9",
    instrument: inst,
    side: "SELL",
    orderType: "LIMIT",
    timeInForce: "GTC",
    status: "FILLED",
    quantity: 3_00000000,
    price: 410_25000000,
    cumQty: 3_00000000,
    avgPx: 410_50000000,
    book: "b",
    strategy: "s",
  });
  t.equal(await latestOrderOf(url, "nobody-1"), undefined);
  await t.rejects(latestOrderOf(url, "has space"), /clientOrderId/);
  t.match(await questdbBarHistory(url).latestOrder(ORDER_ID), { status: "FILLED" });
});

t.test("an order's latest state is its event of the highest sequence, not of the latest event time", async (t) => {
  const byTime = rowsOf(await questdbSql(url, `SELECT status FROM orders WHERE order_id = '${RACED_ID}' ORDER BY ts DESC LIMIT 1`))[0];
  t.equal(byTime?.status, "PENDING_CANCEL", "the rows' event times run backwards at the end");
  t.match(await latestOrderOf(url, RACED_ID), { event: "OrderFilled", status: "FILLED", cumQty: 2_00000000, tsEvent: T0 + 400 });
  t.match(await questdbBarHistory(url).latestOrder(RACED_ID), { status: "FILLED" }, "the gateway's history port answers the same");
});

t.test("closed orders come back the most recently closed first, each once, filtered by book, strategy and instrument", async (t) => {
  const ids = (orders: RecordedOrder[]) => orders.map((o) => [o.clientOrderId, o.status]);
  t.same(
    ids(await closedOrdersOf(url, { limit: 10 })),
    [
      [OTHER_ID, "CANCELED"],
      [RACED_ID, "FILLED"],
      [ORDER_ID, "FILLED"],
    ],
    "the open order is not closed; the raced order is listed once, as FILLED",
  );
  t.same(ids(await closedOrdersOf(url, { book: "b", limit: 10 })), [
    [RACED_ID, "FILLED"],
    [ORDER_ID, "FILLED"],
  ]);
  t.same(ids(await closedOrdersOf(url, { strategy: "s2", limit: 10 })), [[OTHER_ID, "CANCELED"]]);
  t.same(ids(await closedOrdersOf(url, { instrument: inst, limit: 10 })), [
    [RACED_ID, "FILLED"],
    [ORDER_ID, "FILLED"],
  ]);
  t.same(ids(await closedOrdersOf(url, { limit: 1 })), [[OTHER_ID, "CANCELED"]]);
  t.match((await closedOrdersOf(url, { book: "b2", limit: 1 }))[0], { book: "b2", strategy: "s2", instrument: "BRK.A.XNYS", cumQty: 0 });
  t.same(
    ids(await questdbBarHistory(url).closedOrders({ book: "b2", limit: 5 })),
    [[OTHER_ID, "CANCELED"]],
    "the gateway's port answers the same",
  );
  await t.rejects(
    closedOrdersOf(url, { book: "b' OR '1'='1", limit: 5 }),
    /book "b' OR '1'='1" must be 1 to 64 printable characters without spaces/,
  );
  await t.rejects(closedOrdersOf(url, { limit: 0 }), /limit must be an integer/);
});
