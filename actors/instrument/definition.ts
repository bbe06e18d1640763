import { z } from "zod";
import { AssetClass, type Price, type Quantity, parseFixed, asPrice, asQuantity } from "../domain/index.ts";
import { parseInstrumentId, errorMessage } from "../contract/index.ts";
import { type TradingHours, alwaysOpen } from "./trading-hours.ts";

/** What the platform knows about one tradable instrument. Prices and quantities are fixed-point units (fixed.ts). */
export interface InstrumentDefinition {
  /** SYMBOL.VENUE */
  id: string;
  symbol: string;
  venue: string;
  assetClass: AssetClass;
  currency: string;
  /** tick size in units: every price is a multiple of it */
  priceIncrement: Price;
  /** lot size in units: every size is a multiple of it */
  lotSize: Quantity;
  /** contract multiplier in units (1 for cash instruments) */
  multiplier: number;
  sector?: string;
  tradingHours: TradingHours;
}

/**
 * A decimal given as a string ("0.01") or a JSON number. Numbers are read through their shortest decimal text,
 * which is exact for the values a definition file holds (0.01 → "0.01"), then converted to units.
 */
const decimal = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    try {
      const n = parseFixed(typeof v === "number" ? String(v) : v, what);
      if (n <= 0) ctx.addIssue({ code: "custom", message: `${what} must be positive, got ${v}` });
      return n;
    } catch (e) {
      ctx.addIssue({ code: "custom", message: errorMessage(e) });
      return z.NEVER;
    }
  });

const minuteOfDay = z.number().int().min(0).max(1440);

export const tradingHoursSchema = z
  .object({
    weekdays: z.array(z.number().int().min(0).max(6)).min(1).max(7),
    sessions: z
      .array(z.object({ open: minuteOfDay, close: minuteOfDay }))
      .min(1)
      .max(8),
    preOpenMinutes: z.number().int().min(0).max(720).default(0),
  })
  .superRefine((h, ctx) => {
    if (new Set(h.weekdays).size !== h.weekdays.length) ctx.addIssue({ code: "custom", path: ["weekdays"], message: "weekdays repeat" });
    h.sessions.forEach((s, i) => {
      if (s.open >= s.close)
        ctx.addIssue({
          code: "custom",
          path: ["sessions", i],
          message: `open ${s.open} must be before close ${s.close} (split a session crossing midnight in two)`,
        });
      const prev = h.sessions[i - 1];
      if (prev && s.open < prev.close)
        ctx.addIssue({
          code: "custom",
          path: ["sessions", i],
          message: `opens at ${s.open}, before the previous session closes at ${prev.close}`,
        });
    });
  });

export const instrumentDefinitionSchema = z
  .object({
    id: z.string().refine((s) => {
      try {
        parseInstrumentId(s);
        return true;
      } catch {
        return false;
      }
    }, "must be SYMBOL.VENUE"),
    assetClass: z.enum(Object.values(AssetClass) as [AssetClass, ...AssetClass[]]),
    currency: z.string().regex(/^[A-Z]{3,5}$/, "3 to 5 upper-case letters"),
    priceIncrement: decimal("priceIncrement").brand<"Price">(),
    lotSize: decimal("lotSize").brand<"Quantity">(),
    multiplier: decimal("multiplier").default(100_000_000),
    sector: z.string().min(1).max(64).optional(),
    tradingHours: tradingHoursSchema.default(() => ({
      weekdays: [...alwaysOpen.weekdays],
      sessions: alwaysOpen.sessions.map((s) => ({ ...s })),
      preOpenMinutes: 0,
    })),
  })
  .strict()
  .transform((d): InstrumentDefinition => {
    const { symbol, venue } = parseInstrumentId(d.id);
    return { ...d, symbol, venue, multiplier: d.multiplier };
  });

/** The JSON form of a definition (decimals as strings). */
export type InstrumentDefinitionInput = z.input<typeof instrumentDefinitionSchema>;

export class InstrumentDefinitionError extends Error {
  override name = "InstrumentDefinitionError";
}

/**
 * Reads definitions from JSON text: an array, or `{ "instruments": [...] }`. Every problem is reported at once,
 * each as `instruments[<index>].<field>: <message> (instrument <id>)`; ids must be unique.
 */
export function loadInstrumentDefinitions(json: string): InstrumentDefinition[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new InstrumentDefinitionError(`instrument definitions are not valid JSON: ${errorMessage(e)}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { instruments?: unknown } | null)?.instruments;
  if (!Array.isArray(list)) throw new InstrumentDefinitionError('instrument definitions must be an array or { "instruments": [...] }');
  const problems: string[] = [];
  const out: InstrumentDefinition[] = [];
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const r = instrumentDefinitionSchema.safeParse(item);
    if (!r.success) {
      // the id too, when it reads as one: operators look for the instrument, not its position in the file
      const id = typeof (item as { id?: unknown } | null)?.id === "string" ? ` (instrument ${(item as { id: string }).id})` : "";
      for (const issue of r.error.issues) {
        const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
        problems.push(`instruments[${i}]${path}: ${issue.message}${id}`);
      }
      return;
    }
    const first = seen.get(r.data.id);
    if (first !== undefined) problems.push(`instruments[${i}].id: ${r.data.id} is already defined at instruments[${first}]`);
    else seen.set(r.data.id, i);
    out.push(r.data);
  });
  if (problems.length > 0) throw new InstrumentDefinitionError(problems.join("\n"));
  return out;
}

const SECTORS = ["Technology", "Financials", "Energy", "Health Care", "Industrials", "Consumer", "Utilities", "Materials"];

/** N simulated equities SIM001.SIMX, SIM002.SIMX, … for demos and benchmarks; open all day unless told. */
export function demoUniverse(n: number, options: { venue?: string; tradingHours?: TradingHours } = {}): InstrumentDefinition[] {
  const venue = options.venue ?? "SIMX";
  const width = Math.max(3, String(n).length);
  return Array.from({ length: n }, (_, i) => {
    const symbol = `SIM${String(i + 1).padStart(width, "0")}`;
    return {
      id: `${symbol}.${venue}`,
      symbol,
      venue,
      assetClass: AssetClass.Equity,
      currency: "USD",
      priceIncrement: asPrice(1_000_000), // 0.01
      lotSize: asQuantity(100_000_000), // 1 share
      multiplier: 100_000_000,
      sector: SECTORS[i % SECTORS.length]!,
      tradingHours: options.tradingHours ?? alwaysOpen,
    };
  });
}
