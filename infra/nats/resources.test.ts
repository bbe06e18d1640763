import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { headers } from "@nats-io/transport-node";
import t from "tap";
import { errorMessage, storedSubject, subjects } from "../../actors/contract/index.ts";
import { startTestServers, type Teardown } from "../../test/testing.ts";
import { buckets, declareResources, declaredBuckets, declaredStreams, ResourceConflictError, streams } from "./index.ts";

const ns = (ms: number): number => ms * 1_000_000;

/** A fresh nats-server and a connection to it, both gone when the test ends (pass or fail). */
async function natsFor(t: Teardown) {
  return (await startTestServers(t, { declare: false })).nc;
}

t.test("a declared stream carries an event with its headers from publish to consumer", async (t) => {
  const nc = await natsFor(t);
  const first = await declareResources(nc, { replicas: 1 });
  t.same(
    [...first.created].sort(),
    [...declaredStreams(1).map((s) => `stream ${s.name}`), ...declaredBuckets().map((b) => `bucket ${b.bucket}`)].sort(),
    "every stream and bucket is created on an empty server",
  );
  t.same(first.existing, []);

  const js = jetstream(nc);
  const subject = subjects.evt("order", "O-1", "OrderFilled");
  const h = headers();
  h.set("am-type", "OrderFilled");
  h.set("am-version", "1");
  const payload = new TextEncoder().encode("filled 1.5 @ 100.25");
  const ack = await js.publish(subject, payload, { headers: h, msgID: "O-1:1" });
  t.equal(ack.stream, streams.events, "the event lands in the event stream");
  t.equal(ack.seq, 1);
  const again = await js.publish(subject, payload, { headers: h, msgID: "O-1:1" });
  t.ok(again.duplicate, "a republish with the same Nats-Msg-Id is recognised as a duplicate");

  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(streams.events, {
    durable_name: "resources-test",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: subjects.evtAll("order"),
  });
  const consumer = await js.consumers.get(streams.events, "resources-test");
  const msg = await consumer.next({ expires: 5_000 });
  if (!msg) throw new Error("no message from the consumer within 5 s");
  t.equal(msg.subject, subject);
  t.equal(new TextDecoder().decode(msg.data), "filled 1.5 @ 100.25");
  t.equal(msg.headers?.get("am-type"), "OrderFilled");
  t.equal(msg.headers?.get("am-version"), "1");
  t.equal(msg.seq, 1);
  msg.ack();
  const info = await jsm.streams.info(streams.events);
  t.equal(info.state.messages, 1, "the duplicate was not stored");
});

t.test("a declared bucket stores and returns a value", async (t) => {
  const nc = await natsFor(t);
  await declareResources(nc, { replicas: 1 });
  const kv = await new Kvm(nc).open(buckets.config);
  const revision = await kv.put("instrument.BTCUSD.SIM", new TextEncoder().encode('{"tick":"0.01"}'));
  const entry = await kv.get("instrument.BTCUSD.SIM");
  t.equal(entry?.revision, revision);
  t.equal(entry?.string(), '{"tick":"0.01"}');
});

t.test("declaring twice changes nothing and reports everything as existing", async (t) => {
  const nc = await natsFor(t);
  await declareResources(nc, { replicas: 1 });
  const jsm = await jetstreamManager(nc);
  const before = await jsm.streams.info(streams.marketData);
  const second = await declareResources(nc, { replicas: 1 });
  t.same(second.created, []);
  t.equal(second.existing.length, declaredStreams(1).length + declaredBuckets().length);
  const after = await jsm.streams.info(streams.marketData);
  t.same(after.config, before.config, "the stream's configuration is untouched");
  t.equal(after.created, before.created, "the stream was not recreated");
});

t.test("an existing stream with another max_age is reported by name and field and left unchanged", async (t) => {
  const nc = await natsFor(t);
  const jsm = await jetstreamManager(nc);
  const dlq = declaredStreams(1).find((s) => s.name === streams.deadLetters)!;
  await jsm.streams.add({ ...dlq, max_age: ns(60_000) });

  const err = await declareResources(nc, { replicas: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, ResourceConflictError);
  const message = errorMessage(err);
  t.match(
    message,
    /stream AM_DLQ: max_age is 60000000000, declared 604800000000000/,
    "the message names the stream, field and both values",
  );
  t.notMatch(message, /stream AM_MD|stream AM_EVT/, "the streams that match are not reported");

  const info = await jsm.streams.info(streams.deadLetters);
  t.equal(info.config.max_age, ns(60_000), "the conflicting stream keeps its own max_age");
});

t.test("an AM_MD that stored every market data channel, book updates too, keeps what it holds and stops taking books", async (t) => {
  const nc = await natsFor(t);
  const jsm = await jetstreamManager(nc);
  const md = declaredStreams(1).find((s) => s.name === streams.marketData)!;
  await jsm.streams.add({ ...md, subjects: ["am.md.>"] });
  const js = jetstream(nc);
  const instrument = { venue: "SIMX", symbol: "OLD1" };
  await js.publish(subjects.md("book", instrument), new Uint8Array([1]));

  const report = await declareResources(nc, { replicas: 1 });
  t.ok(
    report.created.some((c) => c.startsWith(`stream ${streams.marketData} (subjects now am.md.quote.> `)),
    "the upgrade is reported",
  );
  const info = await jsm.streams.info(streams.marketData);
  t.same(info.config.subjects, md.subjects, "the declared channels");
  t.notOk(
    info.config.subjects?.some((s) => s.startsWith("am.md.book")),
    "no book updates",
  );
  t.equal(info.state.messages, 1, "what it stored stays");
  await t.rejects(js.publish(subjects.md("book", instrument), new Uint8Array([2])), "a book update is no longer stored");
  t.equal((await js.publish(subjects.md("quote", instrument), new Uint8Array([3]))).stream, streams.marketData);
  t.same((await declareResources(nc, { replicas: 1 })).created, [], "a second start changes nothing");
});

t.test("an AM_EVT from before stored events were republished keeps its events and republishes from then on", async (t) => {
  const nc = await natsFor(t);
  const jsm = await jetstreamManager(nc);
  const { republish: _r, ...earlier } = declaredStreams(1).find((s) => s.name === streams.events)!;
  await jsm.streams.add(earlier);
  const js = jetstream(nc);
  await js.publish(subjects.evt("order", "o1", "OrderSubmitted"), new Uint8Array([1]));

  const report = await declareResources(nc, { replicas: 1 });
  t.ok(report.created.includes(`stream ${streams.events} (republish set)`), "the upgrade is reported");
  const info = await jsm.streams.info(streams.events);
  t.same(info.config.republish, { src: "am.evt.>", dest: "am.stored.>" });
  t.equal(info.state.messages, 1, "what it stored stays");
  const heard = nc.subscribe(storedSubject(subjects.evtAll("order")), { max: 1 });
  const ack = await js.publish(subjects.evt("order", "o1", "OrderAccepted"), new Uint8Array([2]));
  for await (const m of heard) {
    t.equal(m.subject, storedSubject(subjects.evt("order", "o1", "OrderAccepted")), "republished once stored");
    t.equal(m.headers?.get("Nats-Sequence"), String(ack.seq), "with its stream sequence");
  }
  t.same((await declareResources(nc, { replicas: 1 })).created, [], "a second start changes nothing");
});
