import t from "tap";
import { parseFixed } from "../../../actors/domain/index.ts";
import { freePort } from "../../local/ports.ts";
import { FeedError, FeedErrorReason, type FeedIssue } from "../feed-error.ts";
import type { RawFeedRecord } from "../record.ts";
import { capturingLogger, fastBackoff, seededRandom } from "../testing.ts";
import { eventually } from "../../../test/testing.ts";
import { type FakePolygonOptions, startFakePolygon } from "./testing.ts";
import { PolygonStream, type PolygonStreamOptions } from "./stream.ts";

const KEY = "pk_live_STREAMSECRET9";
const SUBS = ["T.AAPL", "Q.AAPL", "AM.AAPL"];

async function setup(
  t: { teardown(fn: () => unknown): void },
  fakeOpts: Partial<FakePolygonOptions> = {},
  streamOpts: Partial<PolygonStreamOptions> = {},
) {
  const fake = await startFakePolygon(await freePort(), { apiKey: KEY, pageSize: 3, ...fakeOpts });
  const records: RawFeedRecord[] = [];
  const issues: FeedIssue[] = [];
  const { logger, lines } = capturingLogger();
  const stream = new PolygonStream({
    apiKey: KEY,
    subscriptions: SUBS,
    wsUrl: fake.wsUrl,
    restUrl: fake.baseUrl,
    onRecord: (r) => records.push(r),
    onIssue: (i) => issues.push(i),
    logger,
    backoff: fastBackoff,
    breaker: { failureThreshold: 3, openMs: 30 },
    random: seededRandom(7),
    ...streamOpts,
  });
  t.teardown(async () => {
    await stream.stop();
    await fake.close();
  });
  return { fake, stream, records, issues, lines };
}

/** What the fake sent, channel by channel, as sequence keys the connector's records must match exactly. */
function sentSeqs(fake: Awaited<ReturnType<typeof setup>>["fake"]) {
  return {
    trade: fake.events.filter((e) => e.ev === "T").map((e) => (e.ev === "T" ? e.q : 0)),
    quote: fake.events.filter((e) => e.ev === "Q").map((e) => (e.ev === "Q" ? e.q : 0)),
    bar: fake.events.filter((e) => e.ev === "AM").map((e) => (e.ev === "AM" ? e.s : 0)),
  };
}
const gotSeqs = (records: RawFeedRecord[]) => ({
  trade: records.filter((r) => r.kind === "trade").map((r) => r.seq),
  quote: records.filter((r) => r.kind === "quote").map((r) => r.seq),
  bar: records.filter((r) => r.kind === "bar").map((r) => r.seq),
});

t.test("after auth and subscribe, trades, quotes and minute bars arrive as fixed-point raw records", async (t) => {
  const { fake, stream, records } = await setup(t);
  await stream.start();
  await eventually("subscription", () => fake.liveClients === 1);
  fake.publish("AAPL", 4);
  await eventually("4 quotes, 4 trades, 1 bar", () => records.length === 9);
  t.same(gotSeqs(records), sentSeqs(fake));
  const trade = records.find((r) => r.kind === "trade");
  const sent = fake.events.find((e) => e.ev === "T");
  t.ok(trade && sent && sent.ev === "T");
  if (trade?.kind === "trade" && sent?.ev === "T") {
    t.equal(trade.instrument, "AAPL.POLYGON");
    t.equal(trade.price, parseFixed(String(sent.p)));
    t.equal(trade.size, parseFixed(String(sent.s)));
    t.equal(trade.tradeId, sent.i);
    t.equal(trade.tsEvent, sent.t * 1000);
  }
  const bar = records.find((r) => r.kind === "bar");
  t.equal(bar?.kind === "bar" ? bar.barType : "", "1m");
});

t.test("a refused key rejects start with AUTH_FAILED, does not reconnect, and never shows the key", async (t) => {
  const wrong = "pk_wrong_NOPE42";
  const { fake, stream, issues, lines } = await setup(t, {}, { apiKey: wrong });
  const err = await stream.start().catch((e: unknown) => e);
  t.ok(err instanceof FeedError);
  t.equal((err as FeedError).reason, FeedErrorReason.AuthFailed);
  t.match((err as FeedError).message, /authentication failed/);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(fake.connections, 1, "no reconnect after a refused key");
  const everything = [String(err), ...lines, ...issues.map((i) => i.detail)].join("\n");
  t.notMatch(everything, wrong);
});

t.test("a connection killed mid-stream reconnects, backfills the gap over REST, and delivers every record once", async (t) => {
  const { fake, stream, records, lines, issues } = await setup(t, { replayOnSubscribe: 4 });
  await stream.start();
  await eventually("subscription", () => fake.liveClients === 1);
  fake.publish("AAPL", 3);
  await eventually("first minute", () => records.length === 7);
  fake.dropConnections();
  // these happen while the connector is down: only REST can bring them back
  fake.publish("AAPL", 5);
  fake.publish("AAPL", 2);
  fake.rateLimit(1);
  await eventually("reconnect", () => fake.connections === 2 && fake.liveClients === 1);
  fake.publish("AAPL", 3);
  const total = fake.events.length;
  await eventually(`all ${total} records`, () => records.length === total);
  await new Promise((r) => setTimeout(r, 30));
  t.same(gotSeqs(records), sentSeqs(fake), "same records, same order, none twice, none missing");
  const s = stream.stats();
  t.equal(s.reconnects, 1);
  t.ok(s.backfilled > 0, "the gap came from REST");
  t.ok(s.duplicatesDropped > 0, "the overlap was dropped");
  t.equal(s.rateLimited, 1);
  const everything = [...lines, ...issues.map((i) => i.detail)].join("\n");
  t.notMatch(everything, KEY, "no log line or issue carries the key");
  t.match(everything, /apiKey=\*\*\*/, "the rate-limited URL was reported, redacted");
});

t.test("malformed vendor messages are counted and reported, and the stream goes on", async (t) => {
  const { fake, stream, records, issues } = await setup(t);
  await stream.start();
  await eventually("subscription", () => fake.liveClients === 1);
  fake.sendRaw("{not json");
  fake.sendRaw(JSON.stringify({ ev: "T" }));
  fake.sendRaw(JSON.stringify([{ ev: "T", sym: "AAPL", p: "x", s: 1, t: 1, q: 1, i: "1" }, { ev: "ZZ" }]));
  fake.publish("AAPL", 1);
  await eventually("the good records", () => records.length === 3);
  t.equal(stream.stats().malformed, 4);
  t.equal(issues.filter((i) => i.reason === FeedErrorReason.Malformed).length, 4);
  t.match(issues.map((i) => i.detail).join("\n"), /T\.p/);
});

t.test("refused handshakes open the circuit breaker, and a half-open probe gets the stream back", async (t) => {
  const { fake, stream, records, lines } = await setup(t);
  fake.refuse(4);
  await stream.start();
  t.equal(fake.connections, 1, "one accepted connection after four refused handshakes");
  t.ok(
    lines.some((l) => l.includes('"state":"open"')),
    "the breaker opened",
  );
  t.equal(stream.stats().breaker, "closed", "and closed again after the probe succeeded");
  await eventually("subscription", () => fake.liveClients === 1);
  fake.publish("AAPL", 1);
  await eventually("records after recovery", () => records.length === 3);
  t.pass("records flow after recovery");
});
