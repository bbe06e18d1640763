/**
 * Generated scenario sets: many horizon-long paths from the fitted model, reduced to the few a stress table runs
 * (the equal-weighted portfolio's tail quantiles on both sides, and its worst and best path), each a
 * hypothetical scenario of instrument shocks, the form the risk book's stress table takes in GetRiskAnalytics
 * `hypothetical`. A set is stored as models/scenarios/<name>.json and referenced by that name.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type HypotheticalShock, hypotheticalShock } from "../../actors/domain/index.ts";
import { type CccGarchModel, generateReturns } from "./ccc-garch.ts";

export const scenarioSetsDir = new URL("../../models/scenarios/", import.meta.url).pathname;

/** Quantiles of the equal-weighted return the set keeps, besides the worst and the best path. */
export const SCENARIO_QUANTILES = [0.001, 0.005, 0.01, 0.025, 0.05, 0.95, 0.975, 0.99, 0.995, 0.999] as const;

const setName = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, "lower-case kebab, at most 48 characters");

const ScenarioSetFile = z.object({
  name: setName,
  model: z.object({
    kind: z.literal("ccc-garch-t"),
    instruments: z.array(z.string().min(1)).min(2),
    series: z.array(
      z.object({ mu: z.number(), omega: z.number(), alpha: z.number(), beta: z.number(), lastVariance: z.number(), lastShock: z.number() }),
    ),
    correlation: z.array(z.array(z.number())),
    dof: z.number(),
    trainingRows: z.number().int(),
  }),
  trainedOn: z.record(z.string(), z.unknown()),
  horizonDays: z.number().int().positive(),
  paths: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  checks: z.record(z.string(), z.unknown()),
  scenarios: z.array(hypotheticalShock).min(1).max(16),
});
export type ScenarioSet = z.infer<typeof ScenarioSetFile>;

export interface ScenarioSetOptions {
  name: string;
  horizonDays: number;
  paths: number;
  seed: number;
  trainedOn: Record<string, unknown>;
  checks: Record<string, unknown>;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

/** Generates the paths and keeps the scenarios a stress table runs. */
export function buildScenarioSet(model: CccGarchModel, o: ScenarioSetOptions): ScenarioSet {
  setName.parse(o.name);
  if (o.paths < 1_000) throw new RangeError(`paths: ${o.paths}, the 0.1 % quantile needs at least 1000`);
  const paths = generateReturns(model, { seed: o.seed, paths: o.paths, days: o.horizonDays, start: "last" });
  const n = model.instruments.length;
  // each path's simple return per instrument over the horizon, and the equal-weighted portfolio's
  const outcomes = paths.map((path) => {
    const shocks = model.instruments.map((_, i) => Math.expm1(path.reduce((s, day) => s + day[i]!, 0)));
    return { shocks, portfolio: shocks.reduce((s, x) => s + x, 0) / n };
  });
  outcomes.sort((a, b) => a.portfolio - b.portfolio);
  const picks: { label: string; rank: number; what: string }[] = [
    { label: "worst", rank: 0, what: "with the worst equal-weighted return" },
    ...SCENARIO_QUANTILES.map((q) => ({
      label: `q${q * 100}`,
      rank: Math.round(q * (o.paths - 1)),
      what: `at the ${q * 100} % quantile of equal-weighted returns`,
    })),
    { label: "best", rank: o.paths - 1, what: "with the best equal-weighted return" },
  ];
  const scenarios: HypotheticalShock[] = picks.map((p) => {
    const x = outcomes[p.rank]!;
    return hypotheticalShock.parse({
      name: `${o.name}-${p.label}`,
      description: `${model.kind} ${o.horizonDays}-day path ${p.what} (${pct(x.portfolio)}) among ${o.paths} generated from the last training day`,
      factorShocks: {},
      instrumentShocks: Object.fromEntries(model.instruments.map((id, i) => [id, Math.max(-1, x.shocks[i]!)])),
    });
  });
  return ScenarioSetFile.parse({
    name: o.name,
    model,
    trainedOn: o.trainedOn,
    horizonDays: o.horizonDays,
    paths: o.paths,
    seed: o.seed,
    checks: o.checks,
    scenarios,
  });
}

export function writeScenarioSet(set: ScenarioSet, dir: string = scenarioSetsDir): string {
  const file = join(dir, `${set.name}.json`);
  writeFileSync(file, `${JSON.stringify(set, null, 2)}\n`);
  return file;
}

/** A stored set by name; a missing or malformed file is an error naming it. */
export function readScenarioSet(name: string, dir: string = scenarioSetsDir): ScenarioSet {
  setName.parse(name);
  const file = join(dir, `${name}.json`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`scenario set ${name}: ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = ScenarioSetFile.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`scenario set ${name}: ${issue.path.join(".")}: ${issue.message}`);
  }
  if (parsed.data.name !== name) throw new Error(`scenario set ${name}: the file names itself ${parsed.data.name}`);
  return parsed.data;
}

/** The GetRiskAnalytics fields that run a stored set in the book's stress table (historical scenarios beside it). */
export function stressRequestOf(set: ScenarioSet): { hypothetical: HypotheticalShock[] } {
  return { hypothetical: set.scenarios };
}
