import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { type Options, Packr } from "msgpackr";
import type { z } from "zod";
import { errorMessage, type MessageDef, messageDef } from "../../actors/contract/index.ts";
import "../../actors/domain/messages/index.ts"; // every message type of the platform is known to the codec
import { type BigintFields, bigintFieldsOf, isClosedSchema } from "./wire-bigints.ts";
import { hasWideIntegers, integersAsMsgpackInts } from "./wire-integers.ts";

/**
 * The wire format of every public subject: standard msgpack (no msgpackr records or extensions, so any msgpack
 * library can read it) with the envelope in NATS headers. Every integer is a msgpack integer, whatever its width
 * (see wire-integers.ts); an int64 or uint64 from any client reads as a number where it is exact (|n| ≤ 2^53 − 1)
 * and as a bigint beyond, which a number field then refuses by name. An undefined field is left out (as in JSON),
 * never written as msgpackr's undefined extension; undefined in an array is nil.
 */
// skipValues and int64AsType "auto" are read by msgpackr 2.x (pack.js, unpack.js) but missing from its declarations.
const publicOptions: Omit<Options, "int64AsType"> & { int64AsType: "auto"; skipValues: unknown[] } = {
  useRecords: false,
  moreTypes: false,
  int64AsType: "auto",
  mapsAsObjects: true,
  variableMapSize: true,
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
};
const packr = new Packr(publicOptions as unknown as Options);
/** Reads int64/uint64 without a bigint per value, for the common message whose integers are all safe. */
const safeUnpackr = new Packr({ ...publicOptions, int64AsType: "number" } as unknown as Options);

/** Standard msgpack to JS; exact (bigint beyond ±(2^53 − 1)) only when such an integer is present. */
const unpack = (data: Uint8Array): unknown => (hasWideIntegers(data) ? packr.unpack(data) : safeUnpackr.unpack(data));

/**
 * How a registered type is read, worked out once from its schema: its Money fields (numbers back to bigint), and
 * whether it holds only declared number fields, where an integer beyond 2^53 is refused anyway (its magnitude
 * survives the fast read) so the scan for wide integers is not needed.
 */
interface ReadPlan {
  def: MessageDef;
  bigints: BigintFields | undefined;
  numbersOnly: boolean;
  /** nothing in it passes through unparsed (no unknown, any or custom): its parsed output shares nothing with the input */
  closed: boolean;
}
const plans = new Map<string, ReadPlan>();
function readPlan(type: string): ReadPlan | undefined {
  const known = plans.get(type);
  if (known) return known;
  const def = messageDef(type);
  if (!def) return undefined;
  const bigints = bigintFieldsOf(def.schema);
  const closed = isClosedSchema(def.schema);
  const plan = { def, bigints, numbersOnly: !bigints && closed, closed };
  plans.set(type, plan);
  return plan;
}

const unpackAs = (plan: ReadPlan | undefined, data: Uint8Array): unknown => (plan?.numbersOnly ? safeUnpackr.unpack(data) : unpack(data));

/**
 * Actor snapshots in KV are read back only by this runtime and must come back with the same JS types (Money as
 * bigint, µs as number): numbers wider than 32 bits stay float64 there and only bigints are int64.
 */
const snapshotPackr = new Packr({ useRecords: false, moreTypes: false, int64AsType: "bigint", mapsAsObjects: true, variableMapSize: true });

export const Header = {
  Type: "am-type",
  Version: "am-v",
  Correlation: "am-corr",
  TraceParent: "traceparent",
  Error: "am-error",
} as const;

export interface Envelope {
  type: string;
  version: number;
  correlationId?: string;
  traceparent?: string;
}

export interface Message {
  type: string;
  [field: string]: unknown;
}

export class DecodeError extends Error {
  override name = "DecodeError";
  constructor(
    readonly reason: "no-type" | "unknown-type" | "unexpected-type" | "bad-version" | "not-msgpack" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

export function encodePayload(body: unknown): Uint8Array {
  return integersAsMsgpackInts(packr.pack(body));
}

export function decodePayload(data: Uint8Array): unknown {
  return unpack(data);
}

/** A body of a registered type with its bigint (Money) fields restored, as the runtime reads journaled events. */
export function decodeBody(type: string, data: Uint8Array): Record<string, unknown> {
  const plan = readPlan(type);
  const body = (data.length ? unpackAs(plan, data) : {}) as Record<string, unknown>;
  plan?.bigints?.(body);
  return body;
}

export function encodeSnapshot(snapshot: unknown): Uint8Array {
  return snapshotPackr.pack(snapshot);
}

export function decodeSnapshot(data: Uint8Array): unknown {
  return snapshotPackr.unpack(data);
}

const SAFE_LIMIT = "the exact range of a JS number (±9007199254740991)";

/** A schema issue as a sentence naming the field; a bigint where a number belongs is a too-wide integer. */
function issueText(type: string, body: unknown, issue: { path: PropertyKey[]; message: string; code?: string } | undefined): string {
  const path = issue?.path.map(String).join(".") || "(root)";
  let value: unknown = body;
  for (const key of issue?.path ?? [])
    value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const unsafe = typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value));
  if (unsafe && (issue?.code === "invalid_type" || issue?.code === "too_big" || issue?.code === "too_small")) {
    return `${type}: ${path} ${BigInt(value as number | bigint)} is an integer beyond ${SAFE_LIMIT}`;
  }
  return `${type}: ${path} ${issue?.message}`;
}

/** Payload and headers for a message; `type` goes to the header, the rest of the object to the body. */
export function encodeMessage(message: Message, env: Partial<Envelope> = {}): { data: Uint8Array; headers: MsgHdrs } {
  const h = natsHeaders();
  const def = messageDef(message.type);
  h.set(Header.Type, message.type);
  h.set(Header.Version, String(env.version ?? def?.version ?? 1));
  if (env.correlationId) h.set(Header.Correlation, env.correlationId);
  if (env.traceparent) h.set(Header.TraceParent, env.traceparent);
  const { type: _type, ...body } = message;
  return { data: integersAsMsgpackInts(packr.pack(body)), headers: h };
}

const readOnly = (): never => {
  throw new TypeError("shared envelope headers are read-only: use encodeMessage for headers to add to");
};

/** The envelopes of sealed header sets, read once: they are shared between messages and cannot change. */
const sealedEnvelopes = new WeakMap<MsgHdrs, Envelope>();

/** Makes a header set read-only, to share it between messages (see encodeForPublish, headersOf). */
export function sealHeaders<H extends MsgHdrs>(h: H): H {
  return Object.assign(h, { set: readOnly, append: readOnly, delete: readOnly });
}

export function envelopeOf(h: MsgHdrs | undefined): Envelope | undefined {
  if (!h) return undefined;
  const sealed = h.set === readOnly;
  if (sealed) {
    const known = sealedEnvelopes.get(h);
    if (known) return known;
  }
  const type = h.get(Header.Type);
  if (!type) return undefined;
  // Each get() scans the keys: look up the optional fields only when present (most messages carry none).
  const keys = h.keys();
  const correlationId = keys.includes(Header.Correlation) ? h.get(Header.Correlation) || undefined : undefined;
  const traceparent = keys.includes(Header.TraceParent) ? h.get(Header.TraceParent) || undefined : undefined;
  const envelope: Envelope = {
    type,
    version: Number(h.get(Header.Version) || "1"),
    ...(correlationId ? { correlationId } : {}),
    ...(traceparent ? { traceparent } : {}),
  };
  if (sealed) sealedEnvelopes.set(h, Object.freeze(envelope));
  return envelope;
}
const sharedHeaders = new Map<string, MsgHdrs>();

/**
 * Payload and headers for a core NATS publish. A message without a correlation id has the same envelope as every
 * other of its type: one read-only header set per type, serialised once (nats.js would build and encode it per
 * publish, a microsecond of the tick path); one with a correlation id or trace context gets its own. The headers
 * are not for a JetStream publish, which adds its own.
 */
export function encodeForPublish(message: Message, correlationId?: string, traceparent?: string): { data: Uint8Array; headers: MsgHdrs } {
  if (correlationId || traceparent) return encodeMessage(message, { correlationId, traceparent });
  let headers = sharedHeaders.get(message.type);
  if (!headers) {
    // nats.js serialises headers with encode() at every publish (MsgHdrsImpl; not on the MsgHdrs interface)
    const h = encodeMessage({ type: message.type }).headers as MsgHdrs & { encode(): Uint8Array };
    const bytes = h.encode();
    headers = sealHeaders(Object.assign(h, { encode: () => bytes }));
    sharedHeaders.set(message.type, headers);
  }
  const { type: _type, ...body } = message;
  return { data: integersAsMsgpackInts(packr.pack(body)), headers };
}

/** A decoded message of one of the definitions `D`: its schema's output with its `type`. */
export type Decoded<D extends MessageDef> = D extends MessageDef<infer T, infer S> ? z.output<S> & { type: T } : never;

function bodyOf(data: Uint8Array, envelope: Envelope, plan: ReadPlan | undefined): object {
  let body: unknown;
  try {
    body = data.length ? unpackAs(plan, data) : {};
  } catch (e) {
    throw new DecodeError("not-msgpack", `${envelope.type}: payload is not msgpack (${errorMessage(e)})`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DecodeError("invalid", `${envelope.type}: payload must be a msgpack map`);
  }
  return body;
}

function validated(def: MessageDef, envelope: Envelope, body: object): object {
  if (envelope.version > def.version) {
    throw new DecodeError("bad-version", `${envelope.type}: schema version ${envelope.version} is newer than ${def.version}`);
  }
  const parsed = def.schema.safeParse(body);
  if (!parsed.success) throw new DecodeError("invalid", issueText(envelope.type, body, parsed.error.issues[0]));
  return parsed.data as object;
}

/**
 * Decodes a message; with `validate`, checks it against its registered schema (input from outside the runtime).
 * Any failure is a DecodeError with a reason, never a crash.
 */
export function decodeMessage(data: Uint8Array, h: MsgHdrs | undefined, validate: boolean): { message: Message; envelope: Envelope } {
  const envelope = envelopeOf(h);
  if (!envelope) throw new DecodeError("no-type", `missing ${Header.Type} header`);
  const plan = readPlan(envelope.type);
  const body = bodyOf(data, envelope, plan);
  // The body is a fresh object from the decoder: naming its type in place spares a copy per message (hot path).
  if (!validate) {
    plan?.bigints?.(body);
    (body as Message).type = envelope.type;
    return { message: body as Message, envelope };
  }
  const def = plan?.def;
  if (!def) throw new DecodeError("unknown-type", `unknown message type ${envelope.type}`);
  return { message: { ...validated(def, envelope, body), type: envelope.type }, envelope };
}

/**
 * Decodes a message that must be one of `expected`, validated against that definition's schema, and returns it
 * as that message's own type; another type, or a body its schema refuses, is a DecodeError naming both.
 */
export function decodeAs<D extends MessageDef>(expected: D | readonly D[], data: Uint8Array, h: MsgHdrs | undefined): Decoded<D> {
  const envelope = envelopeOf(h);
  if (!envelope) throw new DecodeError("no-type", `missing ${Header.Type} header`);
  const defs: readonly D[] = isDefList(expected) ? expected : [expected];
  const def = defs.find((d) => d.type === envelope.type);
  if (!def) throw new DecodeError("unexpected-type", `${envelope.type}: expected ${defs.map((d) => d.type).join(" or ")}`);
  // The schema of `def` just parsed the body, so it is that definition's output; TypeScript cannot follow the
  // link from the runtime `find` to the distributive type.
  // the schema's output is a fresh object: naming its type in place spares a copy per message (the recorder's hot path)
  const message = validated(def, envelope, bodyOf(data, envelope, readPlan(def.type))) as { type: string };
  message.type = def.type;
  return message as Decoded<D>;
}

const isDefList = <D extends MessageDef>(x: D | readonly D[]): x is readonly D[] => Array.isArray(x);

/** A message as the decoder reads its bytes, before its bigint fields or its schema: its type and body. */
export interface WireForm {
  readonly type: string;
  readonly body: Record<string, unknown>;
}

/**
 * A bus inside one process (the backtest's) delivers objects, not bytes: `wireForm` is a message as the decoder
 * reads the bytes encodeForPublish makes of it, and `readWireForm` is decodeMessage over that, for one receiver.
 * Each pays a copy of plain data where the codec pays msgpack both ways, and gives the same values: an undefined
 * field left out (nil in an array), -0 as 0, a safe bigint as a number until the schema's bigint fields get it
 * back, a byte array as a Buffer.
 */
export function wireForm(message: Message): WireForm {
  const body = plainCopy(message, "type");
  if (body !== NOT_PLAIN) return { type: message.type, body: body as Record<string, unknown> };
  // a value plain data cannot mirror (a Date, a Map, an unsafe bigint): the codec's own round trip
  const { type, ...rest } = message;
  return { type, body: unpackAs(readPlan(type), integersAsMsgpackInts(packr.pack(rest))) as Record<string, unknown> };
}

/**
 * decodeMessage's result for a wire form, validated against its schema where `validate` asks, in objects of its
 * own: a copy, but for a schema whose output is all fresh objects (closed: nothing passes through unparsed) or a
 * wire form `handedOver` to its only receiver.
 */
export function readWireForm(wire: WireForm, validate: boolean, handedOver = false): Message {
  const plan = readPlan(wire.type);
  if (!validate) {
    const body = handedOver ? wire.body : (deliveredCopy(wire.body) as Record<string, unknown>);
    plan?.bigints?.(body);
    body.type = wire.type;
    return body as Message;
  }
  const def = plan?.def;
  if (!def) throw new DecodeError("unknown-type", `unknown message type ${wire.type}`);
  const body = handedOver || plan.closed ? wire.body : deliveredCopy(wire.body);
  // the schema's output is a fresh object: its type is named in place (key order as decodeMessage's spread)
  const message = validated(def, { type: wire.type, version: def.version }, body as object) as Message;
  message.type = wire.type;
  return message;
}

const NOT_PLAIN: unique symbol = Symbol("not plain data");

/** `v` as plain data the codec would give back (NOT_PLAIN where it cannot say), leaving out an object's `skip` key. */
function plainCopy(v: unknown, skip?: string): unknown {
  switch (typeof v) {
    case "number":
      return v === 0 ? 0 : v;
    case "bigint":
      return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : NOT_PLAIN;
    case "object": {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = v[i] === undefined ? null : plainCopy(v[i]);
          if (x === NOT_PLAIN) return NOT_PLAIN;
          out[i] = x;
        }
        return out;
      }
      if (v instanceof Uint8Array) return Buffer.from(v);
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || k === skip) continue;
        const c = plainCopy(x);
        if (c === NOT_PLAIN) return NOT_PLAIN;
        out[k] = c;
      }
      return out;
    }
    case "undefined":
      return null;
    case "function":
    case "symbol":
      return NOT_PLAIN;
    default:
      return v;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A copy of a wire form's value: plain data, and the Buffers and Dates the decoder makes. */
function deliveredCopy(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deliveredCopy(v[i]);
    return out;
  }
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return new Date(v.getTime());
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = deliveredCopy((v as Record<string, unknown>)[k]);
  return out;
}
