import { formatFixed } from "../domain/index.ts";
import {
  type InstrumentDefinition,
  InstrumentDefinitionError,
  type InstrumentDefinitionInput,
  instrumentDefinitionSchema,
} from "./definition.ts";
import { errorMessage } from "../contract/index.ts";

/**
 * The stored (JSON) form of a definition: decimals as strings ("0.01"), never binary floats, so a definition
 * written and read back is the same to the last unit.
 */
export interface InstrumentDefinitionRecord {
  id: string;
  assetClass: InstrumentDefinition["assetClass"];
  currency: string;
  priceIncrement: string;
  lotSize: string;
  multiplier: string;
  sector?: string;
  tradingHours: { weekdays: number[]; sessions: { open: number; close: number }[]; preOpenMinutes: number };
}

export function definitionRecord(d: InstrumentDefinition): InstrumentDefinitionRecord {
  return {
    id: d.id,
    assetClass: d.assetClass,
    currency: d.currency,
    priceIncrement: formatFixed(d.priceIncrement),
    lotSize: formatFixed(d.lotSize),
    multiplier: formatFixed(d.multiplier),
    ...(d.sector !== undefined ? { sector: d.sector } : {}),
    tradingHours: {
      weekdays: [...d.tradingHours.weekdays],
      sessions: d.tradingHours.sessions.map((s) => ({ open: s.open, close: s.close })),
      preOpenMinutes: d.tradingHours.preOpenMinutes,
    },
  };
}

const fieldPath = (path: readonly PropertyKey[]): string => path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");

/**
 * Validates one definition in its JSON form. Problems are returned as `<label><field>: <message>`, e.g.
 * `instrument AAPL.XNAS.priceIncrement: priceIncrement must be positive, got 0`; none means it is valid.
 */
export function definitionProblems(value: unknown, label: string): { definition?: InstrumentDefinition; problems: string[] } {
  const r = instrumentDefinitionSchema.safeParse(value);
  if (r.success) return { definition: r.data, problems: [] };
  return { problems: r.error.issues.map((i) => `${label}${fieldPath(i.path)}: ${i.message}`) };
}

/** The definition a stored value holds, or an InstrumentDefinitionError naming the key and the field. */
export function parseDefinitionRecord(json: string, key: string, expectedId?: string): InstrumentDefinition {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new InstrumentDefinitionError(`instrument definition under key ${key} is not valid JSON: ${errorMessage(e)}`);
  }
  const { definition, problems } = definitionProblems(doc, `key ${key}`);
  if (!definition) throw new InstrumentDefinitionError(problems.join("\n"));
  if (expectedId !== undefined && definition.id !== expectedId) {
    throw new InstrumentDefinitionError(`key ${key}.id: holds ${definition.id}, expected ${expectedId}`);
  }
  return definition;
}

/**
 * Checks a set of definitions before any is stored: each one in its stored form (so a value built in code meets the
 * same rules as one read from a file) and ids unique. Throws one InstrumentDefinitionError listing every problem,
 * each naming the instrument and the field; returns the records to store otherwise.
 */
export function checkDefinitions(defs: readonly InstrumentDefinition[]): InstrumentDefinitionRecord[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const records: InstrumentDefinitionRecord[] = [];
  defs.forEach((d, i) => {
    const label = typeof d?.id === "string" ? `instrument ${d.id}` : `instruments[${i}]`;
    let record: InstrumentDefinitionRecord;
    try {
      record = definitionRecord(d);
    } catch (e) {
      problems.push(`${label}: ${errorMessage(e)}`);
      return;
    }
    const checked = definitionProblems(record as InstrumentDefinitionInput, label);
    problems.push(...checked.problems);
    if (checked.definition && (checked.definition.symbol !== d.symbol || checked.definition.venue !== d.venue)) {
      problems.push(
        `${label}.symbol: ${d.symbol}/${d.venue} disagree with the id (symbol ${checked.definition.symbol}, venue ${checked.definition.venue})`,
      );
    }
    if (seen.has(d.id)) problems.push(`${label}.id: defined twice`);
    seen.add(d.id);
    records.push(record);
  });
  if (problems.length > 0) throw new InstrumentDefinitionError(`instrument definitions refused, nothing stored:\n${problems.join("\n")}`);
  return records;
}
