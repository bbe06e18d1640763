import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Msg } from "@nats-io/transport-node";
import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { decodeMessage, encodeForPublish, encodeMessage, envelopeOf } from "./codec.ts";
import { headersOf } from "./received-headers.ts";

/** Publishes each [subject, headers, data] and returns the messages one subscriber received, in order. */
async function received(
  nc: Awaited<ReturnType<typeof startTestServers>>["nc"],
  subject: string,
  sends: ReturnType<typeof encodeMessage>[],
) {
  const got: Msg[] = [];
  const sub = nc.subscribe(subject, { callback: (_e, m) => void got.push(m) });
  for (const { data, headers } of sends) nc.publish(subject, data, { headers });
  await nc.flush();
  while (got.length < sends.length) await new Promise((r) => setTimeout(r, 5));
  sub.unsubscribe();
  return got;
}

t.test("messages with the same envelope-only headers share one read-only decode; any other header keeps its own", async (t) => {
  const { nc } = await startTestServers(t);
  const quote = (bid: number) => ({ type: "Probe", bid });
  const [a, b, traced, correlated, other] = await received(nc, "am.test.headers", [
    encodeForPublish(quote(1)),
    encodeMessage(quote(2)),
    encodeMessage(quote(3), { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    encodeMessage(quote(4), { correlationId: "c-4" }),
    encodeMessage({ type: "OtherProbe", n: 5 }),
  ]);

  const ha = headersOf(a!);
  t.ok(ha, "headers read");
  t.equal(headersOf(b!), ha, "the second message of the same type and version gets the same decoded headers");
  t.equal(envelopeOf(ha)?.type, "Probe");
  t.equal(envelopeOf(ha)?.version, 1);
  t.equal(envelopeOf(ha), envelopeOf(headersOf(b!)), "and the same envelope, read once");
  t.throws(() => ha!.set("am-corr", "x"), /read-only/, "shared headers cannot be changed");

  const ht = headersOf(traced!);
  t.not(ht, ha, "a trace context is the message's own");
  t.equal(envelopeOf(ht)?.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ht!.set("x-extra", "1");
  t.equal(ht!.get("x-extra"), "1", "and its headers stay writable");
  t.equal(envelopeOf(headersOf(correlated!))?.correlationId, "c-4", "a correlation id is read from its own message");
  t.equal(envelopeOf(headersOf(other!))?.type, "OtherProbe", "another type has its own shared headers");
  t.not(headersOf(other!), ha);
  t.same(decodeMessage(b!.data, headersOf(b!), false).message, { type: "Probe", bid: 2 }, "the body decodes as before");
});

t.test("a JetStream consumer's messages share their headers too, and a message without headers has none", async (t) => {
  const { nc } = await startTestServers(t);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "HDRTEST", subjects: ["am.test.hdr.>"] });
  const js = jetstream(nc);
  for (const n of [1, 2]) {
    const { data, headers } = encodeMessage({ type: "Probe", n });
    await js.publish("am.test.hdr.a", data, { headers });
  }
  await js.publish("am.test.hdr.bare", new Uint8Array([0x80]));
  const consumer = await js.consumers.get("HDRTEST");
  const msgs = [];
  for await (const m of await consumer.fetch({ max_messages: 3, expires: 2_000 })) {
    msgs.push(m);
    m.ack();
  }
  t.equal(msgs.length, 3);
  const [first, second, bare] = msgs;
  t.equal(headersOf(first!), headersOf(second!), "one decode for both");
  t.equal(envelopeOf(headersOf(second!))?.type, "Probe");
  t.equal(headersOf(bare!), undefined, "no headers, none made up");
});
