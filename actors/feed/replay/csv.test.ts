import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { CsvError, csvFileRecords, parseReplayCsv } from "./index.ts";

t.test("quotes, trades and bars are read with exact fixed-point values and microsecond times", async (t) => {
  t.same(
    parseReplayCsv("ts,instrument,bid,bid_size,ask,ask_size,seq\n1760000000000001,BRK.B.XNYS,90071992.54740991,0.00000001,100.25,1.5,7\n"),
    [
      {
        type: "RawQuote",
        instrument: "BRK.B.XNYS",
        bid: 9_007_199_254_740_991,
        bidSize: 1,
        ask: 10_025_000_000,
        askSize: 150_000_000,
        seq: 7,
        tsEvent: 1_760_000_000_000_001,
        tsInit: 1_760_000_000_000_001,
      },
    ],
  );
  t.same(parseReplayCsv("instrument,ts,price,size,aggressor,trade_id\r\nABC.SIM,2025-10-09T08:53:20.000123Z,10.5,3,sell,X-1\r\n\r\n"), [
    {
      type: "RawTrade",
      instrument: "ABC.SIM",
      price: 1_050_000_000,
      size: 300_000_000,
      aggressor: "SELL",
      tradeId: "X-1",
      tsEvent: 1_760_000_000_000_123,
      tsInit: 1_760_000_000_000_123,
    },
  ]);
  t.same(
    parseReplayCsv(
      "ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n60000000,120000000,ABC.SIM,1m,1,2,0.5,1.5,10,1.25,4\n",
    ),
    [
      {
        type: "Bar",
        instrument: "ABC.SIM",
        barType: "1m",
        tsOpen: 60_000_000,
        open: 100_000_000,
        high: 200_000_000,
        low: 50_000_000,
        close: 150_000_000,
        volume: 1_000_000_000,
        vwap: 125_000_000,
        trades: 4,
        tsEvent: 120_000_000,
        tsInit: 120_000_000,
      },
    ],
  );
});

const errorOf = (text: string): CsvError => {
  try {
    parseReplayCsv(text, "day.csv");
  } catch (e) {
    if (e instanceof CsvError) return e;
    throw e;
  }
  throw new Error("no error");
};

t.test("a bad value is reported by file, line and column", async (t) => {
  const header = "ts,instrument,bid,bid_size,ask,ask_size\n";
  const e = errorOf(`${header}1,ABC.SIM,1,1,1,1\n\n2,ABC.SIM,1.123456789,1,1,1\n`);
  t.equal(e.line, 4, "blank lines count");
  t.equal(e.column, "bid");
  t.match(e.message, /^day\.csv line 4, column bid: bid: 1\.123456789 has more than 8 decimals$/);
  t.match(errorOf(`${header}1,ABC.SIM,abc,1,1,1\n`).message, /line 2, column bid: .*not a decimal number/);
  t.match(
    errorOf(`${header}yesterday,ABC.SIM,1,1,1,1\n`).message,
    /line 2, column ts: "yesterday" is neither integer microseconds nor an ISO 8601 UTC time/,
  );
  t.match(errorOf(`${header}1,X'; DROP TABLE quotes;--.SIMX,1,1,1,1\n`).message, /line 2, column instrument: instrument id/);
  t.match(errorOf(`${header}1,ABC.SIM,1,1,1\n`).message, /line 2: has 5 fields, the header has 6/);
  t.match(
    errorOf("ts,instrument,price,size,aggressor,trade_id\n1,ABC.SIM,1,1,UP,T\n").message,
    /line 2, column aggressor: "UP" is not BUY, SELL or NONE/,
  );
});

t.test("a header that names no known layout, an unknown column or a missing one is reported on line 1", async (t) => {
  t.match(errorOf("a,b,c\n").message, /^day\.csv line 1: header "a,b,c" is not of quotes/);
  t.match(errorOf("ts,instrument,bid,bid_size,ask,ask_size,colour\n").message, /line 1, column colour: unknown column for quotes/);
  t.match(errorOf("ts,instrument,bid,ask\n").message, /line 1: the header lacks bid_size, ask_size/);
});

t.test("a file is read as a stream with the same line numbers", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-csv-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "trades.csv");
  writeFileSync(file, "ts,instrument,price,size,aggressor,trade_id\n1,ABC.SIM,1,1,BUY,a\n2,ABC.SIM,1,-,BUY,b\n");
  const seen: string[] = [];
  await t.rejects(
    (async () => {
      for await (const r of csvFileRecords(file)) if (r.type === "RawTrade") seen.push(r.tradeId);
    })(),
    { name: "CsvError", line: 3, column: "size", file },
  );
  t.same(seen, ["a"], "records before the bad line were delivered");
});
