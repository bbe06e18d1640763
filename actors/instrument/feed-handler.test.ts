import t from "tap";
import { TradingStatus } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { FeedHandler, type RawFeedInput, FeedRejectReason, type TradingHours, US_PER_DAY, US_PER_MINUTE, demoUniverse } from "./index.ts";

const [def] = demoUniverse(1);
const id = def!.id;
const P = 1_000_000; // one tick, 0.01
const L = 100_000_000; // one lot
const quote = (o: Partial<Record<string, unknown>> = {}) =>
  ({
    type: "RawQuote",
    instrument: id,
    bid: 100 * 100 * P,
    bidSize: 5 * L,
    ask: 10_001 * P,
    askSize: 3 * L,
    tsEvent: 10,
    tsInit: 10,
    ...o,
  }) as unknown as RawFeedInput;
const trade = (o: Partial<Record<string, unknown>> = {}) =>
  ({
    type: "RawTrade",
    instrument: id,
    price: 10_000 * P,
    size: 2 * L,
    aggressor: "BUY",
    tradeId: "t1",
    tsEvent: 10,
    tsInit: 10,
    ...o,
  }) as unknown as RawFeedInput;

function run(items: unknown[], h = new FeedHandler({ definition: def!, feedSource: "sim" })) {
  const out: Emitted[] = [];
  for (const i of items) h.process(i, 1_000, out);
  const messages = out.map((e) => (e.type === "publish" ? e.message : { type: "?" }));
  return { h, out, messages, rejected: messages.filter((m) => m.type === "FeedRejected").map((m) => m.reason) };
}

t.test("publishes a valid quote as a normalised Quote with its own sequence", async (t) => {
  const { messages, h } = run([quote(), quote({ tsEvent: 11 })]);
  const quotes = messages.filter((m) => m.type === "Quote");
  t.equal(quotes.length, 2);
  t.same(
    quotes.map((q) => q.seq),
    [1, 2],
  );
  t.notOk("crossed" in quotes[0]!);
  t.equal(h.bid, 10_000 * P);
  t.equal(h.counters.accepted, 2);
});

const cases: [string, RawFeedInput, FeedRejectReason][] = [
  ["a zero bid", quote({ bid: 0 }), FeedRejectReason.NonPositivePrice],
  ["a negative trade price", trade({ price: -P }), FeedRejectReason.NonPositivePrice],
  ["a price off the tick grid", quote({ ask: 10_001 * P + 1 }), FeedRejectReason.OffTickGrid],
  ["a size off the lot grid", trade({ size: L / 2 }), FeedRejectReason.OffLotGrid],
  ["a negative quote size", quote({ bidSize: -L }), FeedRejectReason.InvalidSize],
  ["a zero trade size", trade({ size: 0 }), FeedRejectReason.InvalidSize],
  ["a float price", quote({ bid: 100.5 }), FeedRejectReason.Malformed],
  ["a missing timestamp", trade({ tsEvent: undefined }), FeedRejectReason.Malformed],
  ["an unknown aggressor", trade({ aggressor: "MAYBE" }), FeedRejectReason.Malformed],
  ["another instrument", quote({ instrument: "OTHER.SIMX" }), FeedRejectReason.WrongInstrument],
  ["an unknown type", { type: "RawNews" } as unknown as RawFeedInput, FeedRejectReason.UnknownType],
];
for (const [what, item, reason] of cases) {
  t.test(`rejects ${what} with ${reason} and dead-letters it`, async (t) => {
    const { out, rejected, h } = run([item]);
    t.same(rejected, [reason]);
    t.equal(h.counters.rejected[reason], 1);
    const dlq = out.find((e) => e.type === "publish" && e.message.type === "FeedRejected");
    t.equal(dlq?.type === "publish" && dlq.subject, "am.dlq.instrument.SIMX.SIM001");
    t.equal(dlq?.type === "publish" && dlq.message.input, item);
    t.equal(h.counters.accepted, 0);
  });
}

t.test("rejects a quote or trade whose timestamp goes backwards on its channel", async (t) => {
  const { rejected, h } = run([
    quote({ tsEvent: 20 }),
    quote({ tsEvent: 19 }),
    trade({ tsEvent: 5 }),
    trade({ tsEvent: 4, tradeId: "t2" }),
  ]);
  t.same(rejected, [FeedRejectReason.TimestampBackwards, FeedRejectReason.TimestampBackwards]);
  t.equal(h.counters.accepted, 2, "trades keep their own clock");
});

t.test("flags and counts a crossed or locked quote instead of passing it silently", async (t) => {
  const { messages, h } = run([quote({ bid: 10_001 * P }), quote({ bid: 10_002 * P, tsEvent: 11 })]);
  const quotes = messages.filter((m) => m.type === "Quote");
  t.same(
    quotes.map((q) => q.crossed),
    [true, true],
  );
  t.equal(h.counters.crossed, 2);
});

t.test("rejects a trade that repeats the previous trade id", async (t) => {
  const { rejected } = run([trade(), trade({ tsEvent: 11 })]);
  t.same(rejected, [FeedRejectReason.DuplicateTrade]);
});

t.test("rejects quotes and trades while closed, and trades while halted, but passes indicative quotes", async (t) => {
  const hours: TradingHours = { weekdays: [1, 2, 3, 4, 5], sessions: [{ open: 870, close: 1260 }], preOpenMinutes: 30 };
  const h = new FeedHandler({ definition: { ...def!, tradingHours: hours }, feedSource: "sim" });
  const monday = 4 * US_PER_DAY;
  const out: Emitted[] = [];
  const at = (m: number) => monday + m * US_PER_MINUTE;
  h.process(quote({ tsEvent: at(100) }), at(100), out);
  h.process(trade({ tsEvent: at(100) }), at(100), out);
  h.process(quote({ tsEvent: at(850) }), at(850), out);
  h.process(trade({ tsEvent: at(850), tradeId: "t2" }), at(850), out);
  h.process(trade({ tsEvent: at(900), tradeId: "t3" }), at(900), out);
  h.process({ type: "RawStatus", instrument: id, action: "HALT", tsEvent: at(901), tsInit: at(901) }, at(901), out);
  h.process(quote({ tsEvent: at(902) }), at(902), out);
  h.process(trade({ tsEvent: at(902), tradeId: "t4" }), at(902), out);
  const msgs = out.map((e) => (e.type === "publish" ? e.message : { type: "?" }));
  t.same(
    msgs.filter((m) => m.type === "FeedRejected").map((m) => m.reason),
    [FeedRejectReason.MarketClosed, FeedRejectReason.MarketClosed, FeedRejectReason.NotTrading, FeedRejectReason.NotTrading],
  );
  t.same(
    msgs.filter((m) => m.type === "InstrumentStatus").map((m) => m.status),
    [TradingStatus.Closed, TradingStatus.PreOpen, TradingStatus.Open, TradingStatus.Halted],
  );
  t.equal(msgs.filter((m) => m.type === "Quote").length, 2, "pre-open and halted quotes pass");
  t.equal(msgs.filter((m) => m.type === "Trade").length, 1);
});

t.test("closes a time bar on a Tick when the instrument goes quiet", async (t) => {
  const h = new FeedHandler({ definition: def!, feedSource: "sim", barTypes: ["1s"] });
  const out: Emitted[] = [];
  h.process(trade({ tsEvent: 1_500_000 }), 1_500_000, out);
  h.tick(1_999_999, out);
  t.equal(out.filter((e) => e.type === "publish" && e.message.type === "Bar").length, 0, "not before the interval ends");
  h.tick(2_000_000, out);
  const bars = out.filter((e) => e.type === "publish" && e.message.type === "Bar");
  t.equal(bars.length, 1);
  const bar = bars[0]!.type === "publish" ? bars[0]!.message : {};
  t.match(bar, { barType: "1s", tsOpen: 1_000_000, tsEvent: 2_000_000, open: 10_000 * P, vwap: 10_000 * P, volume: 2 * L, trades: 1 });
  h.process(trade({ tsEvent: 1_900_000, tradeId: "late" }), 2_000_001, out);
  t.equal(h.counters.lateTrades, 1, "a trade for a closed bar is counted late");
});
