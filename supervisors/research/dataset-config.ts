import { z } from "zod";
import { timeSchema } from "../backtest/index.ts";
import { altFeatureSpec } from "./alt-features.ts";

const labelRule = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fixed-horizon"), horizonBars: z.number().int().positive() }).strict(),
  z
    .object({
      kind: z.literal("triple-barrier"),
      horizonBars: z.number().int().positive(),
      /** multiples of the row's volatility target (vol20 × √horizonBars); 0 leaves the barrier out */
      profitTaking: z.number().nonnegative(),
      stopLoss: z.number().nonnegative(),
    })
    .strict(),
]);

const questdbSource = z
  .object({
    kind: z.literal("questdb"),
    /** the QuestDB HTTP endpoint, e.g. http://127.0.0.1:9000 */
    url: z.string().url(),
    /** rows per query: memory is one page per instrument */
    pageSize: z.number().int().positive().default(5_000),
  })
  .strict();

const simulatorSource = z
  .object({
    kind: z.literal("simulator"),
    seed: z.number().int(),
  })
  .strict();

/** What `scripts/research.ts dataset <config.json>` builds. */
export const datasetConfigSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "lower-case letters, digits, '.', '_' or '-'"),
    /** the folder rows.jsonl and manifest.json are written to (relative to the config file) */
    out: z.string().min(1),
    /** `SYMBOL.VENUE` ids; the simulator knows the demo universe's (SIM001.SIMX, ...) */
    instruments: z.array(z.string().min(3)).min(1),
    /** bars whose open time is in [from, to) */
    from: timeSchema,
    to: timeSchema,
    barType: z.string().regex(/^\d+(ms|s|m|h|d|t|v)$/, 'a number and a unit, e.g. "1m"'),
    source: z.discriminatedUnion("kind", [questdbSource, simulatorSource]),
    label: labelRule,
    /** alternative data features joined as of each bar's close, read from the questdb source's tables */
    alt: z.array(altFeatureSpec).max(32).default([]),
  })
  .strict()
  .refine((c) => c.alt.length === 0 || c.source.kind === "questdb", {
    message: "alternative data features are read from QuestDB: the source must be questdb",
    path: ["alt"],
  })
  .refine((c) => new Set(c.alt.map((a) => a.name)).size === c.alt.length, { message: "feature names must differ", path: ["alt"] })
  .refine((c) => c.to > c.from, { message: "to must be after from", path: ["to"] })
  .refine((c) => c.source.kind !== "simulator" || c.barType === "1m", {
    message: "the simulator source makes 1m bars only",
    path: ["barType"],
  });

export type DatasetConfigInput = z.input<typeof datasetConfigSchema>;
export type DatasetConfig = z.output<typeof datasetConfigSchema>;

export class DatasetConfigError extends Error {
  override name = "DatasetConfigError";
}

export function parseDatasetConfig(input: unknown): DatasetConfig {
  const r = datasetConfigSchema.safeParse(input);
  if (!r.success)
    throw new DatasetConfigError(r.error.issues.map((i) => `dataset config ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"));
  return r.data;
}
