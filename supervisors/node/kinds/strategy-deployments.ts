/**
 * Strategies deployed at run time (am.admin.deploy, gRPC DeployStrategy): one of the sample strategies with its
 * instruments, book and parameters, kept as JSON text under `strategies.<id>` in the config bucket. Each cell's
 * kinds follow that key space in a live map, so the strategy kind finds a deployed definition on whichever node the
 * strategy is placed, restarted or moved to.
 */
import { z } from "zod";
import { asPrice, asQuantity, formatFixed, parseFixed, schema } from "../../../actors/domain/index.ts";
import type { InstrumentDefinition } from "../../../actors/instrument/index.ts";
import {
  mergeParameters,
  type StrategyConfigInput,
  type StrategyDefinition,
  strategyChannels,
  strategyConfig,
  strategySampleNames,
  strategySamples,
} from "../../../actors/strategy/index.ts";
import { kvKey, parseKvKey } from "../../../infra/nats/snapshot-store.ts";
import { canonicalJson, type ConfigKeySpace, type Deployable, DeployError, DeployRefusal } from "./deployments.ts";
import { type DemoStrategy, demoStrategies } from "./demo-trading.ts";

const KEY_PREFIX = "strategies";
export const strategyDeploymentKey = (id: string): string => kvKey(KEY_PREFIX, id);

/** A tick or lot size: a decimal string ("0.01") or a JSON number, at most 8 decimals, positive. */
const increment = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const units = parseFixed(typeof v === "number" ? String(v) : v);
    if (units > 0) return units;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a positive decimal with at most 8 decimals` });
  return z.NEVER;
});

/** What an operator writes (configJson of DeployStrategy). */
export const strategyDeploymentInput = z.strictObject({
  strategy: z.enum(strategySampleNames),
  book: z.string().min(1).max(64),
  /** tickSize and lotSize may be left out for instruments of the node's catalogue */
  instruments: z
    .array(z.strictObject({ id: schema.instrumentId, tickSize: increment.optional(), lotSize: increment.optional() }))
    .min(1)
    .max(64),
  /**
   * default: bars for the trend follower, for mean reversion on bars and for model-forecast, bars and features for
   * signal-blend, quotes otherwise
   */
  channels: z.array(z.enum(strategyChannels)).min(1).optional(),
  /** models whose forecasts it hears; default: the models its parameters name (model-forecast, signal-blend) */
  signals: z.array(z.string().min(1)).optional(),
  /** hear the regime actors' estimates for its instruments (only a sample that reacts to them: onRegime) */
  regimes: z.boolean().default(false),
  barType: z
    .string()
    .regex(/^\d+(ms|s|m|h|d|t|v)$/, "a bar type like 1s or 1m")
    .optional(),
  timerIntervalMs: z.number().int().min(10).optional(),
  /** trade at once, and again whenever the strategy is restarted or moved; false: wait for StartStrategy */
  autoStart: z.boolean().default(true),
  parameters: z.record(z.string(), z.unknown()).default({}),
});

/** What is stored: every default resolved, sizes as decimal strings (readable with any KV client). */
export interface StrategyDeployment {
  strategy: string;
  book: string;
  instruments: { id: string; tickSize: string; lotSize: string }[];
  channels: (typeof strategyChannels)[number][];
  signals?: string[];
  /** present (true) only when set: deployments stored before the field read as false */
  regimes?: true;
  barType?: string;
  timerIntervalMs?: number;
  autoStart: boolean;
  parameters: Record<string, unknown>;
}

export interface DeployedStrategy extends DemoStrategy {
  autoStart: boolean;
}

const invalid = (field: string, message: string) => new DeployError(DeployRefusal.Invalid, `${field}: ${message}`);

function fieldOf(issue: z.core.$ZodIssue): string {
  const path = ["config", ...issue.path.map(String)];
  if (issue.code === "unrecognized_keys") path.push(issue.keys[0] ?? "");
  return path.join(".");
}

/**
 * Validates a deployment of strategy `id`: its shape, its instruments (sizes from `lookup` where left out) and
 * its parameters against the strategy's own parameter schema. Errors name the field (`config.parameters.x`).
 */
export function parseStrategyDeployment(
  id: string,
  config: Record<string, unknown>,
  lookup: (instrument: string) => { tickSize: number; lotSize: number } | undefined = () => undefined,
): StrategyDeployment {
  const r = strategyDeploymentInput.safeParse(config);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(fieldOf(issue), issue.code === "unrecognized_keys" ? "not a field of a strategy deployment" : issue.message);
  }
  const c = r.data;
  const definition = strategySamples[c.strategy]!;
  const seen = new Set<string>();
  const instruments = c.instruments.map((i, n) => {
    if (seen.has(i.id)) throw invalid(`config.instruments.${n}.id`, `${i.id} is listed twice`);
    seen.add(i.id);
    const known = lookup(i.id);
    const tickSize = i.tickSize ?? known?.tickSize;
    const lotSize = i.lotSize ?? known?.lotSize;
    if (tickSize === undefined) throw invalid(`config.instruments.${n}.tickSize`, `required: ${i.id} is not in the instrument catalogue`);
    if (lotSize === undefined) throw invalid(`config.instruments.${n}.lotSize`, `required: ${i.id} is not in the instrument catalogue`);
    return { id: i.id, tickSize: formatFixed(tickSize), lotSize: formatFixed(lotSize) };
  });
  const params = mergeParameters(definition.parameters, undefined, c.parameters, definition.name);
  if (!params.ok) throw new DeployError(DeployRefusal.Invalid, `config.${params.error.message}`);
  // a strategy without onRegime would subscribe to estimates it then drops: refuse rather than pretend
  if (c.regimes && !reactsToRegimes(definition, params.params, instruments))
    throw invalid("config.regimes", `strategy ${c.strategy} does not react to regime estimates (it has no onRegime)`);
  const onBars =
    c.strategy === "trend-follower" ||
    c.strategy === "model-forecast" ||
    (c.strategy === "mean-reversion" && (params.params as { source: string }).source === "bar");
  const signals = c.signals ?? modelsNamed(c.strategy, params.params);
  const deployment: StrategyDeployment = {
    strategy: c.strategy,
    book: c.book,
    instruments,
    channels: c.channels ?? (c.strategy === "signal-blend" ? ["bar", "features"] : [onBars ? "bar" : "quote"]),
    ...(signals.length ? { signals } : {}),
    ...(c.regimes ? { regimes: true as const } : {}),
    ...(c.barType ? { barType: c.barType } : {}),
    ...(c.timerIntervalMs ? { timerIntervalMs: c.timerIntervalMs } : {}),
    autoStart: c.autoStart,
    parameters: c.parameters,
  };
  // The strategy runtime's own config check (strategy id grammar among others) before anything is stored.
  const full = strategyConfig.safeParse(strategyConfigOf(id, deployment));
  if (!full.success) {
    const issue = full.error.issues[0]!;
    throw invalid(issue.path[0] === "strategyId" ? "id" : fieldOf(issue), issue.message);
  }
  return deployment;
}

/** onRegime is a method of the strategy object, so ask an instance built from the deployment's own parameters. */
function reactsToRegimes(
  definition: StrategyDefinition<unknown>,
  params: unknown,
  instruments: StrategyDeployment["instruments"],
): boolean {
  const built = definition.create(
    params,
    instruments.map((i) => ({ id: i.id, tickSize: asPrice(parseFixed(i.tickSize)), lotSize: asQuantity(parseFixed(i.lotSize)) })),
  );
  return typeof built.onRegime === "function";
}

/** The models whose forecasts a model sample's parameters trade on. */
function modelsNamed(strategy: string, params: unknown): string[] {
  if (strategy === "model-forecast") return [(params as { model: string }).model];
  if (strategy === "signal-blend")
    return (params as { signals: string[] }).signals.filter((s) => s.startsWith("model:")).map((s) => s.slice("model:".length));
  return [];
}

function strategyConfigOf(id: string, d: StrategyDeployment): StrategyConfigInput {
  return {
    strategyId: id,
    book: d.book,
    instruments: d.instruments.map((i) => ({ id: i.id, tickSize: parseFixed(i.tickSize), lotSize: parseFixed(i.lotSize) })),
    channels: d.channels,
    ...(d.signals ? { signals: d.signals } : {}),
    ...(d.regimes ? { regimes: true } : {}),
    ...(d.barType ? { barType: d.barType } : {}),
    ...(d.timerIntervalMs ? { timerIntervalMs: d.timerIntervalMs } : {}),
    parameters: d.parameters,
  };
}

export function deployedStrategyOf(id: string, d: StrategyDeployment): DeployedStrategy {
  const definition = strategySamples[d.strategy];
  if (!definition) throw new Error(`deployed strategy ${id} runs ${d.strategy}, which this node does not know`);
  return { id, definition, config: strategyConfigOf(id, d), autoStart: d.autoStart };
}

/**
 * am.admin.deploy for kind `strategy`: the ids of the demo strategies and of the books' strategies are taken, and instruments of the catalogue
 * may leave out their tick and lot sizes.
 */
export function strategyDeployable(
  catalogue: Map<string, InstrumentDefinition>,
  /** the book defining a strategy of this id, if one does (its id is taken) */
  definedIn: (id: string) => string | undefined = () => undefined,
): Deployable {
  const lookup = (i: string) => {
    const d = catalogue.get(i);
    return d && { tickSize: d.priceIncrement, lotSize: d.lotSize };
  };
  return {
    kind: "strategy",
    key: strategyDeploymentKey,
    prepare(id, config) {
      if (demoStrategies(catalogue).some((s) => s.id === id))
        throw new DeployError(DeployRefusal.AlreadyExists, `strategy ${id} is a built-in demo strategy`);
      const book = definedIn(id);
      if (book !== undefined) throw new DeployError(DeployRefusal.AlreadyExists, `strategy ${id} is defined in risk book ${book}`);
      return canonicalJson(parseStrategyDeployment(id, config, lookup));
    },
  };
}

/** The deployed strategies as one process last saw them in KV (kept current by the config watch). */
export interface StrategyDeployments {
  get(id: string): DeployedStrategy | undefined;
  ids(): string[];
}

/** The deployed strategies, and the key space (`strategies.>`) whose entries keep them current. */
export function strategyDeployments(): { space: ConfigKeySpace; view: StrategyDeployments } {
  const deployed = new Map<string, DeployedStrategy>();
  const text = new TextDecoder();
  const space: ConfigKeySpace = {
    prefix: KEY_PREFIX,
    onEntry: (e) => {
      const { id } = parseKvKey(e.key);
      if (e.operation !== "PUT") {
        deployed.delete(id);
        return;
      }
      try {
        deployed.set(id, deployedStrategyOf(id, JSON.parse(text.decode(e.value)) as StrategyDeployment));
      } catch {
        // a hand-edited entry that does not parse: the strategy stays unknown, and its start names the id
        deployed.delete(id);
      }
    },
  };
  return { space, view: { get: (id) => deployed.get(id), ids: () => [...deployed.keys()] } };
}
