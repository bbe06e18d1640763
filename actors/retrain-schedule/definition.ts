import { z } from "zod";
import { TrainingRefused, TrainingRequest } from "../training-job/index.ts";

/**
 * A rolling retrain kept in the config bucket (`retrain.<name>`, set through am.admin.configure): the training
 * request of each run, how often it runs, how long a candidate shadows the live version first, and whether a
 * candidate that beats the live version out of sample is promoted. Checked field by field; a refusal names it.
 */
export const RetrainDefinition = TrainingRequest.extend({
  /** how often a run starts (a second to a week; a run that outlasts it delays the next) */
  everyMs: z
    .number()
    .int()
    .min(1_000)
    .max(7 * 86_400_000),
  /** the candidate runs in shadow beside the live version this long before it is judged (0: no shadow run) */
  shadowMs: z.number().int().nonnegative().max(86_400_000).default(0),
  /** `beats-live`: promoted only if it beats the live version out of sample; `never`: registered only */
  promote: z.enum(["beats-live", "never"]).default("beats-live"),
  /** a dataset config (scripts/research.ts dataset) rebuilt into `dataset` before each run: a rolling window */
  datasetConfig: z.string().min(1).optional(),
}).strict();
export type RetrainDefinition = z.output<typeof RetrainDefinition>;

/** The definition checked and defaulted; the first problem refuses it, naming its field. */
export function parseRetrainDefinition(input: unknown): RetrainDefinition {
  const r = RetrainDefinition.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "definition");
  throw new TrainingRefused(`${field}: ${issue.message}`, field);
}

/** What one run came to: the candidate registered (or why not), and whether it replaced the live version. */
export const RetrainOutcome = z.object({
  job: z.string().optional(),
  name: z.string(),
  candidate: z.number().int().optional(),
  live: z.number().int().optional(),
  promoted: z.boolean(),
  reason: z.string(),
});
export type RetrainOutcome = z.output<typeof RetrainOutcome>;
