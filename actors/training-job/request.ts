import { z } from "zod";

/** The models a training job can fit (scripts/models/fit_forecaster.py). */
export const ForecasterKind = z.enum(["gbt", "seq"]);
export type ForecasterKind = z.infer<typeof ForecasterKind>;

/**
 * What a training job is asked to do. Every field is checked here, before anything runs or is journaled, and a
 * refusal names the field (`TrainingRefused.field`).
 */
export const TrainingRequest = z
  .object({
    /** the dataset's folder (rows.jsonl + manifest.json, made by `scripts/research.ts dataset`) */
    dataset: z.string().min(1),
    model: ForecasterKind,
    /** the registered model's name; default `<model>-<dataset name>` */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, "lower-case kebab, at most 64 characters")
      .optional(),
    /** purged k-fold folds */
    folds: z.number().int().min(2).max(10).default(4),
    /** µs after each test fold whose rows are not trained on; default the label's horizon in bars */
    embargoUs: z.number().int().nonnegative().optional(),
    /** how many points of the model's hyperparameter grid to try, in grid order */
    trials: z.number().int().min(1).max(8).default(4),
    /** seq: bars per input window */
    window: z.number().int().min(2).max(64).default(8),
    seed: z.number().int().nonnegative().default(7),
  })
  .strict();
export type TrainingRequest = z.output<typeof TrainingRequest>;
export type TrainingRequestInput = z.input<typeof TrainingRequest>;

export class TrainingRefused extends Error {
  override name = "TrainingRefused";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The request checked and defaulted; the first problem refuses it, naming its field. */
export function parseTrainingRequest(input: unknown): TrainingRequest {
  const r = TrainingRequest.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "request");
  throw new TrainingRefused(`${field}: ${issue.message}`, field);
}

/**
 * The hyperparameter grids, small on purpose (CI trains on a CPU in seconds). gbt: trees, depth and learning rate of
 * the booster; seq: hidden units, weight decay and epochs of the quantile MLP.
 */
export const hyperparameterGrid: Record<ForecasterKind, Record<string, number>[]> = {
  gbt: [
    { trees: 40, depth: 2, learningRate: 0.05 },
    { trees: 40, depth: 3, learningRate: 0.05 },
    { trees: 80, depth: 2, learningRate: 0.1 },
    { trees: 80, depth: 3, learningRate: 0.1 },
    { trees: 120, depth: 2, learningRate: 0.05 },
    { trees: 120, depth: 3, learningRate: 0.05 },
    { trees: 160, depth: 2, learningRate: 0.1 },
    { trees: 160, depth: 4, learningRate: 0.05 },
  ],
  seq: [
    { hidden: 8, weightDecay: 1e-3, epochs: 4 },
    { hidden: 16, weightDecay: 1e-3, epochs: 4 },
    { hidden: 8, weightDecay: 1e-2, epochs: 8 },
    { hidden: 16, weightDecay: 1e-2, epochs: 8 },
    { hidden: 4, weightDecay: 1e-3, epochs: 4 },
    { hidden: 32, weightDecay: 1e-2, epochs: 4 },
    { hidden: 8, weightDecay: 1e-4, epochs: 8 },
    { hidden: 16, weightDecay: 1e-4, epochs: 8 },
  ],
};

/** The figure a model is selected on out of sample, and whether more is better. */
export const selectionMetric: Record<ForecasterKind, { key: string; higherIsBetter: boolean }> = {
  gbt: { key: "ic", higherIsBetter: true },
  seq: { key: "pinball", higherIsBetter: false },
};
