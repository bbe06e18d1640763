import { headers } from "@nats-io/transport-node";
import t from "tap";
import { DecodeError, decodeAs, decodeMessage, encodeForPublish, encodeMessage, encodePayload, readWireForm, wireForm } from "./codec.ts";
import { errorMessage, Reply } from "../../actors/contract/index.ts";
import { Quote, Trade } from "../../actors/domain/index.ts";

function withHeaders(values: Record<string, string>) {
  const h = headers();
  for (const [k, v] of Object.entries(values)) h.set(k, v);
  return h;
}

const quote = {
  type: "Quote",
  instrument: "BRK.B.XNYS",
  bid: 41_012_000_000_000,
  bidSize: 100_00000000,
  ask: 41_015_000_000_000,
  askSize: 200_00000000,
  seq: 7,
  tsEvent: 1_700_000_000_000_000,
  tsInit: 1_700_000_000_000_001,
};

t.test("a message round-trips with its envelope in headers and its body as a plain msgpack map", async (t) => {
  const { data, headers: h } = encodeMessage(quote, {
    correlationId: "c-1",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  });
  t.equal(h.get("am-type"), "Quote");
  t.equal(h.get("am-v"), "1");
  t.equal(h.get("am-corr"), "c-1");
  t.equal(data[0]! & 0xf0, 0x80, "a fixmap: no msgpackr record or structure header");
  for (let i = 0; i < data.length; i++)
    t.notOk([0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8].includes(data[i]!) && i === 0, "no extension type at the top");
  const { message, envelope } = decodeMessage(data, h, true);
  t.same(message, quote);
  t.equal(envelope.correlationId, "c-1");
});

t.test("money travels as int64 and comes back as bigint", async (t) => {
  const bytes = encodePayload({ pnl: -12_345_678_901_234_567n });
  t.ok(Buffer.from(bytes).includes(0xd3), "int64 marker");
});

t.test("each kind of bad input is a DecodeError with its reason, never a crash", async (t) => {
  const h = headers();
  h.set("am-type", "Quote");
  const cases: [string, () => unknown, string][] = [
    ["no type header", () => decodeMessage(encodePayload({}), headers(), true), "no-type"],
    ["not msgpack", () => decodeMessage(new Uint8Array([0x85, 0xa1]), h, true), "not-msgpack"],
    ["not a map", () => decodeMessage(encodePayload([1, 2]), h, true), "invalid"],
    ["invalid field", () => decodeMessage(encodePayload({ ...quote, type: undefined, bid: -1 }), h, true), "invalid"],
    ["unknown type", () => decodeMessage(encodePayload({}), withHeaders({ "am-type": "NoSuchMessage" }), true), "unknown-type"],
    ["newer schema version", () => decodeMessage(encodePayload({}), withHeaders({ "am-type": "Quote", "am-v": "9" }), true), "bad-version"],
  ];
  for (const [what, run, reason] of cases) {
    try {
      run();
      t.fail(`${what} was accepted`);
    } catch (e) {
      t.ok(e instanceof DecodeError, what);
      t.equal((e as DecodeError).reason, reason, what);
    }
  }
  try {
    decodeMessage(encodePayload({ ...quote, type: undefined, bid: -1 }), h, true);
  } catch (e) {
    t.match(errorMessage(e), /Quote: bid/, "the message names the field");
  }
});

t.test("decodeAs returns the message as its own type, validated, and refuses any other type with both names", async (t) => {
  const { data, headers: h } = encodeMessage(quote);
  const q = decodeAs(Quote, data, h);
  t.equal(q.bid + q.ask, quote.bid + quote.ask, "typed fields, no cast");
  t.equal(decodeAs([Trade, Quote], data, h).type, "Quote");
  const thrown = (decode: () => unknown): unknown => {
    try {
      decode();
      return null;
    } catch (e) {
      return e;
    }
  };
  const refused = thrown(() => decodeAs(Reply, data, h));
  t.ok(refused instanceof DecodeError && refused.reason === "unexpected-type" && /Quote: expected Reply/.test(refused.message));
  const bad = encodeMessage({ ...quote, bid: -1 });
  const invalid = thrown(() => decodeAs(Quote, bad.data, bad.headers));
  t.ok(invalid instanceof DecodeError && invalid.reason === "invalid");
});

t.test("a publish without a correlation id shares its type's read-only envelope, and decodes like any message", async (t) => {
  const a = encodeForPublish(quote);
  const b = encodeForPublish({ ...quote, seq: 8 });
  t.equal(a.headers, b.headers, "one header set per type");
  t.same(decodeMessage(a.data, a.headers, true).message, quote);
  t.throws(() => a.headers.set("Nats-Msg-Id", "x"), { name: "TypeError", message: /read-only/ });
  t.equal(a.headers.get("Nats-Msg-Id"), "", "nothing was added");
  const c = encodeForPublish(quote, "c-9");
  t.not(c.headers, a.headers, "a correlated message gets its own");
  t.equal(c.headers.get("am-corr"), "c-9");
});

t.test("a message read from its wire form is the message decoded from its bytes, validated or not", async (t) => {
  const fill = {
    type: "OrderFilled",
    clientOrderId: "o-1",
    venueOrderId: undefined,
    execId: "e-1",
    side: "BUY",
    lastQty: 100_00000000,
    lastPx: 41_012_000_000_000,
    fee: -4_101_200_000n,
    liquidity: "TAKER",
    cumQty: 100_00000000,
    leavesQty: 0,
    avgPx: 41_012_000_000_000,
    venueSeq: 3,
    tsEvent: 1_700_000_000_000_000,
    tsInit: 1_700_000_000_000_000,
  };
  const odd = { type: "NotRegistered", nested: { at: new Date(0), list: [undefined, -0, 7n, 1.5], bytes: new Uint8Array([1, 2]) } };
  const unsafe = { type: "NotRegistered", big: 2n ** 60n };
  for (const m of [quote, fill, odd, unsafe])
    for (const validate of m.type === "NotRegistered" ? [false] : [false, true]) {
      const { data, headers: h } = encodeForPublish(m);
      t.strictSame(readWireForm(wireForm(m), validate), decodeMessage(data, h, validate).message, `${m.type}, validate ${validate}`);
    }
  const wire = wireForm(quote);
  t.not(readWireForm(wire, false), readWireForm(wire, false), "each receiver reads its own copy");
  const bad = { ...quote, bid: "high" };
  const { data, headers: h } = encodeForPublish(bad);
  t.throws(() => decodeMessage(data, h, true), new DecodeError("invalid", "Quote: bid Invalid input: expected number, received string"));
  t.throws(
    () => readWireForm(wireForm(bad), true),
    new DecodeError("invalid", "Quote: bid Invalid input: expected number, received string"),
  );
  t.throws(
    () => readWireForm(wireForm({ type: "NotRegistered" }), true),
    new DecodeError("unknown-type", "unknown message type NotRegistered"),
  );
});
