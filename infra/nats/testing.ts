import type { z } from "zod";

/**
 * Test helpers for the wire contract: a sample value of a message schema, built from the schema itself, and a
 * strict reading of msgpack bytes that keeps each value's wire format (what a typed Go or Python client sees).
 */

interface Def {
  type: string;
  [key: string]: unknown;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
type Check = { check: string; format?: string; value?: number; inclusive?: boolean; minimum?: number; maximum?: number; pattern?: RegExp };
const checksOf = (d: Def): Check[] => ((d.checks as { _zod: { def: Check } }[] | undefined) ?? []).map((c) => c._zod.def);

/** A value wider than 32 bits, so each integer field exercises the 64-bit formats. */
const WIDE = 12_345_678_901;
const MICROS = 1_733_300_000_123_456;

/** Strings a refinement may ask for, by the field's name. */
function stringFor(key: string, d: Def): string {
  const checks = checksOf(d);
  const pattern = checks.find((c) => c.format === "regex")?.pattern;
  const candidates = [
    /instrument/i.test(key) ? "AAPL.XNAS" : undefined,
    /day|date/i.test(key) ? "2026-12-04" : undefined,
    "risk-book",
    "AAPL.XNAS",
    "s1",
    "1m",
    // EDGAR's identifiers: a CIK, an accession number, an 8-K item
    "0000320193",
    "0000320193-24-000123",
    "2.02",
  ].filter((c): c is string => c !== undefined);
  const fits = (c: string) =>
    (!pattern || new RegExp(pattern).test(c)) &&
    checks.every(
      (k) =>
        (k.check !== "min_length" || c.length >= (k.minimum ?? 0)) && (k.check !== "max_length" || c.length <= (k.maximum ?? Infinity)),
    );
  return candidates.find(fits) ?? candidates[0]!;
}

function numberFor(key: string, d: Def): number {
  const checks = checksOf(d);
  const int = checks.some((c) => c.format === "safeint" || c.format === "int32" || c.format === "uint32");
  const min = checks.find((c) => c.check === "greater_than");
  const max = checks.find((c) => c.check === "less_than");
  let v = int ? (/^ts|Us$|At$|nowUs/.test(key) ? MICROS : WIDE) : 0.25;
  if (max && (v > max.value! || (v === max.value && !max.inclusive))) v = int ? Math.floor(max.value! / 2) : max.value! / 2;
  if (min && (v < min.value! || (v === min.value && !min.inclusive))) v = int ? min.value! + 1 : min.value! + 0.25;
  return v;
}

/**
 * A sample message the schema accepts, with as many optional fields present as its cross-field rules allow: a
 * field a rule refuses (a price on a MARKET order) is left out.
 */
export function sampleMessage(schema: z.ZodType): z.ZodSafeParseResult<unknown> {
  const sample = sampleOf(schema) as Record<string, unknown>;
  for (;;) {
    const parsed = schema.safeParse(sample);
    const path = parsed.error?.issues[0]?.path ?? [];
    let parent: unknown = sample;
    for (const key of path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown>)[key];
    const last = path[path.length - 1];
    if (parsed.success || last === undefined || typeof parent !== "object" || parent === null || !(last in parent)) return parsed;
    delete (parent as Record<PropertyKey, unknown>)[last];
  }
}

/** A sample of a schema with every optional field present. */
export function sampleOf(schema: z.ZodType, key = ""): unknown {
  const d = defOf(schema);
  switch (d.type) {
    case "object":
      return Object.fromEntries(Object.entries(d.shape as Record<string, z.ZodType>).map(([k, s]) => [k, sampleOf(s, k)]));
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return sampleOf(d.innerType as z.ZodType, key);
    case "pipe":
      return sampleOf(d.in as z.ZodType, key);
    case "union":
      return sampleOf((d.options as z.ZodType[])[0]!, key);
    case "enum":
      return Object.values(d.entries as Record<string, string>)[0];
    case "literal":
      return (d.values as unknown[])[0];
    case "string":
      return stringFor(key, d);
    case "number":
      return numberFor(key, d);
    case "bigint":
      return 123_456_789_012_345_678n;
    case "boolean":
      return true;
    case "array": {
      // as many items as the schema's minimum asks (an OCO list takes two orders at least), one at the least
      const min = checksOf(d).find((c) => c.check === "min_length")?.minimum ?? 1;
      return Array.from({ length: Math.max(1, min) }, () => sampleOf(d.element as z.ZodType, key));
    }
    case "tuple":
      return (d.items as z.ZodType[]).map((s) => sampleOf(s, key));
    case "record":
      return { [stringFor(key, defOf(d.keyType as z.ZodType))]: sampleOf(d.valueType as z.ZodType, key) };
    case "null":
      return null;
    case "custom":
      return new Uint8Array([0xcb, 0xd4, 0x00]);
    default:
      return { note: "any value" };
  }
}

/** A msgpack value as a strict decoder sees it: each scalar with its wire format family. */
export type WireValue =
  | { format: "int"; value: bigint; code: number }
  | { format: "float"; value: number; code: number }
  | { format: "str"; value: string }
  | { format: "nil" }
  | { format: "bool"; value: boolean }
  | { format: "bin"; value: Uint8Array }
  | { format: "ext"; extType: number }
  | { format: "array"; items: WireValue[] }
  | { format: "map"; entries: [WireValue, WireValue][] };

/** Reads one msgpack value strictly: every integer as bigint with its format code; extensions reported as such. */
export function readWire(bytes: Uint8Array): WireValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const text = (n: number) => {
    const s = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(pos, pos + n));
    pos += n;
    return { format: "str" as const, value: s };
  };
  const ext = (n: number): WireValue => {
    const extType = view.getInt8(pos);
    pos += 1 + n;
    return { format: "ext", extType };
  };
  const many = (n: number) => Array.from({ length: n }, () => read());
  const map = (n: number): WireValue => ({
    format: "map",
    entries: Array.from({ length: n }, () => [read(), read()] as [WireValue, WireValue]),
  });
  const int = (code: number, value: bigint, size: number): WireValue => {
    pos += size;
    return { format: "int", value, code };
  };
  function read(): WireValue {
    if (pos >= bytes.length) throw new Error("truncated msgpack");
    const b = bytes[pos++]!;
    if (b < 0x80) return { format: "int", value: BigInt(b), code: b };
    if (b >= 0xe0) return { format: "int", value: BigInt(b - 0x100), code: b };
    if (b < 0x90) return map(b & 0x0f);
    if (b < 0xa0) return { format: "array", items: many(b & 0x0f) };
    if (b < 0xc0) return text(b & 0x1f);
    switch (b) {
      case 0xc0:
        return { format: "nil" };
      case 0xc2:
      case 0xc3:
        return { format: "bool", value: b === 0xc3 };
      case 0xca:
        pos += 4;
        return { format: "float", value: view.getFloat32(pos - 4), code: b };
      case 0xcb:
        pos += 8;
        return { format: "float", value: view.getFloat64(pos - 8), code: b };
      case 0xcc:
        return int(b, BigInt(view.getUint8(pos)), 1);
      case 0xcd:
        return int(b, BigInt(view.getUint16(pos)), 2);
      case 0xce:
        return int(b, BigInt(view.getUint32(pos)), 4);
      case 0xcf:
        return int(b, view.getBigUint64(pos), 8);
      case 0xd0:
        return int(b, BigInt(view.getInt8(pos)), 1);
      case 0xd1:
        return int(b, BigInt(view.getInt16(pos)), 2);
      case 0xd2:
        return int(b, BigInt(view.getInt32(pos)), 4);
      case 0xd3:
        return int(b, view.getBigInt64(pos), 8);
      case 0xd9:
        pos += 1;
        return text(view.getUint8(pos - 1));
      case 0xda:
        pos += 2;
        return text(view.getUint16(pos - 2));
      case 0xdb:
        pos += 4;
        return text(view.getUint32(pos - 4));
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const size = b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4;
        const n = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
        pos += size + n;
        return { format: "bin", value: bytes.subarray(pos - n, pos) };
      }
      case 0xdc:
        pos += 2;
        return { format: "array", items: many(view.getUint16(pos - 2)) };
      case 0xdd:
        pos += 4;
        return { format: "array", items: many(view.getUint32(pos - 4)) };
      case 0xde:
        pos += 2;
        return map(view.getUint16(pos - 2));
      case 0xdf:
        pos += 4;
        return map(view.getUint32(pos - 4));
      case 0xd4:
        return ext(1);
      case 0xd5:
        return ext(2);
      case 0xd6:
        return ext(4);
      case 0xd7:
        return ext(8);
      case 0xd8:
        return ext(16);
      case 0xc7:
        pos += 1;
        return ext(view.getUint8(pos - 1));
      case 0xc8:
        pos += 2;
        return ext(view.getUint16(pos - 2));
      case 0xc9:
        pos += 4;
        return ext(view.getUint32(pos - 4));
      default:
        throw new Error(`0x${b.toString(16)} at ${pos - 1} is not a msgpack format`);
    }
  }
  const value = read();
  if (pos !== bytes.length) throw new Error(`${bytes.length - pos} bytes after the msgpack value`);
  return value;
}

/** Hand-written msgpack as another language's library writes it: each integer in the format asked for. */
export type IntFormat = "uint8" | "uint16" | "uint32" | "uint64" | "int8" | "int16" | "int32" | "int64" | "float64";
const FORMAT_CODE: Record<IntFormat, [number, number]> = {
  uint8: [0xcc, 1],
  uint16: [0xcd, 2],
  uint32: [0xce, 4],
  uint64: [0xcf, 8],
  int8: [0xd0, 1],
  int16: [0xd1, 2],
  int32: [0xd2, 4],
  int64: [0xd3, 8],
  float64: [0xcb, 8],
};

export function foreignMap(fields: [string, string | number | bigint, IntFormat?][]): Uint8Array {
  const out: number[] = [0xde, fields.length >> 8, fields.length & 0xff];
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    out.push(0xd9, b.length, ...b);
  };
  for (const [key, value, format] of fields) {
    str(key);
    if (typeof value === "string") {
      str(value);
      continue;
    }
    const [code, size] = FORMAT_CODE[format ?? "int64"];
    const v = new DataView(new ArrayBuffer(size));
    if (code === 0xcb) v.setFloat64(0, Number(value));
    else if (size === 8) code === 0xcf ? v.setBigUint64(0, BigInt(value)) : v.setBigInt64(0, BigInt(value));
    else if (size === 4) code === 0xce ? v.setUint32(0, Number(value)) : v.setInt32(0, Number(value));
    else if (size === 2) code === 0xcd ? v.setUint16(0, Number(value)) : v.setInt16(0, Number(value));
    else code === 0xcc ? v.setUint8(0, Number(value)) : v.setInt8(0, Number(value));
    out.push(code, ...new Uint8Array(v.buffer));
  }
  return new Uint8Array(out);
}
