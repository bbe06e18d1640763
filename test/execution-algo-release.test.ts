import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { parseInstrumentId, subjects, systemClock } from "../actors/contract/index.ts";
import { priceOf, quantityOf } from "../actors/domain/index.ts";
import { executionAlgoKind } from "../actors/execution-algo/index.ts";
import { INSTRUMENT, startAlgo } from "../actors/execution-algo/testing.ts";
import { decodeMessage, encodeMessage, type Message } from "../infra/nats/codec.ts";
import { createLogger } from "../infra/telemetry/log.ts";
import { ActorHost } from "../supervisors/runtime/actor-host.ts";
import { eventually, startTestServers } from "./testing.ts";

/**
 * A parent order hosted on a real NATS server: it hears its instrument's market data and the order events only
 * while it works; once finished it lets go of them, and so does a finished parent restored from its journal.
 */

const log = createLogger({ level: "error" });
const POLL = { timeoutMs: 10_000, everyMs: 50 };
const instrument = parseInstrumentId(INSTRUMENT);

function publish(nc: NatsConnection, subject: string, message: Message): void {
  const { data, headers } = encodeMessage(message);
  nc.publish(subject, data, { headers });
}

function quote(nc: NatsConnection): void {
  const now = Date.now() * 1000;
  publish(nc, subjects.md("quote", instrument), {
    type: "Quote",
    instrument: INSTRUMENT,
    bid: priceOf(100),
    bidSize: quantityOf(5),
    ask: priceOf(101),
    askSize: quantityOf(5),
    seq: 1,
    tsEvent: now,
    tsInit: now,
  });
}

t.test("a finished parent no longer receives market data or order events, even after a restore", async (t) => {
  const f = await startTestServers(t);
  const children: Message[] = [];
  // the risk book: approves each child (the parent's StartAlgo is answered once its first child is)
  const book = f.nc.subscribe(subjects.cmd("risk-book", "b1"), {
    callback: (_e, m) => {
      children.push(decodeMessage(m.data, m.headers, false).message);
      const reply = encodeMessage({ type: "Reply", ok: true });
      m.respond(reply.data, { headers: reply.headers });
    },
  });
  t.teardown(() => book.unsubscribe());
  const env = { nc: f.nc, store: f.store, clock: systemClock, log };
  const parent = new ActorHost(executionAlgoKind(), "p-release", env);
  t.teardown(() => parent.stop());
  await parent.incarnate();
  t.equal(parent.listening, 0, "a parent not started hears nothing but its commands");

  const now = Date.now() * 1000;
  const start = startAlgo({ tsEvent: now, tsInit: now, params: { algo: "TWAP", endAtUs: now + 2_000_000, slices: 1, minChildLots: 1 } });
  const { data, headers } = encodeMessage(start);
  const answer = await f.nc.request(subjects.cmd("execution-algo", "p-release"), data, { headers, timeout: 5_000 });
  t.match(decodeMessage(answer.data, answer.headers, false).message, { ok: true });
  await eventually("the working parent listening", async () => parent.listening === 3, POLL);
  const before = parent.stats.processed;
  quote(f.nc);
  await eventually("its instrument's quote reaching it", async () => parent.stats.processed > before, POLL);

  const child = await eventually("its child at the risk book", async () => children[0], POLL);
  publish(f.nc, subjects.evt("order", String(child.clientOrderId), "OrderFilled"), {
    type: "OrderFilled",
    clientOrderId: child.clientOrderId,
    lastQty: child.quantity,
    lastPx: priceOf(101),
    cumQty: child.quantity,
    leavesQty: 0,
    tsEvent: Date.now() * 1000,
    tsInit: Date.now() * 1000,
  });
  await eventually("the parent completed", async () => (parent.describe().context as { status: string }).status === "completed", POLL);
  await eventually("the finished parent no longer listening", async () => parent.listening === 0, POLL);
  const done = parent.stats.processed;
  quote(f.nc);
  publish(f.nc, subjects.evt("order", String(child.clientOrderId), "OrderCanceled"), {
    type: "OrderCanceled",
    clientOrderId: child.clientOrderId,
    cause: "USER",
    cumQty: child.quantity,
    tsEvent: Date.now() * 1000,
    tsInit: Date.now() * 1000,
  });
  await f.nc.flush();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(parent.stats.processed, done, "neither a quote nor an order event reaches it");

  await parent.stop();
  const restored = new ActorHost(executionAlgoKind(), "p-release", env);
  t.teardown(() => restored.stop());
  await restored.incarnate();
  t.match(restored.describe().context, { status: "completed" }, "restored from its journal, finished");
  t.equal(restored.listening, 0, "a finished parent restored hears nothing but its commands");
});
