import type { NatsConnection } from "@nats-io/transport-node";
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { startFakeAlphaVantage } from "../../infra/feeds/alpha-vantage/testing.ts";
import { startFakeBinance } from "../../infra/feeds/binance/testing.ts";
import { startFakePolygon } from "../../infra/feeds/polygon/testing.ts";
import { capturingLogger, seededRandom } from "../../infra/feeds/testing.ts";
import { freePort } from "../../infra/local/ports.ts";
import { decodeMessage, type Message } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { parseSymbolMap, startVendorFeeds, type VendorFeed } from "./feed-adapters.ts";
import { startNodeProcess, startTestNode } from "./testing.ts";

const POLYGON_KEY = "pk_TEST_9f8e7d6c5b4a";
const AV_KEY = "AVKEY0123456789";

async function setup(t: { teardown(fn: () => unknown): void }, feed: VendorFeed, instrument: string) {
  const f = await startTestServers(t);
  const node = await startTestNode(t, f, { kinds: "supervisors/node/vendor-feed-test-kinds.ts", hangBudgetMs: 2000 });
  const raw: Message[] = [];
  const events: Message[] = [];
  collect(f.nc, subjects.feedAll(feed.spec.feed), raw);
  collect(f.nc, subjects.evtAll("vendor-feed"), events);
  await f.nc.flush();
  await node.ensure({ kind: "instrument", id: instrument });
  const { logger, lines } = capturingLogger();
  const feeds = await startVendorFeeds({
    nc: f.nc,
    feeds: [feed],
    log: logger,
    ensure: (r) => node.ensure(r),
    hosts: (r) => node.hosts(r),
  });
  t.teardown(() => feeds.stop());
  const describe = async (kind: string, id: string) =>
    (await node.describe({ kind, id })) as { state?: string; context?: Record<string, unknown> };
  return { f, node, raw, events, lines, describe };
}

function collect(nc: NatsConnection, subject: string, into: Message[]): void {
  // domain events have no registered schema: read them as they come
  nc.subscribe(subject, { callback: (_e, m) => void into.push(decodeMessage(m.data, m.headers, false).message) });
}

const ofType = (ms: Message[], type: string) => ms.filter((m) => m.type === type);

t.test("symbol maps name the vendor symbol and the instrument, with a default venue", async (t) => {
  t.same(
    [...parseSymbolMap("AAPL=AAPL.XNAS, MSFT", "XNAS", "AM_POLYGON_SYMBOLS")],
    [
      ["AAPL", "AAPL.XNAS"],
      ["MSFT", "MSFT.XNAS"],
    ],
  );
  t.throws(() => parseSymbolMap("AAPL=AAPL", "XNAS", "AM_POLYGON_SYMBOLS"), /AM_POLYGON_SYMBOLS/);
});

t.test(
  "a Polygon feed actor streams to the instrument, reconnects after a drop with no duplicate and no gap, and opens then closes its breaker",
  async (t) => {
    const fake = await startFakePolygon(await freePort(), { apiKey: POLYGON_KEY, replayOnSubscribe: 4, pageSize: 3 });
    t.teardown(() => fake.close());
    const feed: VendorFeed = {
      spec: { feed: "polygon", apiKey: POLYGON_KEY, restUrl: fake.baseUrl, wsUrl: fake.wsUrl, tickers: ["AAPL"], channels: ["T", "Q"] },
      instruments: parseSymbolMap("AAPL=AAPL.XNAS", "XNAS", "test"),
    };
    const s = await setup(t, feed, "AAPL.XNAS");
    await eventually("the adapter's session to subscribe", () => fake.liveClients === 1);
    fake.publish("AAPL", 5);
    await eventually("5 raw trades", () => ofType(s.raw, "RawTrade").length === 5);
    t.match(s.raw[0], { instrument: "AAPL.XNAS" }, "vendor AAPL feeds the instrument AAPL.XNAS");

    // the network drops; what happens while down is fetched over REST after the reconnect
    fake.dropConnections();
    fake.publish("AAPL", 4);
    await eventually(
      "the actor to count a reconnect",
      async () => ((await s.describe("vendor-feed", "polygon")).context?.reconnects as number) >= 1,
    );
    await eventually("the reconnected session", () => fake.liveClients === 1);
    fake.publish("AAPL", 3);
    await eventually("12 raw trades", () => ofType(s.raw, "RawTrade").length >= 12);
    await eventually("12 raw quotes", () => ofType(s.raw, "RawQuote").length >= 12);
    await new Promise((r) => setTimeout(r, 200));
    const sent = fake.events.filter((e) => e.ev === "T").map((e) => (e as { i: string }).i);
    const got = ofType(s.raw, "RawTrade").map((m) => m.tradeId as string);
    t.same(got, sent, "every trade exactly once, in order: no duplicate (replayed overlap dropped), no gap (backfilled)");
    const quoteSeqs = ofType(s.raw, "RawQuote").map((m) => m.seq as number);
    t.same(
      quoteSeqs,
      fake.events.filter((e) => e.ev === "Q").map((e) => e.q),
    );
    await eventually("the instrument to accept the vendor's quotes and trades", async () => {
      const d = await s.describe("instrument", "AAPL.XNAS");
      return ((d.context?.counters as { accepted?: number })?.accepted ?? 0) >= 24 ? d : undefined;
    });

    // repeated refused handshakes open the breaker; after the cool-off one half-open try gets through
    // the drop is the first failure, two refused handshakes make three: the circuit opens; the half-open try succeeds
    fake.refuse(2);
    fake.dropConnections();
    await eventually("the circuit to open", () => ofType(s.events, "FeedCircuitOpened").length === 1);
    await eventually("the half-open try to close it", () => ofType(s.events, "FeedCircuitClosed").length === 1, { timeoutMs: 10_000 });
    const d = await eventually("streaming again", async () => {
      const x = await s.describe("vendor-feed", "polygon");
      return x.state === "streaming" ? x : undefined;
    });
    t.match(d.context, { breaker: "closed", circuitOpened: 1 });
    t.ok((d.context?.failures as number) >= 3, "the refused handshakes were counted");

    const logs = s.lines.join("\n");
    t.match(logs, /vendor feed down/, "the drop was logged");
    t.notOk(logs.includes(POLYGON_KEY), "the API key never appears in the logs");
    t.notOk(JSON.stringify(d).includes(POLYGON_KEY), "nor in the actor's state");
  },
);

t.test("an Alpha Vantage rate-limit reply sends the actor to backoff; it retries and delivers each bar once", async (t) => {
  const fake = await startFakeAlphaVantage(await freePort(), { apiKey: AV_KEY, compactSize: 5 });
  t.teardown(() => fake.close());
  fake.addBars("IBM", 3);
  fake.answerNext("note");
  const feed: VendorFeed = {
    spec: {
      feed: "alpha-vantage",
      apiKey: AV_KEY,
      baseUrl: fake.baseUrl,
      symbols: ["IBM"],
      series: { fn: "TIME_SERIES_INTRADAY", interval: "5min" },
      pollMs: 50,
    },
    instruments: parseSymbolMap("IBM=IBM.XNYS", "XNAS", "test"),
  };
  const s = await setup(t, feed, "IBM.XNYS");
  await eventually("the first 3 bars", () => ofType(s.raw, "RawTrade").length === 3);
  const d = await s.describe("vendor-feed", "alpha-vantage");
  t.match(d.context, { lastError: { reason: "RATE_LIMITED" } }, "the rate-limit reply was a failure the actor backed off from");
  t.ok((d.context?.failures as number) >= 1);
  fake.addBars("IBM", 8); // more than the compact window: the adapter must ask for the full series
  fake.answerNext("information");
  await eventually("11 bars", () => ofType(s.raw, "RawTrade").length === 11, { timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 200));
  const ids = ofType(s.raw, "RawTrade").map((m) => m.tradeId as string);
  t.equal(new Set(ids).size, 11, "no bar twice");
  await eventually(
    "the in-session rate limit counted as a drop",
    async () => ((await s.describe("vendor-feed", "alpha-vantage")).context?.reconnects as number) >= 1,
  );
  t.notOk(s.lines.join("\n").includes(AV_KEY), "the API key never appears in the logs");
});

t.test("a Binance L2 feed resyncs from a new snapshot after a drop and the instrument's book stays in sequence", async (t) => {
  const fake = await startFakeBinance(await freePort(), { symbols: ["BTCUSDT"], random: seededRandom(5) });
  t.teardown(() => fake.close());
  const feed: VendorFeed = {
    spec: { feed: "binance", restUrl: fake.baseUrl, wsUrl: fake.wsUrl, symbols: ["BTCUSDT"] },
    instruments: parseSymbolMap("BTCUSDT", "BINANCE", "test"),
  };
  const s = await setup(t, feed, "BTCUSDT.BINANCE");
  await eventually("the depth stream", () => fake.liveClients === 1);
  const snapshots = () => ofType(s.raw, "RawBookUpdate").filter((m) => m.kind === "snapshot").length;
  fake.publish("BTCUSDT", 1); // the first event makes the connector fetch a snapshot
  await eventually("the first snapshot", () => snapshots() === 1);
  fake.publish("BTCUSDT", 5);
  await eventually("deltas after the snapshot", () => ofType(s.raw, "RawBookUpdate").length >= 4);
  fake.dropConnections();
  fake.publish("BTCUSDT", 3); // missed while down: the new snapshot covers them
  await eventually("the reconnected stream", () => fake.connections === 2 && fake.liveClients === 1);
  fake.publish("BTCUSDT", 1);
  await eventually("a second snapshot (resync)", () => snapshots() === 2);
  const before = ofType(s.raw, "RawBookUpdate").length;
  fake.publish("BTCUSDT", 5);
  await eventually("deltas after the resync", () => ofType(s.raw, "RawBookUpdate").length >= before + 3);
  await new Promise((r) => setTimeout(r, 200));
  const book = ofType(s.raw, "RawBookUpdate");
  let last = -1;
  for (const m of book) {
    if (m.kind === "snapshot") t.ok((m.seq as number) > last, "a snapshot never goes back");
    else t.equal(m.seq, last + 1, "each delta follows the one before");
    last = m.seq as number;
  }
  const inst = await eventually("the instrument's book to follow", async () => {
    const d = await s.describe("instrument", "BTCUSDT.BINANCE");
    const c = d.context as { bookSynced?: boolean; bookSeq?: number } | undefined;
    return c?.bookSynced && c.bookSeq === last ? c : undefined;
  });
  t.match(inst, { counters: { gaps: 0 } });
  // progress reaches the actor once a second
  await eventually("the actor to count a reconnect and two snapshots", async () => {
    const c = (await s.describe("vendor-feed", "binance")).context;
    return (c?.reconnects as number) >= 1 && (c?.resyncs as number) >= 2;
  });
});

t.test("the node process runs the configured vendor feeds (AM_FEEDS) and never logs their API keys", async (t) => {
  const fake = await startFakePolygon(await freePort(), { apiKey: POLYGON_KEY });
  t.teardown(() => fake.close());
  const f = await startTestServers(t);
  const raw: Message[] = [];
  collect(f.nc, subjects.feedAll("polygon"), raw);
  const node = startNodeProcess(t, "feeds-node", {
    AM_NATS_URL: f.infra.natsUrl,
    AM_CELLS: "1",
    AM_LOG_LEVEL: "debug",
    AM_FEEDS: "polygon",
    AM_POLYGON_API_KEY: POLYGON_KEY,
    AM_POLYGON_REST_URL: fake.baseUrl,
    AM_POLYGON_WS_URL: fake.wsUrl,
    AM_POLYGON_SYMBOLS: "AAPL=AAPL.XNAS",
  });
  await node.waitFor(/vendor feeds started/);
  await eventually("the node's Polygon session", () => fake.liveClients === 1, { timeoutMs: 15_000 });
  fake.publish("AAPL", 3);
  await eventually("raw trades from the node's adapter", () => ofType(raw, "RawTrade").length === 3);
  fake.dropConnections();
  await node.waitFor(/vendor feed down/);
  await eventually("the reconnect", () => fake.connections >= 2 && fake.liveClients === 1, { timeoutMs: 15_000 });
  node.proc.kill("SIGTERM");
  await node.exited;
  t.ok(node.output.length > 10, "the node logged");
  t.notOk(node.output.join("\n").includes(POLYGON_KEY), "the API key is not in the node's output");
});

t.test("a feed configured on two nodes has one vendor session, on the node running its actor, and moves with the actor", async (t) => {
  const fake = await startFakePolygon(await freePort(), { apiKey: POLYGON_KEY });
  t.teardown(() => fake.close());
  const feed: VendorFeed = {
    spec: { feed: "polygon", apiKey: POLYGON_KEY, restUrl: fake.baseUrl, wsUrl: fake.wsUrl, tickers: ["AAPL"], channels: ["T"] },
    instruments: parseSymbolMap("AAPL=AAPL.XNAS", "XNAS", "test"),
  };
  const f = await startTestServers(t);
  const actor = { kind: "vendor-feed", id: "polygon" };
  const nodes = await Promise.all(
    ["n1", "n2"].map(async (name) => {
      const node = await startTestNode(t, f, { node: name, kinds: "supervisors/node/vendor-feed-test-kinds.ts", hangBudgetMs: 2000 });
      const feeds = await startVendorFeeds({
        nc: f.nc,
        feeds: [feed],
        log: createLogger({ level: "error" }),
        ensure: (r) => node.ensure(r),
        hosts: (r) => node.hosts(r),
      });
      t.teardown(() => feeds.stop());
      // the node leaves: its feeds and its actors stop (stopping again at teardown does nothing more)
      const leave = async () => {
        await feeds.stop();
        await node.stop();
      };
      return { node, leave };
    }),
  );
  await eventually(
    "the feed's actor placed and its session subscribed",
    () => nodes.some((n) => n.node.hosts(actor)) && fake.liveClients === 1,
  );
  await sleep(1_500); // both adapters heard the actor's connect long ago: a second session would be here by now
  t.equal(fake.liveClients, 1, "one vendor session, not one per node");
  const owner = nodes.find((n) => n.node.hosts(actor))!;
  const other = nodes.find((n) => n !== owner)!;
  t.equal(nodes.filter((n) => n.node.hosts(actor)).length, 1, "one node runs the feed's actor");

  await owner.leave();
  await eventually("the other node running the actor with its own session", () => other.node.hosts(actor) && fake.liveClients === 1, {
    timeoutMs: 30_000,
  });
  await sleep(1_500);
  t.equal(fake.liveClients, 1, "still one session after the move");
});
