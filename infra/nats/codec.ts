import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { Packr } from "msgpackr";
import type { z } from "zod";
import { errorMessage, type MessageDef, messageDef } from "../../actors/contract/index.ts";
import "../../actors/domain/messages/index.ts"; // every message type of the platform is known to the codec

/**
 * The wire format of every public subject: standard msgpack (no msgpackr records or extensions, so any msgpack
 * library can read it) with the envelope in NATS headers. Integers wider than 32 bits travel as float64, which is
 * exact for the 1e-8 fixed-point units (below 2^53); Money (bigint) travels as int64.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: "bigint", mapsAsObjects: true, variableMapSize: true });

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
  return packr.pack(body);
}

export function decodePayload(data: Uint8Array): unknown {
  return packr.unpack(data);
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
  return { data: packr.pack(body), headers: h };
}

const readOnly = (): never => {
  throw new TypeError("shared envelope headers are read-only: use encodeMessage for headers to add to");
};
const sharedHeaders = new Map<string, MsgHdrs>();

/**
 * Payload and headers for a core NATS publish. A message without a correlation id has the same envelope as every
 * other of its type: one read-only header set per type, serialised once (nats.js would build and encode it per
 * publish, a microsecond of the tick path). The headers are not for a JetStream publish, which adds its own.
 */
export function encodeForPublish(message: Message, correlationId?: string): { data: Uint8Array; headers: MsgHdrs } {
  if (correlationId) return encodeMessage(message, { correlationId });
  let headers = sharedHeaders.get(message.type);
  if (!headers) {
    // nats.js serialises headers with encode() at every publish (MsgHdrsImpl; not on the MsgHdrs interface)
    const h = encodeMessage({ type: message.type }).headers as MsgHdrs & { encode(): Uint8Array };
    const bytes = h.encode();
    headers = Object.assign(h, { encode: () => bytes, set: readOnly, append: readOnly, delete: readOnly });
    sharedHeaders.set(message.type, headers);
  }
  const { type: _type, ...body } = message;
  return { data: packr.pack(body), headers };
}

export function envelopeOf(h: MsgHdrs | undefined): Envelope | undefined {
  const type = h?.get(Header.Type);
  if (!h || !type) return undefined;
  // Each get() scans the keys: look up the optional fields only when present (most messages carry none).
  const keys = h.keys();
  const correlationId = keys.includes(Header.Correlation) ? h.get(Header.Correlation) || undefined : undefined;
  const traceparent = keys.includes(Header.TraceParent) ? h.get(Header.TraceParent) || undefined : undefined;
  return { type, version: Number(h.get(Header.Version) || "1"), ...(correlationId ? { correlationId } : {}), ...(traceparent ? { traceparent } : {}) };
}

/** A decoded message of one of the definitions `D`: its schema's output with its `type`. */
export type Decoded<D extends MessageDef> = D extends MessageDef<infer T, infer S> ? z.output<S> & { type: T } : never;

function bodyOf(data: Uint8Array, envelope: Envelope): object {
  let body: unknown;
  try {
    body = data.length ? packr.unpack(data) : {};
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
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DecodeError("invalid", `${envelope.type}: ${issue?.path.join(".") || "(root)"} ${issue?.message}`);
  }
  return parsed.data as object;
}

/**
 * Decodes a message; with `validate`, checks it against its registered schema (input from outside the runtime).
 * Any failure is a DecodeError with a reason, never a crash.
 */
export function decodeMessage(data: Uint8Array, h: MsgHdrs | undefined, validate: boolean): { message: Message; envelope: Envelope } {
  const envelope = envelopeOf(h);
  if (!envelope) throw new DecodeError("no-type", `missing ${Header.Type} header`);
  const body = bodyOf(data, envelope);
  // The body is a fresh object from the decoder: naming its type in place spares a copy per message (hot path).
  if (!validate) {
    (body as Message).type = envelope.type;
    return { message: body as Message, envelope };
  }
  const def = messageDef(envelope.type);
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
  return { ...validated(def, envelope, bodyOf(data, envelope)), type: def.type } as Decoded<D>;
}

const isDefList = <D extends MessageDef>(x: D | readonly D[]): x is readonly D[] => Array.isArray(x);
