import t from "tap";
import { startTestServers, type Teardown } from "../../test/testing.ts";
import { walApplied } from "./testing.ts";
import { declareTables, openIlpSender, questdbSql, rowsOf, TableConflictError, tables } from "./index.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** A fresh QuestDB (and nats-server, which the test servers always include), gone when the test ends. */
async function questdbFor(t: Teardown): Promise<string> {
  const { infra } = await startTestServers(t, { questdb: true, declare: false });
  if (!infra.questdbUrl) throw new Error("startTestServers({ questdb: true }) returned no QuestDB URL");
  return infra.questdbUrl;
}

// Starting QuestDB takes seconds: the tests that only add to the declared tables share one server.
let shared: Promise<string> | undefined;
const sharedQuestdb = (): Promise<string> => {
  shared ??= questdbFor(t);
  return shared;
};

const tsUs = 1_700_000_000_000_000n;

async function writeQuote(url: string): Promise<void> {
  const sender = await openIlpSender(url);
  try {
    // 9999999999.99999999 has 18 significant digits: a binary float would round it to 10000000000.
    sender
      .table("quotes")
      .symbol("venue", "SIM")
      .symbol("symbol", "BRK.B")
      .decimalColumn("bid", 999_999_999_999_999_999n, 8)
      .decimalColumn("bid_size", 1n, 8)
      .decimalColumn("ask", 10_025_000_000n, 8)
      .decimalColumn("ask_size", 150_000_000n, 8)
      .intColumn("seq", 7)
      .timestampColumn("ts_init", tsUs + 5n, "us");
    await sender.at(tsUs, "us");
    await sender.flush();
  } finally {
    await sender.close();
  }
}

t.test("tables are declared with WAL, daily partitions and dedup, and declaring again is harmless", async (t) => {
  const url = await sharedQuestdb();
  t.same(await declareTables(url), { tables: tables.map((x) => x.name) });
  t.same(await declareTables(url), { tables: tables.map((x) => x.name) }, "the second declaration finds no conflict");
  const meta = rowsOf(await questdbSql(url, "SELECT table_name, designatedTimestamp, partitionBy, walEnabled, dedup FROM tables()"));
  for (const spec of tables) {
    const m = meta.find((r) => r.table_name === spec.name);
    t.same(m, { table_name: spec.name, designatedTimestamp: spec.timestamp, partitionBy: "DAY", walEnabled: true, dedup: true }, spec.name);
  }
});

t.test("a quote written over ILP reads back with exact decimals, and writing it again keeps one row", async (t) => {
  const url = await sharedQuestdb();
  await declareTables(url);
  await writeQuote(url);
  await walApplied(url, "quotes", { written: true });
  const query = "SELECT ts, venue, symbol, bid, bid_size, ask, ask_size, seq, ts_init FROM quotes";
  const first = rowsOf(await questdbSql(url, query));
  t.same(first, [
    {
      ts: "2023-11-14T22:13:20.000000Z",
      venue: "SIM",
      symbol: "BRK.B",
      bid: "9999999999.99999999",
      bid_size: "0.00000001",
      ask: "100.25000000",
      ask_size: "1.50000000",
      seq: 7,
      ts_init: "2023-11-14T22:13:20.000005Z",
    },
  ]);
  const txnAfterFirst = rowsOf(await questdbSql(url, "SELECT sequencerTxn FROM wal_tables() WHERE name = 'quotes'"))[0]?.sequencerTxn;

  await writeQuote(url);
  await walApplied(url, "quotes", { written: true });
  const txnAfterSecond = rowsOf(await questdbSql(url, "SELECT sequencerTxn FROM wal_tables() WHERE name = 'quotes'"))[0]?.sequencerTxn;
  t.ok(Number(txnAfterSecond) > Number(txnAfterFirst), "the second write was committed and applied");
  t.same(rowsOf(await questdbSql(url, query)), first, "the same keys upsert: still one identical row");
});

t.test("an existing table with another column type is reported by table and column and left as it was", async (t) => {
  const url = await questdbFor(t);
  await questdbSql(
    url,
    "CREATE TABLE trades (ts TIMESTAMP, venue SYMBOL, symbol SYMBOL, price DOUBLE, size DECIMAL(18,8), aggressor SYMBOL, " +
      "trade_id VARCHAR, seq LONG, ts_init TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, venue, symbol, seq)",
  );
  const err = await declareTables(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, TableConflictError);
  const message = errorMessage(err);
  t.match(message, /table trades: column price is DOUBLE, declared DECIMAL\(18,8\)/);
  t.notMatch(message, /column size/, "matching columns are not reported");
  const price = rowsOf(await questdbSql(url, "SELECT \"column\", type FROM table_columns('trades') WHERE \"column\" = 'price'"));
  t.same(price, [{ column: "price", type: "DOUBLE" }], "the existing column keeps its type");
});

t.test("a table made before a column was declared gets the column on the next declaration", async (t) => {
  const url = await questdbFor(t);
  await questdbSql(
    url,
    "CREATE TABLE bars (ts TIMESTAMP, venue SYMBOL, symbol SYMBOL, bar_type SYMBOL, open DECIMAL(18,8), high DECIMAL(18,8), low DECIMAL(18,8), " +
      "close DECIMAL(18,8), volume DECIMAL(18,8), vwap DECIMAL(18,8), trades LONG, ts_init TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL " +
      "DEDUP UPSERT KEYS(ts, venue, symbol, bar_type)",
  );
  t.same(await declareTables(url), { tables: tables.map((x) => x.name) });
  // the ALTER goes through the table's WAL, applied asynchronously
  await walApplied(url, "bars");
  const cols = rowsOf(await questdbSql(url, "SELECT \"column\", type FROM table_columns('bars') WHERE \"column\" = 'ts_close'"));
  t.same(cols, [{ column: "ts_close", type: "TIMESTAMP" }]);
});

t.test("the tick tables keep tickRetentionDays and drop older days; a change applies to the existing tables", async (t) => {
  const url = await questdbFor(t);
  const ttl = async () =>
    Object.fromEntries(
      rowsOf(await questdbSql(url, "SELECT table_name, ttlValue, ttlUnit FROM tables()"))
        .filter((r) => ["quotes", "trades", "bars", "orders"].includes(String(r.table_name)))
        .map((r) => [r.table_name, Number(r.ttlValue) ? `${r.ttlValue} ${String(r.ttlUnit).replace(/S$/, "")}` : "none"]),
    );
  await declareTables(url, { tickRetentionDays: 2 });
  t.same(await ttl(), { quotes: "2 DAY", trades: "2 DAY", bars: "none", orders: "none" }, "created with the retention");
  await declareTables(url, { tickRetentionDays: 30 });
  t.same(await ttl(), { quotes: "30 DAY", trades: "30 DAY", bars: "none", orders: "none" }, "changed on the existing tables");
  await declareTables(url);
  t.same(await ttl(), { quotes: "none", trades: "none", bars: "none", orders: "none" }, "0: kept for good");

  await declareTables(url, { tickRetentionDays: 2 });
  const day = 86_400_000_000n;
  const now = BigInt(Date.now()) * 1000n;
  const quote = async (tsUs: bigint, seq: number) => {
    const sender = await openIlpSender(url);
    try {
      sender.table("quotes").symbol("venue", "SIM").symbol("symbol", "AAA").decimalColumn("bid", 100n, 8).intColumn("seq", seq);
      await sender.at(tsUs, "us");
      await sender.flush();
    } finally {
      await sender.close();
    }
    await walApplied(url, "quotes", { written: true });
  };
  await quote(now - 5n * day, 1);
  await quote(now - 1n * day, 2);
  await quote(now, 3);
  const seqs = rowsOf(await questdbSql(url, "SELECT seq FROM quotes ORDER BY seq")).map((r) => Number(r.seq));
  t.same(seqs, [2, 3], "the day five days back is dropped, yesterday's is kept");
});
