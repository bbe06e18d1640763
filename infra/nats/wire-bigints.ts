import type { z } from "zod";

/**
 * On the wire an integer is an integer: msgpack cannot say whether it was a JS number or a bigint (Money), and a
 * safe one decodes as a number. Messages decoded without validation (the runtime's hot path) get their bigint
 * fields back from this: a function per message type, derived once from its schema, that turns numbers into
 * bigints where the schema says bigint. Types without bigint fields get none and cost nothing.
 */
export type BigintFields = (value: unknown) => unknown;

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string } };
}

const toBigint: BigintFields = (v) => (typeof v === "number" && Number.isInteger(v) ? BigInt(v) : v);

export function bigintFieldsOf(schema: z.ZodType): BigintFields | undefined {
  const def = (schema as unknown as ZodInternals)._zod.def;
  const inner = (key: string) => bigintFieldsOf(def[key] as z.ZodType);
  switch (def.type) {
    case "bigint":
      return toBigint;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return inner("innerType");
    case "pipe":
      return inner("in");
    case "union":
      // Money is a union of bigint and number; a union of records is decided by the first option that has one.
      for (const option of def.options as z.ZodType[]) {
        const f = bigintFieldsOf(option);
        if (f) return f;
      }
      return undefined;
    case "array": {
      const element = inner("element");
      return element && ((v) => (Array.isArray(v) ? v.map(element) : v));
    }
    case "record": {
      const field = inner("valueType");
      if (!field) return undefined;
      return (v) => {
        if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = field(x);
        return v;
      };
    }
    case "object": {
      const fields: [string, BigintFields][] = [];
      for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        const f = bigintFieldsOf(child);
        if (f) fields.push([key, f]);
      }
      if (!fields.length) return undefined;
      return (v) => {
        if (typeof v !== "object" || v === null) return v;
        const o = v as Record<string, unknown>;
        for (const [key, f] of fields) if (o[key] !== undefined) o[key] = f(o[key]);
        return v;
      };
    }
    default:
      return undefined;
  }
}

/**
 * Whether every value the schema admits has a declared type: no unknown or any inside. Only then may the decoder
 * read 64-bit integers as plain numbers, since an open value (a reply's result) may carry Money of any size.
 */
export function isClosedSchema(schema: z.ZodType): boolean {
  const def = (schema as unknown as ZodInternals)._zod.def;
  const closed = (key: string) => isClosedSchema(def[key] as z.ZodType);
  switch (def.type) {
    case "unknown":
    case "any":
    case "custom":
    case "lazy":
      return false;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return closed("innerType");
    case "pipe":
      return closed("in");
    case "union":
      return (def.options as z.ZodType[]).every(isClosedSchema);
    case "array":
      return closed("element");
    case "record":
      return closed("valueType");
    case "tuple":
      return (def.items as z.ZodType[]).every(isClosedSchema);
    case "object":
      return (
        Object.values(def.shape as Record<string, z.ZodType>).every(isClosedSchema) &&
        (def.catchall === undefined || isClosedSchema(def.catchall as z.ZodType))
      );
    default:
      return true;
  }
}
