import t from "tap";
import { formatFixed } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import type { RawBook, RawFeedRecord } from "../record.ts";
import { capturingLogger, fastBackoff, seededRandom } from "../testing.ts";
import { eventually } from "../../../test/testing.ts";
import { BinanceDepth } from "./depth.ts";
import { startFakeBinance } from "./testing.ts";

async function setup(t: { teardown(fn: () => unknown): void }, symbols = ["BTCUSDT"]) {
  const fake = await startFakeBinance(await freePort(), { symbols: ["BTCUSDT", "ETHUSDT"], random: seededRandom(3) });
  const records: RawFeedRecord[] = [];
  const issues: FeedIssue[] = [];
  const { logger, lines } = capturingLogger();
  const depth = new BinanceDepth({
    symbols,
    wsUrl: fake.wsUrl,
    restUrl: fake.baseUrl,
    onRecord: (r) => records.push(r),
    onIssue: (i) => issues.push(i),
    logger,
    backoff: fastBackoff,
    breaker: { failureThreshold: 3, openMs: 30 },
    random: seededRandom(11),
  });
  t.teardown(async () => {
    await depth.stop();
    await fake.close();
  });
  return { fake, depth, records, issues, lines };
}

/**
 * Rebuilds a book from delivered records the way the instrument actor will, and checks the sequence on the way:
 * after each snapshot, the first delta covers snapshot + 1 and every next delta starts at previous + 1.
 */
function replay(records: RawFeedRecord[], instrument: string) {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  let last = -1;
  let afterSnapshot = false;
  const violations: string[] = [];
  let snapshots = 0;
  for (const r of records) {
    if (r.kind !== "book" || r.instrument !== instrument) continue;
    const b = r as RawBook;
    if (b.update === "snapshot") {
      snapshots += 1;
      bids.clear();
      asks.clear();
      last = b.seq;
      afterSnapshot = true;
    } else {
      const U = b.firstSeq ?? -1;
      const ok = afterSnapshot ? U <= last + 1 && last + 1 <= b.seq : U === last + 1;
      if (!ok) violations.push(`${U}..${b.seq} after ${last}`);
      last = b.seq;
      afterSnapshot = false;
    }
    for (const [p, q] of b.bids) q === 0 ? bids.delete(p) : bids.set(p, q);
    for (const [p, q] of b.asks) q === 0 ? asks.delete(p) : asks.set(p, q);
  }
  const side = (m: Map<number, number>, desc: boolean) =>
    [...m.entries()].sort((x, y) => (desc ? y[0] - x[0] : x[0] - y[0])).map(([p, q]) => [formatFixed(p), formatFixed(q)]);
  return { bids: side(bids, true), asks: side(asks, false), last, violations, snapshots };
}
const caughtUp = (fake: Awaited<ReturnType<typeof setup>>["fake"], records: RawFeedRecord[], symbol: string): boolean =>
  records.some((r) => r.instrument === `${symbol}.BINANCE` && r.seq === fake.book(symbol).lastUpdateId);
const trueBook = (fake: Awaited<ReturnType<typeof setup>>["fake"], symbol: string) => {
  const b = fake.book(symbol);
  const norm = (l: [string, string][]) =>
    l.map(([p, q]) => [formatFixed(Math.round(Number(p) * 1e8)), formatFixed(Math.round(Number(q) * 1e8))]);
  return { bids: norm(b.bids), asks: norm(b.asks), last: b.lastUpdateId };
};

t.test("a snapshot then contiguous deltas rebuild exactly the exchange's book", async (t) => {
  const { fake, depth, records } = await setup(t);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.publish("BTCUSDT", 5);
  await eventually("snapshot", () => caughtUp(fake, records, "BTCUSDT"));
  fake.publish("BTCUSDT", 30);
  await eventually("last update", () => caughtUp(fake, records, "BTCUSDT"));
  t.ok(records.filter((r) => r.kind === "book" && r.update === "delta").length >= 30, "deltas after the snapshot");
  const got = replay(records, "BTCUSDT.BINANCE");
  const want = trueBook(fake, "BTCUSDT");
  t.same(got.violations, []);
  t.equal(got.snapshots, 1);
  t.same({ bids: got.bids, asks: got.asks, last: got.last }, want);
  t.equal(records[0]?.kind === "book" ? records[0].update : "", "snapshot");
});

t.test("a connection killed mid-stream resyncs from a new snapshot with no gap and no delta twice", async (t) => {
  const { fake, depth, records } = await setup(t, ["BTCUSDT", "ETHUSDT"]);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.publish("BTCUSDT", 10);
  fake.publish("ETHUSDT", 10);
  await eventually("books live", () => caughtUp(fake, records, "BTCUSDT") && caughtUp(fake, records, "ETHUSDT"));
  fake.dropConnections();
  fake.publish("BTCUSDT", 7); // missed while down
  await eventually("reconnect", () => fake.connections === 2 && fake.liveClients === 1);
  fake.publish("BTCUSDT", 10);
  fake.publish("ETHUSDT", 5);
  await eventually("books live again", () => caughtUp(fake, records, "BTCUSDT") && caughtUp(fake, records, "ETHUSDT"));
  fake.publish("BTCUSDT", 10);
  fake.publish("ETHUSDT", 5);
  for (const s of ["BTCUSDT", "ETHUSDT"]) {
    await eventually(`${s} caught up`, () => records.some((r) => r.instrument === `${s}.BINANCE` && r.seq === fake.book(s).lastUpdateId));
    const got = replay(records, `${s}.BINANCE`);
    t.same(got.violations, [], `${s}: every delta follows the one before`);
    t.equal(got.snapshots, 2, `${s}: one snapshot per connection`);
    t.same({ bids: got.bids, asks: got.asks, last: got.last }, trueBook(fake, s), `${s}: same book as the exchange`);
  }
  t.equal(depth.stats().reconnects, 1);
});

t.test("a sequence gap in the stream is detected and repaired by a resync", async (t) => {
  const { fake, depth, records, issues } = await setup(t);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.publish("BTCUSDT", 5);
  await eventually("book live", () => caughtUp(fake, records, "BTCUSDT"));
  fake.skip(2);
  fake.publish("BTCUSDT", 8);
  await eventually("caught up", () => records[records.length - 1]?.seq === fake.book("BTCUSDT").lastUpdateId);
  const got = replay(records, "BTCUSDT.BINANCE");
  t.same(got.violations, []);
  t.equal(got.snapshots, 2);
  t.same({ bids: got.bids, asks: got.asks, last: got.last }, trueBook(fake, "BTCUSDT"));
  t.equal(depth.stats().resyncs, 1);
  t.ok(issues.some((i) => i.reason === FeedErrorReason.Gap && /does not follow/.test(i.detail)));
});

t.test("a rate-limited snapshot is retried after Retry-After", async (t) => {
  const { fake, depth, records } = await setup(t);
  fake.rateLimit(2);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.publish("BTCUSDT", 3);
  await eventually("book live", () => records.length > 0 && records[records.length - 1]!.seq === fake.book("BTCUSDT").lastUpdateId);
  t.equal(depth.stats().rateLimited, 2);
  t.same(replay(records, "BTCUSDT.BINANCE").violations, []);
});

t.test("an invalid symbol is reported with Binance's message and that symbol stops", async (t) => {
  const { fake, depth, issues, records } = await setup(t, ["BTCUSDT", "NOPEUSDT"]);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.sendRaw(
    JSON.stringify({ stream: "nopeusdt@depth@100ms", data: { e: "depthUpdate", E: 1, s: "NOPEUSDT", U: 1, u: 1, b: [], a: [] } }),
  );
  await eventually("vendor error", () => issues.some((i) => i.reason === FeedErrorReason.VendorError));
  t.match(issues.find((i) => i.reason === FeedErrorReason.VendorError)?.detail ?? "", /-1121.*Invalid symbol/);
  fake.publish("BTCUSDT", 2);
  await eventually("the other symbol still flows", () => records.some((r) => r.instrument === "BTCUSDT.BINANCE"));
  t.pass();
});

t.test("malformed stream messages are counted and reported, not thrown", async (t) => {
  const { fake, depth, records, issues } = await setup(t);
  await depth.start();
  await eventually("stream open", () => fake.liveClients === 1);
  fake.sendRaw("garbage");
  fake.sendRaw(JSON.stringify({ stream: "btcusdt@depth@100ms", data: { e: "depthUpdate", s: "BTCUSDT", U: 5 } }));
  fake.sendRaw(
    JSON.stringify({ stream: "btcusdt@depth@100ms", data: { e: "depthUpdate", E: 1, s: "BTCUSDT", U: 5, u: 6, b: [["1.0", "x"]], a: [] } }),
  );
  fake.publish("BTCUSDT", 3);
  await eventually("book live", () => records.length > 0 && records[records.length - 1]!.seq === fake.book("BTCUSDT").lastUpdateId);
  t.equal(depth.stats().malformed, 3);
  t.equal(issues.filter((i) => i.reason === FeedErrorReason.Malformed).length, 3);
  t.match(issues.map((i) => i.detail).join("\n"), /b\[0\]\.qty/);
});
