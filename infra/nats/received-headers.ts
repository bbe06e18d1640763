import type { JsMsg } from "@nats-io/jetstream";
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import { sealHeaders } from "./codec.ts";

/**
 * The headers of a received message, decoded once per distinct header block. Most messages carry only the
 * envelope's type and version (no correlation id, no trace context: market data, events, bars), so their header
 * bytes repeat per type; nats.js decodes them again for every message (text decode, split, a Map per message),
 * which was about a tenth of an instrument cell's CPU on the tick path. A block of only `am-type` and `am-v` is
 * decoded once and its read-only headers shared; any other block (a correlation id, a trace, JetStream's
 * republish headers) is decoded by nats.js as before.
 *
 * It reads the received bytes through nats.js's message internals (MsgImpl `_msg.hdr`, `_rdata`); a nats.js whose
 * messages lack them gets its own decode, so an upgrade costs speed, never correctness.
 */
const SHAREABLE: ReadonlySet<string> = new Set(["am-type", "am-v"]);
/** distinct shareable blocks kept: one per message type and version, far below this */
const MAX_SHARED = 2_048;

interface Raw {
  _msg?: { hdr?: number };
  _rdata?: Uint8Array;
}

const shared = new Map<number, { bytes: Uint8Array; headers: MsgHdrs }[]>();
let sharedCount = 0;

/** FNV-1a over the block: a bucket key, confirmed by comparing the bytes. */
function hashOf(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The raw header block of a core or JetStream message, or undefined where nats.js does not expose it. */
function rawBlock(msg: Msg | JsMsg): Uint8Array | undefined {
  const inner = ("msg" in msg ? (msg as { msg: unknown }).msg : msg) as Raw;
  const hdr = inner._msg?.hdr;
  const data = inner._rdata;
  if (typeof hdr !== "number" || hdr <= 0 || !(data instanceof Uint8Array) || hdr > data.length) return undefined;
  return data.subarray(0, hdr);
}

/** The message's headers (undefined when it has none); see the module comment for which are shared. */
export function headersOf(msg: Msg | JsMsg): MsgHdrs | undefined {
  const block = rawBlock(msg);
  if (!block) return msg.headers;
  const hash = hashOf(block);
  const bucket = shared.get(hash);
  if (bucket) for (const e of bucket) if (sameBytes(e.bytes, block)) return e.headers;
  const headers = msg.headers;
  if (!headers || sharedCount >= MAX_SHARED || headers.hasError || !headers.keys().every((k) => SHAREABLE.has(k))) return headers;
  // a copy: the block is a view of the connection's read buffer
  const entry = { bytes: block.slice(), headers: sealHeaders(headers) };
  if (bucket) bucket.push(entry);
  else shared.set(hash, [entry]);
  sharedCount++;
  return headers;
}
