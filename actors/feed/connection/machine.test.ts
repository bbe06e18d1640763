import fc from "fast-check";
import t from "tap";
import { createActor, SimulatedClock } from "xstate";
import type { Emitted } from "../../contract/index.ts";
import { type FeedConnectionConfig, type FeedConnectionEvent, feedConnectionMachine, mergeMarks } from "./index.ts";
import { backoffMs, nextRandom } from "../../domain/retry.ts";

const NOW = 1_700_000_000_000_000;

function start(over: Partial<FeedConnectionConfig> = {}) {
  const clock = new SimulatedClock();
  const actor = createActor(feedConnectionMachine, {
    clock,
    input: {
      feed: "polygon",
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      breakerThreshold: 3,
      breakerCooldownMs: 5_000,
      connectTimeoutMs: 2_000,
      ...over,
    },
  });
  const out: Emitted[] = [];
  actor.on("*", (e) => {
    out.push(e as Emitted);
  });
  actor.start();
  return {
    actor,
    clock,
    out,
    send(e: FeedConnectionEvent) {
      const from = out.length;
      actor.send(e);
      return out.slice(from);
    },
    state: () => actor.getSnapshot().value as string,
    ctx: () => actor.getSnapshot().context,
  };
}
const connects = (out: Emitted[]) => out.flatMap((e) => (e.type === "publish" && e.message.type === "FeedAdapterConnect" ? [e] : []));
const failed = (nowUs: number) => ({ type: "FeedConnectFailed" as const, feed: "polygon", reason: "NETWORK", detail: "refused", nowUs });

t.test("starts idle, asks the adapter to connect on StartFeed, and streams once the adapter is connected", async (t) => {
  const c = start();
  t.equal(c.state(), "idle");
  const s = c.send({ type: "StartFeed", nowUs: NOW });
  t.equal(c.state(), "connecting");
  t.match(connects(s)[0], { subject: "am.cmd.feed-adapter.polygon", message: { feed: "polygon", attempt: 0, resume: {} } });
  c.send({ type: "FeedConnected", feed: "polygon", nowUs: NOW + 1 });
  t.equal(c.state(), "streaming");
  t.equal(c.ctx().breaker, "closed");
});

t.test("a dropped session backs off, then reconnects resuming after the watermarks the adapter reported", async (t) => {
  const c = start();
  c.send({ type: "StartFeed", nowUs: NOW });
  c.send({ type: "FeedConnected", feed: "polygon", nowUs: NOW + 1 });
  c.send({
    type: "FeedProgress",
    feed: "polygon",
    marks: { "T.AAPL": { seq: 10, tsMs: 5 } },
    delivered: 10,
    duplicates: 0,
    gaps: 0,
    resyncs: 0,
    nowUs: NOW + 2,
  });
  c.send({
    type: "FeedDisconnected",
    feed: "polygon",
    reason: "NETWORK",
    detail: "closed",
    marks: { "T.AAPL": { seq: 12, tsMs: 6 }, "Q.AAPL": { seq: 3, tsMs: 6 } },
    nowUs: NOW + 3,
  });
  t.equal(c.state(), "backoff");
  t.equal(c.ctx().counters.reconnects, 1);
  const delay = c.ctx().nextDelayMs;
  t.ok(delay >= 50 && delay <= 100, `first delay ${delay} within [50, 100] ms`);
  c.clock.increment(delay - 1);
  t.equal(c.state(), "backoff");
  const from = c.out.length;
  c.clock.increment(1);
  t.equal(c.state(), "connecting");
  t.match(connects(c.out.slice(from))[0], {
    message: { attempt: 1, resume: { "T.AAPL": { seq: 12, tsMs: 6 }, "Q.AAPL": { seq: 3, tsMs: 6 } } },
  });
  c.send({ type: "FeedConnected", feed: "polygon", nowUs: NOW + 200_000 });
  t.equal(c.ctx().failures, 0, "a live session resets the consecutive failures");
  t.equal(c.ctx().counters.delivered, 10);
});

t.test("consecutive failures open the circuit; after the cool-off one half-open try closes it on success", async (t) => {
  const c = start();
  c.send({ type: "StartFeed", nowUs: NOW });
  for (let i = 0; i < 2; i++) {
    c.send(failed(NOW + i));
    t.equal(c.state(), "backoff");
    c.clock.increment(c.ctx().nextDelayMs);
    t.equal(c.state(), "connecting");
  }
  const opened = c.send(failed(NOW + 10));
  t.equal(c.state(), "circuitOpen");
  t.equal(c.ctx().breaker, "open");
  t.match(
    opened.find((e) => e.type === "domain"),
    { event: { type: "FeedCircuitOpened", feed: "polygon", failures: 3 } },
  );
  c.clock.increment(4_999);
  t.equal(c.state(), "circuitOpen", "no connect during the cool-off");
  const from = c.out.length;
  c.clock.increment(1);
  t.equal(c.state(), "halfOpen");
  t.equal(c.ctx().breaker, "half-open");
  t.equal(connects(c.out.slice(from)).length, 1, "exactly one try");
  const closed = c.send({ type: "FeedConnected", feed: "polygon", nowUs: NOW + 6_000_000 });
  t.equal(c.state(), "streaming");
  t.equal(c.ctx().breaker, "closed");
  t.match(
    closed.find((e) => e.type === "domain"),
    { event: { type: "FeedCircuitClosed" } },
  );
});

t.test("a failed half-open try reopens the circuit at once", async (t) => {
  const c = start({ breakerThreshold: 1 });
  c.send({ type: "StartFeed", nowUs: NOW });
  c.send(failed(NOW));
  t.equal(c.state(), "circuitOpen");
  c.clock.increment(5_000);
  t.equal(c.state(), "halfOpen");
  c.send(failed(NOW + 5_000_001));
  t.equal(c.state(), "circuitOpen");
  t.equal(c.ctx().counters.circuitOpened, 2);
});

t.test("an unanswered connect times out, tells the adapter to disconnect, and counts as a failure", async (t) => {
  const c = start();
  c.send({ type: "StartFeed", nowUs: NOW });
  const from = c.out.length;
  c.clock.increment(2_000);
  t.equal(c.state(), "backoff");
  t.match(
    c.out.slice(from).find((e) => e.type === "publish"),
    { message: { type: "FeedAdapterDisconnect", reason: "connect timeout" } },
  );
  t.match(c.ctx().lastError, { reason: "TIMEOUT" });
});

t.test("StopFeed disconnects and stays idle; GetFeedConnection answers with the counters", async (t) => {
  const c = start();
  c.send({ type: "StartFeed", nowUs: NOW });
  c.send({ type: "FeedConnected", feed: "polygon", nowUs: NOW + 1 });
  const s = c.send({ type: "StopFeed", nowUs: NOW + 2 });
  t.equal(c.state(), "idle");
  t.match(
    s.find((e) => e.type === "publish"),
    { message: { type: "FeedAdapterDisconnect", reason: "stopped" } },
  );
  const r = c.send({ type: "GetFeedConnection", nowUs: NOW + 3 });
  t.match(r[0], { type: "reply", ok: true, result: { feed: "polygon", breaker: "closed", connects: 1 } });
});

t.test("the same seed gives the same reconnect schedule", async (t) => {
  const schedule = (seed: number) => {
    const c = start({ seed, breakerThreshold: 100 });
    c.send({ type: "StartFeed", nowUs: NOW });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      c.send(failed(NOW + i));
      delays.push(c.ctx().nextDelayMs);
      c.clock.increment(c.ctx().nextDelayMs);
    }
    return delays;
  };
  t.same(schedule(7), schedule(7));
  t.not(JSON.stringify(schedule(7)), JSON.stringify(schedule(8)));
});

t.test("backoff with jitter stays within [step/2, step] of the capped exponential step", async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer(),
      (attempt, base, extra, seed) => {
        const max = base + extra;
        const [r] = nextRandom(seed);
        const step = Math.min(max, base * 2 ** (attempt - 1));
        const d = backoffMs(attempt, base, max, r);
        return r >= 0 && r < 1 && d >= Math.floor(step / 2) && d <= step;
      },
    ),
  );
  t.pass("jitter bounds hold");
});

t.test("watermarks merge key by key and never move backwards", async (t) => {
  const a = { x: { seq: 5, tsMs: 50 }, y: { seq: 2, tsMs: 20 } };
  t.same(mergeMarks(a, { x: { seq: 4, tsMs: 40 }, z: { seq: 1, tsMs: 1 } }), {
    x: { seq: 5, tsMs: 50 },
    y: { seq: 2, tsMs: 20 },
    z: { seq: 1, tsMs: 1 },
  });
  t.same(mergeMarks(a, undefined), a);
});
