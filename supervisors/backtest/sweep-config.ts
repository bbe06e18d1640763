import { z } from "zod";
import type { Performance } from "./performance.ts";

/** Report figures an optimiser can rank trials by: the run's Performance fields and its P&L. */
export const OBJECTIVES = [
  "pnl",
  "totalReturn",
  "annualisedReturn",
  "volatility",
  "sharpe",
  "sortino",
  "calmar",
  "maxDrawdown",
  "hitRate",
  "profitFactor",
] as const satisfies readonly ("pnl" | keyof Performance)[];
export type Objective = (typeof OBJECTIVES)[number];

const scalar = z.union([z.number(), z.string(), z.boolean()]);

/** A parameter's candidates: a list, or a numeric range (grid search needs its step). */
const parameterValues = z.union([
  z.object({ values: z.array(scalar).min(1) }).strict(),
  z
    .object({
      min: z.number(),
      max: z.number(),
      /** grid spacing; random search draws from the same points, or uniformly in [min, max] without it */
      step: z.number().positive().optional(),
      /** random search without a step draws whole numbers */
      integer: z.boolean().default(false),
    })
    .strict()
    .refine((r) => r.max >= r.min, { message: "max must be at least min", path: ["max"] }),
]);
export type ParameterValues = z.output<typeof parameterValues>;

const search = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("grid") }).strict(),
  z
    .object({
      kind: z.literal("random"),
      trials: z.number().int().min(1).max(100_000),
      seed: z.number().int(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("bayesian"),
      trials: z.number().int().min(2).max(1_000),
      seed: z.number().int(),
      /** random parameter sets before the surrogate guides (default: 2 per parameter, at least 5, at most trials) */
      initial: z.number().int().min(1).optional(),
      /** parameter sets proposed at a time and run in parallel (not the worker count, so any worker count gives the same result) */
      batch: z.number().int().min(1).max(64).default(4),
    })
    .strict(),
]);

export const sweepSchema = z
  .object({
    /** the run configuration file the trials start from, relative to the sweep file */
    run: z.string().min(1),
    /** the strategy whose parameters vary (default: the run's only strategy) */
    strategy: z.string().min(1).optional(),
    parameters: z
      .record(z.string().min(1), parameterValues)
      .refine((p) => Object.keys(p).length > 0, { message: "name at least one parameter" }),
    search,
    objective: z.enum(OBJECTIVES).default("sharpe"),
    direction: z.enum(["maximise", "minimise"]).default("maximise"),
    /** equity sampling of every trial (the return series the statistics use); default: the run's report.sampleEveryMs */
    sampleEveryMs: z.number().int().positive().optional(),
    walkForward: z
      .object({
        inSampleMs: z.number().int().positive(),
        outOfSampleMs: z.number().int().positive(),
        /** how far each window moves on (default outOfSampleMs: out-of-sample windows tile the range) */
        stepMs: z.number().int().positive().optional(),
        /** a gap between in-sample end and out-of-sample start, so returns correlated across the boundary do not favour the in-sample winner */
        embargoMs: z.number().int().nonnegative().default(0),
      })
      .strict()
      .refine((w) => w.stepMs === undefined || w.stepMs >= w.outOfSampleMs, {
        message: "must be at least outOfSampleMs, or out-of-sample windows would overlap",
        path: ["stepMs"],
      })
      .optional(),
    /** blocks of the CSCV split for the probability of backtest overfitting (even) */
    pboBlocks: z
      .number()
      .int()
      .min(2)
      .max(16)
      .refine((b) => b % 2 === 0, { message: "must be even" })
      .default(8),
    /** worker threads (default: available parallelism − 1, at least 1) */
    workers: z.number().int().min(1).max(256).optional(),
  })
  .strict();

export type SweepInput = z.input<typeof sweepSchema>;
export type Sweep = z.output<typeof sweepSchema>;

export class SweepError extends Error {
  override name = "SweepError";
}

/** Validates a sweep definition; every problem is named by its path. */
export function parseSweep(input: unknown): Sweep {
  const r = sweepSchema.safeParse(input);
  if (!r.success) throw new SweepError(r.error.issues.map((i) => `sweep ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"));
  return r.data;
}
