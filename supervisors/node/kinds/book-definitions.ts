/**
 * Risk books defined at run time (am.admin.deploy with kind `risk-book`, `scripts/admin.ts books define`): each
 * with its cash, instruments, limits and the strategies that trade on it, kept as JSON text under `books.<id>` in
 * the config bucket. Each cell's kinds follow that key space live, so a book and its strategies find their
 * definition on whichever node they are placed, restarted or moved to. The demo book stays defined in code.
 */
import { z } from "zod";
import { AssetClass, formatFixed, parseFixed, parseMoney, riskLimits, schema } from "../../../actors/domain/index.ts";
import type { InstrumentDefinition } from "../../../actors/instrument/index.ts";
import { type BookConfig, defaultBookConfig } from "../../../actors/risk-book/index.ts";
import { kvKey, parseKvKey } from "../../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../../infra/telemetry/log.ts";
import { canonicalJson, type ConfigKeySpace, type Deployable, DeployError, DeployRefusal } from "./deployments.ts";
import { type DeployedStrategy, deployedStrategyOf, parseStrategyDeployment, type StrategyDeployment } from "./strategy-deployments.ts";

const KEY_PREFIX = "books";
export const bookDefinitionKey = (id: string): string => kvKey(KEY_PREFIX, id);

/** A book id travels in subjects and in every order of its strategies: the same grammar as a strategy id. */
const bookId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_:-]{0,63}$/, "1-64 of A-Z a-z 0-9 _ : - (no dots)");

/** An amount of money or a multiplier: a decimal string ("1000000.50") or a JSON number, at most 8 decimals. */
const decimal = (what: "money" | "positive") =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const text = typeof v === "number" ? String(v) : v;
    try {
      if (what === "money" ? parseMoney(text) >= 0n : parseFixed(text) > 0) return text.trim();
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a ${what === "money" ? "non-negative" : "positive"} decimal` });
    return z.NEVER;
  });

/** What an operator writes (`books define <id> <file>`). */
export const bookDefinitionInput = z.strictObject({
  initialCash: decimal("money"),
  markSource: z.enum(["MID", "LAST"]).default("MID"),
  positionMode: z.enum(["NETTING", "HEDGING"]).default("NETTING"),
  /** smallest rise of the high-water mark that is journaled */
  hwmStep: decimal("money").default("0"),
  /** multiplier, sector and asset class may be left out for instruments of the node's catalogue */
  instruments: z
    .array(
      z.strictObject({
        id: schema.instrumentId,
        multiplier: decimal("positive").optional(),
        sector: z.string().min(1).max(64).optional(),
        assetClass: z.enum(Object.values(AssetClass)).optional(),
      }),
    )
    .min(1)
    .max(512),
  /** the risk limits, as `set-limits` takes them (quantities and money in 1e-8 units) */
  limits: z.record(z.string(), z.unknown()).default({}),
  /** the strategies trading on this book, by id: strategy deployments whose book is this one */
  strategies: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

/** What is stored: every default resolved, amounts as decimal strings (readable with any KV client). */
export interface BookDefinition {
  initialCash: string;
  markSource: "MID" | "LAST";
  positionMode: "NETTING" | "HEDGING";
  hwmStep: string;
  instruments: { id: string; multiplier: string; sector: string; assetClass: AssetClass }[];
  limits: Record<string, unknown>;
  strategies: Record<string, StrategyDeployment>;
}

const invalid = (field: string, message: string) => new DeployError(DeployRefusal.Invalid, `${field}: ${message}`);

function fieldOf(issue: z.core.$ZodIssue, under: string[]): string {
  const path = ["config", ...under, ...issue.path.map(String)];
  if (issue.code === "unrecognized_keys") path.push(issue.keys[0] ?? "");
  return path.join(".");
}

/** Where a definition may look up what it leaves out: the instrument catalogue. */
export type InstrumentLookup = (id: string) => InstrumentDefinition | undefined;

/**
 * Validates the definition of book `id`: its shape, its instruments (multiplier, sector and asset class from
 * `lookup` where left out), its limits against the risk book's own schema, and each strategy as a deployment on
 * this book trading only instruments the book holds. Errors name the field (`config.limits.maxPosition`).
 */
export function parseBookDefinition(
  id: string,
  config: Record<string, unknown>,
  lookup: InstrumentLookup = () => undefined,
): BookDefinition {
  const name = bookId.safeParse(id);
  if (!name.success) throw invalid("id", name.error.issues[0]!.message);
  const r = bookDefinitionInput.safeParse(config);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(fieldOf(issue, []), issue.code === "unrecognized_keys" ? "not a field of a book definition" : issue.message);
  }
  const c = r.data;
  const seen = new Set<string>();
  const instruments = c.instruments.map((i, n) => {
    if (seen.has(i.id)) throw invalid(`config.instruments.${n}.id`, `${i.id} is listed twice`);
    seen.add(i.id);
    const known = lookup(i.id);
    const multiplier = i.multiplier ?? (known && formatFixed(known.multiplier));
    const sector = i.sector ?? known?.sector ?? (known ? "OTHER" : undefined);
    const assetClass = i.assetClass ?? known?.assetClass;
    const missing =
      multiplier === undefined ? "multiplier" : sector === undefined ? "sector" : assetClass === undefined ? "assetClass" : "";
    if (missing) throw invalid(`config.instruments.${n}.${missing}`, `required: ${i.id} is not in the instrument catalogue`);
    return { id: i.id, multiplier: multiplier!, sector: sector!, assetClass: assetClass! };
  });
  const limits = riskLimits.safeParse(c.limits);
  if (!limits.success) throw invalid(fieldOf(limits.error.issues[0]!, ["limits"]), limits.error.issues[0]!.message);
  for (const instrument of Object.keys(limits.data.instruments))
    if (!seen.has(instrument)) throw invalid(`config.limits.instruments.${instrument}`, `${instrument} is not an instrument of book ${id}`);
  const strategies: Record<string, StrategyDeployment> = {};
  for (const [sid, s] of Object.entries(c.strategies)) {
    const where = `config.strategies.${sid}`;
    if (s.book !== undefined && s.book !== id) throw invalid(`${where}.book`, `must be ${id} (the book it is defined in) or left out`);
    let d: StrategyDeployment;
    try {
      d = parseStrategyDeployment(sid, { ...s, book: id }, (i) => {
        const k = lookup(i);
        return k && { tickSize: k.priceIncrement, lotSize: k.lotSize };
      });
    } catch (e) {
      // the deployment's own error names its field from `config.`; here that is under the strategy
      if (e instanceof DeployError) throw new DeployError(DeployRefusal.Invalid, `${where}.${e.message.replace(/^config\./, "")}`);
      throw e;
    }
    d.instruments.forEach((i, n) => {
      if (!seen.has(i.id)) throw invalid(`${where}.instruments.${n}.id`, `${i.id} is not an instrument of book ${id}`);
    });
    strategies[sid] = d;
  }
  return {
    initialCash: c.initialCash,
    markSource: c.markSource,
    positionMode: c.positionMode,
    hwmStep: c.hwmStep,
    instruments,
    limits: c.limits,
    strategies,
  };
}

/** The risk book's configuration from a stored definition. */
export function bookConfigOf(id: string, d: BookDefinition): BookConfig {
  return defaultBookConfig(id, {
    initialCash: parseMoney(d.initialCash),
    markSource: d.markSource,
    positionMode: d.positionMode,
    hwmStep: parseMoney(d.hwmStep),
    instruments: d.instruments.map((i) => ({
      instrument: i.id,
      multiplier: parseFixed(i.multiplier),
      sector: i.sector,
      assetClass: i.assetClass,
    })),
    limits: riskLimits.parse(d.limits),
  });
}

/** Ids taken elsewhere: a book's strategy may not reuse a strategy id the node already runs. */
export interface TakenIds {
  book(id: string): boolean;
  strategy(id: string, exceptBook: string): boolean;
}

/**
 * am.admin.deploy for kind `risk-book`: the definition is checked whole before anything is stored, so a bad one
 * changes nothing; the book's strategies are spawned with it.
 */
export function bookDeployable(lookup: InstrumentLookup, taken: TakenIds): Deployable {
  return {
    kind: "risk-book",
    key: bookDefinitionKey,
    prepare(id, config) {
      if (taken.book(id)) throw new DeployError(DeployRefusal.AlreadyExists, `risk book ${id} is a built-in book`);
      const d = parseBookDefinition(id, config, lookup);
      for (const sid of Object.keys(d.strategies))
        if (taken.strategy(sid, id))
          throw new DeployError(DeployRefusal.AlreadyExists, `config.strategies.${sid}: strategy ${sid} already runs`);
      return canonicalJson(d);
    },
    companions: (_id, text) => Object.keys((JSON.parse(text) as BookDefinition).strategies).map((sid) => ({ kind: "strategy", id: sid })),
  };
}

/** The books defined in KV as one process last saw them (kept current by the config watch). */
export interface BookDefinitions {
  /** the book's configuration (also kept in the `books` map handed to `bookDefinitions`) */
  get(id: string): BookConfig | undefined;
  /** a strategy defined in some book */
  strategy(id: string): DeployedStrategy | undefined;
  /** which defined book a strategy belongs to */
  bookOfStrategy(id: string): string | undefined;
  strategyIds(): string[];
  /** the instruments a defined book marks its positions with (all of its own) */
  marked(id: string): readonly string[];
}

/**
 * The defined books, and the key space (`books.>`) whose entries keep them current. Each defined book's
 * configuration is put into (or taken out of) `books`, the map the risk book kind reads, so a book defined later
 * starts on any node without a restart of the node.
 */
export function bookDefinitions(
  books: Map<string, BookConfig>,
  reader: { log: Logger; builtIn: (id: string) => boolean },
): { space: ConfigKeySpace; view: BookDefinitions } {
  const defined = new Map<string, BookDefinition>();
  const strategies = new Map<string, { book: string; hosted: DeployedStrategy }>();
  const text = new TextDecoder();
  const forget = (id: string) => {
    const old = defined.get(id);
    if (!old) return;
    defined.delete(id);
    books.delete(id);
    for (const sid of Object.keys(old.strategies)) if (strategies.get(sid)?.book === id) strategies.delete(sid);
  };
  const space: ConfigKeySpace = {
    prefix: KEY_PREFIX,
    onEntry: (e) => {
      const { id } = parseKvKey(e.key);
      forget(id);
      if (e.operation !== "PUT") return;
      if (reader.builtIn(id)) {
        // written by hand past am.admin.deploy (which refuses it): the built-in book keeps its configuration
        reader.log.warn("book definition in KV for a built-in book ignored", { key: e.key });
        return;
      }
      try {
        const d = JSON.parse(text.decode(e.value)) as BookDefinition;
        const config = bookConfigOf(id, d);
        const hosted = Object.entries(d.strategies).map(([sid, s]) => [sid, deployedStrategyOf(sid, s)] as const);
        defined.set(id, d);
        books.set(id, config);
        for (const [sid, s] of hosted) strategies.set(sid, { book: id, hosted: s });
      } catch (err) {
        // a hand-edited entry that does not parse: the book stays unknown, and its start names the id
        reader.log.warn("book definition in KV refused", { key: e.key, error: (err as Error).message });
      }
    },
  };
  return {
    space,
    view: {
      get: (id) => (defined.has(id) ? books.get(id) : undefined),
      strategy: (id) => strategies.get(id)?.hosted,
      bookOfStrategy: (id) => strategies.get(id)?.book,
      strategyIds: () => [...strategies.keys()],
      marked: (id) => defined.get(id)?.instruments.map((i) => i.id) ?? [],
    },
  };
}
