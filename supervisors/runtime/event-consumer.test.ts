import { jetstream } from "@nats-io/jetstream";
import t from "tap";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorHost } from "./actor-host.ts";
import { counterKind } from "./testing/counter-kind.ts";
import { eventually, startTestServers } from "../../test/testing.ts";

t.test(
  "an actor consuming another actor's journaled events never answers the journal append: the writer gets the stream's acknowledgement",
  async (t) => {
    const f = await startTestServers(t);
    const kind = { ...counterKind("none", "counter-listener"), consumes: () => [subjects.evtAll("source")] };
    const h = new ActorHost(kind, "l", { ...f, clock: systemClock, log: createLogger({ level: "error" }) });
    await h.incarnate();
    const js = jetstream(f.nc);
    for (let i = 0; i < 20; i++) {
      const { data, headers } = encodeMessage({ type: "Increment", by: 1 });
      // A JetStream publish is a request: only the stream may answer it (a JSON PubAck).
      const ack = await js.publish(subjects.evt("source", "s1", "Increment"), data, { headers });
      t.ok(ack.seq > 0, `append ${i} acknowledged by the stream`);
    }
    // Every answer the writer's request gets: exactly one, the stream's.
    const { data, headers } = encodeMessage({ type: "Increment", by: 1 });
    const answers: string[] = [];
    for await (const m of await f.nc.requestMany(subjects.evt("source", "s1", "Increment"), data, { headers, maxWait: 500 }))
      answers.push(new TextDecoder().decode(m.data));
    t.equal(answers.length, 1, "one answer to the append");
    t.match(answers[0], /"seq"/, "the stream's PubAck");
    await eventually("the listener saw every event", () => h.stats.processed === 21);
    await h.stop();
  },
);

t.test(
  "an event-sourced actor restored after a stop catches up on the events it consumes that were published while it was down",
  async (t) => {
    const f = await startTestServers(t);
    const kind = {
      ...counterKind("event-sourced", "counter-catchup"),
      consumes: () => [subjects.evtAll("feeder")],
      catchUp: { subjects: () => [subjects.evtAll("feeder")], overlapMs: 0 },
    };
    const env = { ...f, clock: systemClock, log: createLogger({ level: "error" }) };
    const count = (h: ActorHost) => (h.snapshot?.context as { count: number } | undefined)?.count;
    const js = jetstream(f.nc);
    const append = async () => {
      const { data, headers } = encodeMessage({ type: "Increment", by: 1 });
      await js.publish(subjects.evt("feeder", "f1", "Increment"), data, { headers });
    };
    const first = new ActorHost(kind, "c", env);
    await first.incarnate();
    for (let i = 0; i < 3; i++) await append();
    await eventually("three events counted live", () => count(first) === 3);
    await first.stop();
    for (let i = 0; i < 4; i++) await append(); // nobody listening
    const second = new ActorHost(kind, "c", env);
    await second.incarnate();
    await eventually("the four missed events caught up, none twice", () => count(second) === 7, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    t.equal(count(second), 7);
    await second.stop();
  },
);

t.test("an actor consuming another actor's events hears only the appends the event stream stored", async (t) => {
  const f = await startTestServers(t);
  const kind = { ...counterKind("none", "counter-stored"), consumes: () => [subjects.evtAll("writer")] };
  const h = new ActorHost(kind, "l", { ...f, clock: systemClock, log: createLogger({ level: "error" }) });
  await h.incarnate();
  const count = () => (h.snapshot?.context as { count: number } | undefined)?.count;
  const js = jetstream(f.nc);
  const append = (by: number, expectedLast?: number) => {
    const { data, headers } = encodeMessage({ type: "Increment", by });
    if (expectedLast !== undefined) {
      headers.set("Nats-Expected-Last-Subject-Sequence", String(expectedLast));
      headers.set("Nats-Expected-Last-Subject-Sequence-Subject", subjects.evtOf("writer", "w1"));
    }
    return js.publish(subjects.evt("writer", "w1", "Increment"), data, { headers });
  };
  const first = await append(1, 0);
  // a stale writer, fenced: it decided on the journal as it was before `first`
  await t.rejects(append(100, 0), /wrong last sequence/i, "the stream refuses the stale writer's append");
  await append(10, first.seq);
  await eventually("the stored appends counted", () => count() === 11);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(count(), 11, "the refused append was never heard");
  t.equal(h.stats.processed, 2);
  await h.stop();
});
