import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import {
  type Bar,
  type OrderEvent,
  parseFixed,
  type Quote,
  RecordRejectReason,
  type Trade,
  asPrice,
  asQuantity,
} from "../../actors/domain/index.ts";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { freePort, type TestInfra } from "../local/index.ts";
import { connectNats, decodeMessage, encodeMessage, streams } from "../nats/index.ts";
import { createLogger } from "../telemetry/index.ts";
import { declareTables, openIlpWriter, questdbSql, Recorder, type RecorderOptions, recorderDlq, rowsOf } from "./index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { filled, submitted, walApplied } from "./testing.ts";

// One nats-server and one QuestDB for the whole file: starting QuestDB costs seconds. Each test purges the streams
// and uses its own symbols, so the tests do not see each other's rows.
let infra: TestInfra;
let url: string;
let nc: NatsConnection;
t.before(async () => {
  ({ infra, nc } = await startTestServers(t, { questdb: true }));
  url = infra.questdbUrl ?? "";
  await declareTables(url);
});

const quiet = process.env.AM_TEST_LOG
  ? createLogger({ json: false, write: (l) => process.stderr.write(`${l}\n`) })
  : createLogger({ write: () => {} });
const T0 = 1_760_000_000_000_000;

/** Empties the streams; returns each one's last sequence, which a purge keeps (sequences go on from there). */
async function freshStreams(): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const base: Record<string, number> = {};
  for (const s of [streams.marketData, streams.events, streams.deadLetters]) {
    await jsm.streams.purge(s);
    base[s] = (await jsm.streams.info(s)).state.last_seq;
  }
  return base;
}

async function startRecorder(
  t: { teardown: (fn: () => unknown) => void },
  opts: Partial<RecorderOptions> & { durable: string },
): Promise<Recorder> {
  const r = new Recorder({ nc, questdbUrl: url, statsIntervalMs: 0, ackWaitMs: 2_000, log: quiet, ...opts });
  await r.start();
  t.teardown(() => r.stop());
  return r;
}

type Tagged<T, K extends string> = T & { type: K };
const quote = (instrument: string, i: number): Tagged<Quote, "Quote"> => ({
  type: "Quote",
  instrument,
  // 90071992.54740991 is the largest fixed-point value (2^53 - 1 units): a float64 path would round it.
  bid: asPrice(i === 0 ? Number.MAX_SAFE_INTEGER - 1 : 10_000_000_000 + i),
  bidSize: asQuantity(1 + i),
  ask: asPrice(i === 0 ? Number.MAX_SAFE_INTEGER : 10_000_000_007 + i),
  askSize: asQuantity(150_000_000 + i),
  seq: i,
  tsEvent: T0 + i * 1000,
  tsInit: T0 + i * 1000 + 3,
});
const trade = (instrument: string, i: number): Tagged<Trade, "Trade"> => ({
  type: "Trade",
  instrument,
  price: asPrice(12_345_678_901 + i),
  size: asQuantity(1 + i * 7),
  aggressor: i % 3 === 0 ? "BUY" : i % 3 === 1 ? "SELL" : "NONE",
  tradeId: `T-${i}`,
  seq: i,
  tsEvent: T0 + i * 1000,
  tsInit: T0 + i * 1000 + 1,
});
const bar = (instrument: string, i: number): Tagged<Bar, "Bar"> => ({
  type: "Bar",
  instrument,
  barType: "1m",
  tsOpen: T0 + i * 60_000_000,
  open: asPrice(100_00000001 + i),
  high: asPrice(101_00000000 + i),
  low: asPrice(99_99999999 + i),
  close: asPrice(100_50000000 + i),
  volume: asQuantity(1234_56789012 + i),
  vwap: asPrice(100_12345678 + i),
  trades: 10 + i,
  tsEvent: T0 + (i + 1) * 60_000_000,
  tsInit: T0 + (i + 1) * 60_000_000 + 9,
});

async function publish(message: { type: string; instrument: string; [k: string]: unknown }): Promise<void> {
  const channel = message.type === "Quote" ? "quote" : message.type === "Trade" ? "trade" : "bar";
  const { data, headers } = encodeMessage(message);
  await jetstream(nc).publish(subjects.md(channel, parseInstrumentId(message.instrument)), data, { headers });
}

async function publishEvent(e: OrderEvent): Promise<void> {
  const { data, headers } = encodeMessage(e);
  await jetstream(nc).publish(subjects.evt("order", e.clientOrderId, e.type), data, { headers });
}

/** Until the consumer has nothing pending and nothing unacknowledged. */
const drained = (r: Recorder, lane: "marketData" | "orders" = "marketData") =>
  eventually(
    `${lane} consumer drained`,
    async () => {
      const s = (await r.stats())[lane];
      return s && s.numPending === 0 && s.numAckPending === 0 ? s : undefined;
    },
    { timeoutMs: 30_000, everyMs: 50 },
  );

const quoteRows = async (symbol: string) => {
  await walApplied(url, "quotes");
  return rowsOf(
    await questdbSql(
      url,
      `SELECT cast(ts AS LONG) ts, venue, symbol, bid, bid_size, ask, ask_size, seq, cast(ts_init AS LONG) ts_init FROM quotes WHERE symbol = '${symbol}' ORDER BY ts, seq`,
    ),
  ).map((r) => ({
    instrument: `${r.symbol}.${r.venue}`,
    bid: parseFixed(r.bid as string),
    bidSize: parseFixed(r.bid_size as string),
    ask: parseFixed(r.ask as string),
    askSize: parseFixed(r.ask_size as string),
    seq: r.seq,
    tsEvent: r.ts,
    tsInit: r.ts_init,
  }));
};
const untype = <T extends { type: string }>(m: T): Omit<T, "type"> => {
  const { type: _t, ...rest } = m;
  return rest;
};

t.test("quotes, trades and bars published on am.md.* land in QuestDB with exactly the published decimals", async (t) => {
  await freshStreams();
  const inst = "REC1.SIM";
  const quotes = Array.from({ length: 40 }, (_, i) => quote(inst, i));
  const trades = Array.from({ length: 25 }, (_, i) => trade(inst, i));
  const bars = Array.from({ length: 6 }, (_, i) => bar(inst, i));
  for (const m of [...quotes, ...trades, ...bars]) await publish(m);
  // a status change shares the stream but is not recorded
  const status = encodeMessage({
    type: "InstrumentStatus",
    instrument: inst,
    status: "OPEN",
    calendar: "OPEN",
    halted: false,
    tsEvent: T0,
    tsInit: T0,
  });
  await jetstream(nc).publish(subjects.md("status", parseInstrumentId(inst)), status.data, { headers: status.headers });
  // a book update is for live subscribers: the stream does not keep it
  const book = encodeMessage({
    type: "BookUpdate",
    instrument: inst,
    kind: "snapshot",
    bids: [],
    asks: [],
    seq: 1,
    tsEvent: T0,
    tsInit: T0,
  });
  await t.rejects(
    jetstream(nc).publish(subjects.md("book", parseInstrumentId(inst)), book.data, { headers: book.headers }),
    "no stream takes a book update",
  );

  const r = await startRecorder(t, { durable: "rec-all", batchSize: 16, record: { marketData: true, orders: false } });
  const s = await drained(r);
  t.equal(s.acked, 71, "every recorded message was acknowledged once written");
  t.equal(s.unrecorded, 1, "the status change was acknowledged unread");
  t.equal(s.deadLettered, 0);
  t.equal(s.lastWrittenTsUs, Math.max(...quotes.map((q) => q.tsEvent), ...trades.map((x) => x.tsEvent), ...bars.map((b) => b.tsOpen)));

  t.same(await quoteRows("REC1"), quotes.map(untype));

  await walApplied(url, "trades");
  const tradeRows = rowsOf(
    await questdbSql(
      url,
      "SELECT cast(ts AS LONG) ts, venue, symbol, price, size, aggressor, trade_id, seq, cast(ts_init AS LONG) ts_init FROM trades WHERE symbol = 'REC1' ORDER BY ts",
    ),
  ).map((x) => ({
    instrument: `${x.symbol}.${x.venue}`,
    price: parseFixed(x.price as string),
    size: parseFixed(x.size as string),
    aggressor: x.aggressor,
    tradeId: x.trade_id,
    seq: x.seq,
    tsEvent: x.ts,
    tsInit: x.ts_init,
  }));
  t.same(tradeRows, trades.map(untype));

  await walApplied(url, "bars");
  const barRows = rowsOf(
    await questdbSql(
      url,
      "SELECT cast(ts AS LONG) ts, venue, symbol, bar_type, open, high, low, close, volume, vwap, trades, cast(ts_close AS LONG) ts_close, cast(ts_init AS LONG) ts_init FROM bars WHERE symbol = 'REC1' ORDER BY ts",
    ),
  ).map((b) => ({
    instrument: `${b.symbol}.${b.venue}`,
    barType: b.bar_type,
    tsOpen: b.ts,
    open: parseFixed(b.open as string),
    high: parseFixed(b.high as string),
    low: parseFixed(b.low as string),
    close: parseFixed(b.close as string),
    volume: parseFixed(b.volume as string),
    vwap: parseFixed(b.vwap as string),
    trades: b.trades,
    tsEvent: b.ts_close,
    tsInit: b.ts_init,
  }));
  t.same(barRows, bars.map(untype));
});

t.test("a market data durable of an earlier version, filtered, reads the whole stream once the recorder starts", async (t) => {
  await freshStreams();
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(streams.marketData, {
    durable_name: "rec-old-md",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: [subjects.mdAll("quote"), subjects.mdAll("trade")],
  });
  t.teardown(() => jsm.consumers.delete(streams.marketData, "rec-old-md").catch(() => undefined));
  const inst = "REC9.SIM";
  for (const m of [quote(inst, 0), trade(inst, 0), bar(inst, 0)]) await publish(m);

  const r = await startRecorder(t, { durable: "rec-old", batchSize: 16, record: { marketData: true, orders: false } });
  const s = await drained(r);
  t.equal(s.acked, 3, "the bar, outside the old filters, is recorded too");
  const c = await jsm.consumers.info(streams.marketData, "rec-old-md");
  t.notOk(c.config.filter_subject, "no filter subject");
  t.same(c.config.filter_subjects ?? [], [], "no filter subjects");
});

t.test("a recorder that dies between a flush and its acks is replaced by one that leaves exactly one row per message", async (t) => {
  const base = await freshStreams();
  const inst = "REC2.SIM";
  const M = 200;
  const quotes = Array.from({ length: M }, (_, i) => quote(inst, i));
  for (const q of quotes) await publish(q);

  // The first recorder has its own connection; after its third successful flush the connection is closed without
  // draining, so that batch is in QuestDB and never acknowledged (a crash at the worst moment).
  const ncA = await connectNats(infra.natsUrl, "recorder-a");
  let flushes = 0;
  const crashing = new Recorder({
    nc: ncA,
    questdbUrl: url,
    durable: "rec-crash",
    batchSize: 20,
    ackWaitMs: 1_000,
    statsIntervalMs: 0,
    log: quiet,
    record: { orders: false },
    openSender: async () => {
      const s = await openIlpWriter(url);
      const flush = s.flush.bind(s);
      s.flush = async () => {
        const sent = await flush();
        if (++flushes === 3) await ncA.close();
        return sent;
      };
      return s;
    },
  });
  await crashing.start();
  await eventually("first recorder's connection closed", async () => (ncA.isClosed() ? true : undefined), {
    timeoutMs: 30_000,
    everyMs: 50,
  });
  await crashing.stop();
  const jsm = await jetstreamManager(nc);
  const mid = await jsm.consumers.info(streams.marketData, "rec-crash-md");
  t.equal(
    mid.ack_floor.stream_seq - (base[streams.marketData] ?? 0),
    40,
    "two batches were acknowledged before the crash, the third was not",
  );
  await walApplied(url, "quotes");
  const partial = rowsOf(await questdbSql(url, "SELECT count() n FROM quotes WHERE symbol = 'REC2'"))[0]?.n;
  t.equal(partial, 60, "the third batch reached QuestDB before the crash");

  const r = await startRecorder(t, { durable: "rec-crash", batchSize: 20, ackWaitMs: 1_000, record: { orders: false } });
  await drained(r);
  const rows = await quoteRows("REC2");
  t.equal(rows.length, M, "no duplicates, none missing");
  t.same(rows, quotes.map(untype));
});

t.test("a malformed message is dead-lettered with its reason and the messages after it are recorded", async (t) => {
  const base = await freshStreams();
  const inst = "REC3.SIM";
  const js = jetstream(nc);
  for (let i = 0; i < 5; i++) await publish(quote(inst, i));
  const h = natsHeaders();
  h.set("am-type", "Quote");
  await js.publish(subjects.md("quote", parseInstrumentId(inst)), new Uint8Array([0xc1, 0xff, 0x00]), { headers: h });
  await publish({ ...quote(inst, 5), bid: -5 });
  for (let i = 6; i < 11; i++) await publish(quote(inst, i));

  const r = await startRecorder(t, { durable: "rec-dlq", batchSize: 4, record: { orders: false } });
  const s = await drained(r);
  t.equal(s.deadLettered, 2);
  t.same(
    (await quoteRows("REC3")).map((q) => q.seq),
    [0, 1, 2, 3, 4, 6, 7, 8, 9, 10],
  );

  const jsm = await jetstreamManager(nc);
  const dead = [];
  for (let seq = 1; seq <= 2; seq++) {
    const m = await jsm.streams.getMessage(streams.deadLetters, { seq: (base[streams.deadLetters] ?? 0) + seq });
    t.equal(m?.subject, recorderDlq.marketData);
    if (m) dead.push(decodeMessage(m.data, m.header, true).message);
  }
  t.same(
    dead.map((d) => [d.reason, d.inputType, d.streamSeq]),
    [
      [RecordRejectReason.Decode, "Quote", (base[streams.marketData] ?? 0) + 6],
      [RecordRejectReason.Decode, "Quote", (base[streams.marketData] ?? 0) + 7],
    ],
  );
  t.match(String(dead[0]?.detail), /not-msgpack/);
  t.match(String(dead[1]?.detail), /bid/, "the reason names the field");
  t.same(dead[0]?.input, new Uint8Array([0xc1, 0xff, 0x00]), "the refused payload travels as it came");
});

t.test("with QuestDB unreachable the recorder holds one bounded batch, acknowledges nothing, and catches up when it is back", async (t) => {
  const base = await freshStreams();
  const inst = "REC4.SIM";
  const M = 300;
  for (let i = 0; i < M; i++) await publish(quote(inst, i));
  const closedPort = await freePort();
  let down = true;
  const r = await startRecorder(t, {
    durable: "rec-down",
    batchSize: 10,
    maxAckPending: 40,
    retryDelayMs: 50,
    maxRetryDelayMs: 100,
    record: { orders: false },
    openSender: () => (down ? openIlpWriter(`http://127.0.0.1:${closedPort}`, { requestTimeoutMs: 1_000 }) : openIlpWriter(url)),
  });
  const jsm = await jetstreamManager(nc);
  let peakHeld = 0;
  let peakAckPending = 0;
  const s = await eventually(
    "ten failed flushes",
    async () => {
      const x = (await r.stats()).marketData;
      if (!x) return undefined;
      peakHeld = Math.max(peakHeld, x.held);
      peakAckPending = Math.max(peakAckPending, x.numAckPending);
      return x.failedFlushes >= 10 ? x : undefined;
    },
    { timeoutMs: 30_000, everyMs: 50 },
  );
  t.equal(s.acked, 0, "nothing is acknowledged while QuestDB is away");
  t.equal(
    (await jsm.consumers.info(streams.marketData, "rec-down-md")).ack_floor.stream_seq,
    base[streams.marketData],
    "the ack floor has not moved",
  );
  t.ok(peakHeld <= 10, `at most one batch in hand (peak ${peakHeld})`);
  t.ok(peakAckPending <= 40, `at most max_ack_pending delivered and unacknowledged (peak ${peakAckPending})`);
  t.ok(s.numPending + s.numAckPending >= M - 40, "the rest waits in the stream, not in the recorder");
  t.ok(s.oldestUnackedAgeMs > 0, "the lag reports how long the oldest message has waited");

  down = false;
  const after = await drained(r);
  t.equal(after.acked, M);
  t.equal((await quoteRows("REC4")).length, M);
});

t.test("a graceful stop finishes the batch in hand: every row written is acknowledged and a restart records the rest once", async (t) => {
  const base = await freshStreams();
  const inst = "REC5.SIM";
  const M = 150;
  for (let i = 0; i < M; i++) await publish(quote(inst, i));
  const first = new Recorder({
    nc,
    questdbUrl: url,
    durable: "rec-stop",
    batchSize: 10,
    ackWaitMs: 1_000,
    statsIntervalMs: 0,
    log: quiet,
    record: { orders: false },
  });
  await first.start();
  await eventually("a first batch acknowledged", async () => ((await first.stats()).marketData?.acked ? true : undefined), {
    timeoutMs: 30_000,
    everyMs: 50,
  });
  await first.stop();
  const acked =
    (await jetstreamManager(nc).then((jsm) => jsm.consumers.info(streams.marketData, "rec-stop-md"))).ack_floor.stream_seq -
    (base[streams.marketData] ?? 0);
  t.equal((await quoteRows("REC5")).length, acked, "no batch was written and left unacknowledged");
  t.ok(acked < M, "the stop came before the end of the stream");

  const second = await startRecorder(t, { durable: "rec-stop", batchSize: 10, ackWaitMs: 1_000, record: { orders: false } });
  await drained(second);
  t.same(
    await quoteRows("REC5"),
    Array.from({ length: M }, (_, i) => untype(quote(inst, i))),
  );
});

t.test("order events become one orders row each and fills one row per execId, also after a restart with no cached state", async (t) => {
  await freshStreams();
  const inst = "ORD1.SIM";
  await publishEvent(submitted("O-1", inst, T0));
  await publishEvent({
    type: "OrderAccepted",
    clientOrderId: "O-1",
    venueOrderId: "V-O-1",
    local: false,
    tsEvent: T0 + 10,
    tsInit: T0 + 10,
  });
  await publishEvent(filled("O-1", "E-1", 1_00000000, 1_00000000, T0 + 20));
  await publishEvent(submitted("O-2", inst, T0 + 30));

  const first = await startRecorder(t, { durable: "rec-orders", record: { marketData: false } });
  await drained(first, "orders");
  await first.stop();

  // The second recorder has never seen O-1 or O-2: their state comes from their journals.
  await publishEvent(filled("O-1", "E-2", 2_00000000, 3_00000000, T0 + 40));
  await publishEvent({
    type: "OrderCanceled",
    clientOrderId: "O-2",
    cause: "USER",
    cumQty: asQuantity(0),
    tsEvent: T0 + 50,
    tsInit: T0 + 50,
  });
  const second = await startRecorder(t, { durable: "rec-orders", record: { marketData: false } });
  const s = await drained(second, "orders");
  t.equal(s.acked, 2, "the restarted recorder took up where the first one stopped");

  await walApplied(url, "orders");
  const orders = rowsOf(
    await questdbSql(
      url,
      "SELECT cast(ts AS LONG) ts, order_id, venue_order_id, event, status, venue, symbol, side, order_type, tif, price, qty, filled_qty, avg_price, reason, seq FROM orders WHERE symbol = 'ORD1' ORDER BY seq",
    ),
  );
  t.same(
    orders.map((o) => [o.order_id, o.event, o.status, o.seq, o.venue, o.side, o.order_type, o.tif, o.price, o.qty, o.filled_qty]),
    [
      ["O-1", "OrderSubmitted", "PENDING_NEW", 1, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "0.00000000"],
      ["O-1", "OrderAccepted", "NEW", 2, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "0.00000000"],
      ["O-1", "OrderFilled", "PARTIALLY_FILLED", 3, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "1.00000000"],
      ["O-2", "OrderSubmitted", "PENDING_NEW", 4, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "0.00000000"],
      ["O-1", "OrderFilled", "FILLED", 5, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "3.00000000"],
      ["O-2", "OrderCanceled", "CANCELED", 6, "SIM", "BUY", "LIMIT", "GTC", "101.25000000", "3.00000000", "0.00000000"],
    ],
  );
  t.equal(orders[4]?.venue_order_id, "V-O-1");
  t.equal(orders[5]?.reason, "USER");

  await walApplied(url, "fills");
  const fills = rowsOf(
    await questdbSql(
      url,
      "SELECT cast(ts AS LONG) ts, fill_id, order_id, venue, symbol, side, price, qty, fee, liquidity, strategy, book FROM fills WHERE symbol = 'ORD1' ORDER BY ts",
    ),
  );
  t.same(fills, [
    {
      ts: T0 + 20,
      fill_id: "E-1",
      order_id: "O-1",
      venue: "SIM",
      symbol: "ORD1",
      side: "BUY",
      price: "101.25000000",
      qty: "1.00000000",
      fee: "-0.00012345",
      liquidity: "MAKER",
      strategy: "trend-1",
      book: "main",
    },
    {
      ts: T0 + 40,
      fill_id: "E-2",
      order_id: "O-1",
      venue: "SIM",
      symbol: "ORD1",
      side: "BUY",
      price: "101.25000000",
      qty: "2.00000000",
      fee: "-0.00012345",
      liquidity: "MAKER",
      strategy: "trend-1",
      book: "main",
    },
  ]);
});
