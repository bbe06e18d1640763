import t from "tap";
import { ilpLine } from "./ilp-writer.ts";
import type { Row } from "./rows.ts";

const row = (over: Partial<Row>): Row => ({
  table: "quotes",
  ts: 1_700_000_000_000_000,
  symbols: [],
  decimals: [],
  longs: [],
  strings: [],
  times: [],
  ...over,
});

t.test("a row is one ILP line: symbols, exact decimals, longs, strings, timestamps, the designated time in ns", async (t) => {
  t.equal(
    ilpLine(
      row({
        symbols: [
          ["venue", "XNYS"],
          ["symbol", "BRK.B"],
          ["side", undefined],
        ],
        decimals: [
          ["bid", 10_025_000_000],
          ["ask", undefined],
        ],
        longs: [["seq", 7]],
        strings: [["trade_id", "t-1"]],
        times: [["ts_init", 1_700_000_000_000_005]],
      }),
    ),
    'quotes,venue=XNYS,symbol=BRK.B bid=100.25000000d,seq=7i,trade_id="t-1",ts_init=1700000000000005t 1700000000000000000\n',
  );
});

t.test("decimals are exact at every magnitude and sign", async (t) => {
  const one = (units: number) => ilpLine(row({ decimals: [["x", units]] })).split(" ")[1]!;
  t.equal(one(0), "x=0.00000000d");
  t.equal(one(1), "x=0.00000001d");
  t.equal(one(-150_000_000), "x=-1.50000000d");
  t.equal(one(99_999_999), "x=0.99999999d");
  t.equal(one(Number.MAX_SAFE_INTEGER), "x=90071992.54740991d");
  t.equal(one(8_999_999_999_999_999), "x=89999999.99999999d");
});

t.test("values with ILP's special characters are escaped", async (t) => {
  t.equal(
    ilpLine(row({ symbols: [["strategy", "a b,c=d\\e"]], longs: [["seq", 1]] })),
    "quotes,strategy=a\\ b\\,c\\=d\\\\e seq=1i 1700000000000000000\n",
  );
  t.equal(ilpLine(row({ strings: [["reason", 'say "no"\\']] })), 'quotes reason="say \\"no\\"\\\\" 1700000000000000000\n');
});

t.test("a value no column can carry is refused with the table and column", async (t) => {
  t.throws(() => ilpLine(row({ decimals: [["bid", 1.5]] })), { name: "TypeError", message: /quotes\.bid: 1\.5/ });
  t.throws(() => ilpLine(row({ longs: [["seq", 2 ** 60]] })), { name: "TypeError", message: /quotes\.seq/ });
  t.throws(() => ilpLine(row({ symbols: [["venue", "X"]] })), { name: "TypeError", message: /non-symbol column/ });
});
