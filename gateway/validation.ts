import { z } from "zod";
import { type FixedPointError, formatFixed, parseFixed, parseMoney } from "../actors/domain/index.ts";
import { parseInstrumentId } from "../actors/contract/index.ts";
import { invalidArgument } from "./errors.ts";

/**
 * Request schemas are written against the proto field names (camelCase in JS) and turn decimal strings into
 * fixed-point units. An error names the field as the proto spells it (snake_case).
 */
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function fieldError(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.map((p) => (typeof p === "string" ? snake(p) : String(p))).join(".") || "(request)";
  return `${path}: ${issue?.message ?? "invalid"}`;
}

export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw invalidArgument(fieldError(r.error));
  return r.data;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * What is wrong with a decimal string that must not be negative, said as the user would fix it: "-5" is a
 * negative number, "abc" is not a number at all. Undefined when it is a well-formed non-negative decimal.
 */
function decimalProblem(s: string, rule: string): string | undefined {
  if (!DECIMAL.test(s)) return `${JSON.stringify(s)} is not a decimal number like "123.45"`;
  if (s.startsWith("-") && /[1-9]/.test(s)) return `${s} is negative: ${rule}`;
  return undefined;
}

/** A positive decimal string → 1e-8 units, or an issue on ctx. */
function positiveUnits(s: string, ctx: z.RefinementCtx): number {
  const problem = decimalProblem(s, "must be positive");
  if (problem) {
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }
  try {
    const v = parseFixed(s);
    if (v <= 0) ctx.addIssue({ code: "custom", message: `${s} is zero: must be positive` });
    return v;
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as FixedPointError).message.replace(/^value: /, "") });
    return z.NEVER;
  }
}

/** A required positive decimal string → 1e-8 units. */
export const decimal = z.string().min(1, "required").transform(positiveUnits);

/** An optional positive decimal string: "" (proto3's absent) → undefined. */
export const optionalDecimal = z.string().transform((s, ctx) => (s === "" ? undefined : positiveUnits(s, ctx)));

/** The same decimals typed by their meaning (the brand is type-only: no extra run-time step). */
export const quantityDecimal = decimal.brand<"Quantity">();
export const optionalQuantity = optionalDecimal.brand<"Quantity">();
export const optionalPrice = optionalDecimal.brand<"Price">();

/** An optional non-negative money amount: "" → undefined, else bigint 1e-8 units. */
export const optionalMoney = z.string().transform((s, ctx) => {
  if (s === "") return undefined;
  const problem = decimalProblem(s, "the amount must be 0 or more");
  if (problem) {
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }
  try {
    return parseMoney(s.replace(/^-/, ""));
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as FixedPointError).message.replace(/^amount: /, "") });
    return z.NEVER;
  }
});

export const instrument = z
  .string()
  .min(1, "required")
  .refine((s) => {
    try {
      parseInstrumentId(s);
      return true;
    } catch {
      return false;
    }
  }, "must be SYMBOL.VENUE");

/** Ids that become one subject token: the same alphabet as client order ids. */
export const actorId = z
  .string()
  .min(1, "required")
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, "1-64 of A-Z a-z 0-9 . _ : -");
export const kind = z
  .string()
  .min(1, "required")
  .regex(/^[a-z][a-z0-9-]{0,31}$/, "a lower-case actor kind like risk-book");
export const reason = z.string().max(256, "at most 256 characters");

/** A proto enum name with its prefix → the domain value: "SIDE_BUY" → "BUY"; UNSPECIFIED is refused. */
export function protoEnum<const V extends string>(prefix: string, values: readonly V[]) {
  const names = values.map((v) => `${prefix}${v}`);
  return z.string().transform((s, ctx) => {
    const i = names.indexOf(s);
    if (i < 0) {
      ctx.addIssue({ code: "custom", message: `must be one of ${names.join(", ")}` });
      return z.NEVER;
    }
    return values[i]!;
  });
}

/** A JSON object in a string field. */
export const jsonObject = z.string().transform((s, ctx) => {
  try {
    const v: unknown = JSON.parse(s === "" ? "{}" : s);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  ctx.addIssue({ code: "custom", message: "must be a JSON object" });
  return z.NEVER;
});

export const limitOf = (dflt: number, max: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(max, `at most ${max}`)
    .transform((n) => (n === 0 ? dflt : n));

/* ---- outbound: actor results → proto fields ---- */

/** Units (number or bigint) → decimal string; anything else → "". */
export function dec(v: unknown): string {
  if (typeof v === "number" && Number.isInteger(v)) return formatFixed(v);
  if (typeof v === "bigint") return formatFixed(v);
  return "";
}
export const str = (v: unknown): string => (typeof v === "string" ? v : "");
export const int = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : typeof v === "bigint" ? Number(v) : 0;
export const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const withPrefix = (prefix: string, v: unknown): string => (typeof v === "string" && v ? `${prefix}${v}` : `${prefix}UNSPECIFIED`);
