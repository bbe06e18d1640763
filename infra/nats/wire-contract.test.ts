import { headers } from "@nats-io/transport-node";
import t from "tap";
import { allMessageDefs, errorMessage } from "../../actors/contract/index.ts";
import { DecodeError, decodeMessage, decodeSnapshot, encodeMessage, encodePayload, encodeSnapshot } from "./codec.ts";
import { foreignMap, type IntFormat, readWire, sampleMessage, type WireValue } from "./testing.ts";

/** Every scalar of `value` against its wire form: integers as msgpack ints, fractions as floats, no extension. */
function wireProblems(value: unknown, wire: WireValue, path: string): string[] {
  if (wire.format === "ext") return [`${path}: extension type ${wire.extType}`];
  if (typeof value === "bigint")
    return wire.format === "int" && wire.value === value ? [] : [`${path}: bigint ${value} went out as ${wire.format}`];
  if (typeof value === "number") {
    if (Number.isInteger(value))
      return wire.format === "int" && wire.value === BigInt(value) ? [] : [`${path}: integer ${value} went out as ${wire.format}`];
    return wire.format === "float" && wire.value === value ? [] : [`${path}: ${value} went out as ${wire.format}`];
  }
  if (value instanceof Uint8Array)
    return wire.format === "bin" && Buffer.compare(wire.value, value) === 0 ? [] : [`${path}: bytes went out as ${wire.format}`];
  if (Array.isArray(value)) {
    if (wire.format !== "array" || wire.items.length !== value.length) return [`${path}: array went out as ${wire.format}`];
    return value.flatMap((v, i) => wireProblems(v, wire.items[i]!, `${path}[${i}]`));
  }
  if (typeof value === "object" && value !== null) {
    if (wire.format !== "map") return [`${path}: object went out as ${wire.format}`];
    const present = Object.entries(value).filter(([, v]) => v !== undefined);
    const byKey = new Map(wire.entries.map(([k, v]) => [k.format === "str" ? k.value : "?", v]));
    if (byKey.size !== present.length) return [`${path}: ${present.length} fields, ${byKey.size} on the wire`];
    return present.flatMap(([k, v]) =>
      byKey.has(k) ? wireProblems(v, byKey.get(k)!, `${path}.${k}`) : [`${path}.${k}: missing on the wire`],
    );
  }
  if (value === null) return wire.format === "nil" ? [] : [`${path}: null went out as ${wire.format}`];
  if (typeof value === "string") return wire.format === "str" && wire.value === value ? [] : [`${path}: string went out as ${wire.format}`];
  if (typeof value === "boolean") return wire.format === "bool" ? [] : [`${path}: boolean went out as ${wire.format}`];
  return [`${path}: ${typeof value} cannot go on the wire`];
}

t.test("a sample of every registered message type reads back with a strict decoder: integers as msgpack ints, no extensions", async (t) => {
  const defs = allMessageDefs();
  t.ok(defs.length >= 50, `${defs.length} message types registered`);
  for (const def of defs) {
    const parsed = sampleMessage(def.schema);
    if (!parsed.success) {
      t.fail(`${def.type}: the generated sample is refused: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
      continue;
    }
    const message = { ...(parsed.data as object), type: def.type };
    const { data, headers: h } = encodeMessage(message);
    const { type: _type, ...body } = message;
    t.same(wireProblems(body, readWire(data), def.type), [], `${def.type}: every field in its msgpack format`);
    t.same(decodeMessage(data, h, true).message, message, `${def.type}: validated decode gives the same message`);
    t.same(decodeMessage(data, h, false).message, message, `${def.type}: unvalidated decode gives the same message, Money as bigint`);
  }
});

t.test("undefined fields are left out and undefined in an array is nil, never msgpackr's extension", async (t) => {
  const wire = readWire(encodePayload({ a: 1, b: undefined, list: [undefined, 2] }));
  t.same(wireProblems({ a: 1, list: [null, 2] }, wire, "body"), []);
});

const quoteHeaders = () => {
  const h = headers();
  h.set("am-type", "Quote");
  return h;
};
const quoteFields = (bid: number | bigint, format: IntFormat): [string, string | number | bigint, IntFormat?][] => [
  ["instrument", "AAPL.XNAS"],
  ["bid", bid, format],
  ["bidSize", 100, "uint8"],
  ["ask", 41_015_000_000_000, "uint64"],
  ["askSize", 200, "int16"],
  ["seq", 7, "int32"],
  ["tsEvent", 1_733_300_000_123_456, "int64"],
  ["tsInit", 1_733_300_000_123_457, "uint64"],
];

t.test("integers are accepted in every width a Python or Go library writes them", async (t) => {
  const cases: [IntFormat, number][] = [
    ["uint8", 200],
    ["int8", 100],
    ["uint16", 60_000],
    ["int16", 30_000],
    ["uint32", 4_000_000_000],
    ["int32", 2_000_000_000],
    ["uint64", 41_012_000_000_000],
    ["int64", 41_012_000_000_000],
    ["uint64", Number.MAX_SAFE_INTEGER],
  ];
  for (const [format, bid] of cases) {
    for (const validate of [true, false]) {
      const { message } = decodeMessage(foreignMap(quoteFields(bid, format)), quoteHeaders(), validate);
      t.equal(message.bid, bid, `bid ${bid} as ${format}${validate ? "" : " (unvalidated)"}: a JS number`);
      t.equal(message.tsEvent, 1_733_300_000_123_456, "µs as int64: a JS number");
    }
  }
});

t.test("a price sent as a float is accepted when whole and refused with the field's name when fractional", async (t) => {
  // JS cannot tell 41012000000000.0 from 41012000000000: a whole float is the same number; a fraction of a 1e-8
  // unit is not a price.
  t.equal(decodeMessage(foreignMap(quoteFields(41_012_000_000_000, "float64")), quoteHeaders(), true).message.bid, 41_012_000_000_000);
  t.throws(() => decodeMessage(foreignMap(quoteFields(410.12, "float64")), quoteHeaders(), true), /Quote: bid .*int/);
});

t.test("an integer beyond the exact range of a JS number is refused with a clear error, not 'received bigint'", async (t) => {
  try {
    decodeMessage(foreignMap(quoteFields(2n ** 60n, "int64")), quoteHeaders(), true);
    t.fail("accepted");
  } catch (e) {
    t.ok(e instanceof DecodeError);
    t.equal((e as DecodeError).reason, "invalid");
    t.match(errorMessage(e), /^Quote: bid 1152921504606846976 is an integer beyond the exact range of a JS number/);
  }
});

t.test("Money of any size inside an open value (a reply's result) comes back exact, as a bigint beyond 2^53", async (t) => {
  const equity = 123_456_789_012_345_678n;
  const { data, headers: h } = encodeMessage({ type: "Reply", ok: true, result: { equity, cash: 5n, tsEvent: 1_733_300_000_123_456 } });
  for (const validate of [true, false]) {
    const result = decodeMessage(data, h, validate).message.result as Record<string, unknown>;
    t.equal(result.equity, equity, "wide Money exact");
    t.equal(result.cash, 5, "small Money as a number (the schema does not say it is Money)");
    t.equal(result.tsEvent, 1_733_300_000_123_456);
  }
});

t.test("an actor snapshot in KV comes back with its JS types: Money as bigint, µs as number", async (t) => {
  const state = { cash: 5n, equity: 123_456_789_012_345_678n, tsEvent: 1_733_300_000_123_456, qty: 10 };
  t.same(decodeSnapshot(encodeSnapshot(state)), state);
  t.equal(typeof (decodeSnapshot(encodeSnapshot(state)) as typeof state).cash, "bigint");
});
