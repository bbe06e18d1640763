import { z } from "zod";
import { defineMessage, type MessageOf } from "../contract/index.ts";

/**
 * The model actor's messages (am.cmd.model.<name>). A Predict names the subject its answer goes to (`replyTo`, the
 * caller's inbox) instead of using the NATS reply: the answer comes after the batch's inference, while the runtime
 * answers a request when the step that took it commits.
 */
export const Predict = defineMessage(
  "Predict",
  1,
  z.object({
    requestId: z.string().min(1),
    replyTo: z.string().min(1),
    /** the model's features by name (any order) */
    features: z.record(z.string(), z.number()).optional(),
    /** or one row in the model's input order */
    row: z.array(z.number()).optional(),
    /**
     * a feature stream's row (a feature actor's): the answer is a ModelForecast for this instrument and bar on
     * replyTo (its am.signal subject) instead of a Prediction, and a failed one is counted, not answered
     */
    forecastFor: z.object({ instrument: z.string().min(1), barType: z.string().min(1), tsEvent: z.number().int() }).optional(),
    tsInit: z.number().optional(),
  }),
  "Asks a model actor for one forecast: features by name or one row in input order; the answer (Prediction, or ModelForecast for a feature stream's row) goes to replyTo.",
);
export type Predict = MessageOf<typeof Predict>;

export const Prediction = defineMessage(
  "Prediction",
  1,
  z.object({
    requestId: z.string(),
    model: z.string(),
    version: z.number().int(),
    ok: z.boolean(),
    /** the model's output row (one value per output column) */
    values: z.array(z.number()).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    /** how many requests the inference that answered this one served */
    batchSize: z.number().int().optional(),
    tsEvent: z.number(),
    tsInit: z.number(),
  }),
  "A model actor's answer to one Predict: the output row, or an error with a reason code.",
);
export type Prediction = MessageOf<typeof Prediction>;

/** What the inference port hands back to the actor (runtime → machine; never sent by callers). */
export const InferenceCompleted = defineMessage(
  "InferenceCompleted",
  1,
  z.object({
    batchId: z.number().int(),
    values: z.array(z.number()),
    width: z.number().int().positive(),
    provider: z.string(),
    runUs: z.number(),
  }),
  "The inference port's result for one batch of a model actor: its output rows, flattened.",
);
export type InferenceCompleted = MessageOf<typeof InferenceCompleted>;

export const InferenceFailed = defineMessage(
  "InferenceFailed",
  1,
  z.object({ batchId: z.number().int(), reason: z.string() }),
  "The inference port could not run one batch of a model actor: the reason.",
);
export type InferenceFailed = MessageOf<typeof InferenceFailed>;

export const ModelLoaded = defineMessage(
  "ModelLoaded",
  1,
  z.object({ version: z.number().int(), provider: z.string(), features: z.array(z.string()) }),
  "The inference port opened a model actor's session: the version, its features and the execution provider it runs on.",
);
export type ModelLoaded = MessageOf<typeof ModelLoaded>;

export const ModelLoadFailed = defineMessage(
  "ModelLoadFailed",
  1,
  z.object({ version: z.number().int(), reason: z.string() }),
  "The inference port could not open a model actor's session: the reason.",
);
export type ModelLoadFailed = MessageOf<typeof ModelLoadFailed>;

/** What the inference port delivers to a model actor. */
export type PortMessage =
  | (InferenceCompleted & { type: "InferenceCompleted" })
  | (InferenceFailed & { type: "InferenceFailed" })
  | (ModelLoaded & { type: "ModelLoaded" })
  | (ModelLoadFailed & { type: "ModelLoadFailed" });

export const PromoteVersion = defineMessage(
  "PromoteVersion",
  1,
  z.object({ version: z.number().int().positive() }),
  "Swaps a model actor to another version of its model: it loads beside the serving one and takes over between batches.",
);
export type PromoteVersion = MessageOf<typeof PromoteVersion>;

export const StartChallenger = defineMessage(
  "StartChallenger",
  1,
  z.object({
    version: z.number().int().positive(),
    /** shadow: scores the same rows, compared, never answered; canary: answers `share` of the requests */
    mode: z.enum(["shadow", "canary"]),
    share: z.number().optional(),
  }),
  "Tries another version of a model beside the serving one: in shadow (compared, not used) or as a canary (a share of the requests).",
);
export type StartChallenger = MessageOf<typeof StartChallenger>;

export const StopChallenger = defineMessage(
  "StopChallenger",
  1,
  z.object({}),
  "Ends a model actor's shadow or canary version; the serving version answers everything again.",
);
export type StopChallenger = MessageOf<typeof StopChallenger>;

/**
 * A model actor's recent service, published on am.sys.model-stats.<model> at most once a second while it answers
 * requests (an idle actor is silent): for operators and the console, never stored.
 */
export const ModelServingReported = defineMessage(
  "ModelServingReported",
  1,
  z.object({
    model: z.string(),
    version: z.number().int(),
    provider: z.string(),
    served: z.number().int(),
    batches: z.number().int(),
    failures: z.number().int(),
    queued: z.number().int(),
    /** requests the latency quantiles cover */
    window: z.number().int(),
    latencyP50Us: z.number().optional(),
    latencyP99Us: z.number().optional(),
    meanBatch: z.number().optional(),
    swapRefused: z.string().optional(),
    /** a version tried beside the serving one: shadow comparison or canary figures */
    challenger: z
      .object({
        version: z.number().int(),
        mode: z.enum(["shadow", "canary"]),
        share: z.number().optional(),
        canaryServed: z.number().int().optional(),
        loaded: z.boolean(),
        /** output values compared with the serving version's */
        compared: z.number().int(),
        meanAbsDiff: z.number().optional(),
        maxAbsDiff: z.number().optional(),
        /** share of compared values with the same sign as the serving version's */
        signAgreement: z.number().optional(),
        /** mean inference time per batch of each side while the challenge runs, µs */
        championRunUs: z.number().optional(),
        challengerRunUs: z.number().optional(),
        failures: z.number().int(),
      })
      .optional(),
    challengerRefused: z.string().optional(),
    tsEvent: z.number(),
    tsInit: z.number(),
  }),
  "A model actor's counts, version, provider, p50/p99 latency and mean batch size over its recent requests.",
);
export type ModelServingReported = MessageOf<typeof ModelServingReported>;

export const ModelErrorCode = {
  ModelUnavailable: "model-unavailable",
  UnknownFeature: "unknown-feature",
  MissingFeature: "missing-feature",
  BadShape: "bad-shape",
  NotFinite: "not-finite",
  InferenceFailed: "inference-failed",
  InferenceTimeout: "inference-timeout",
  /** a StartChallenger that cannot be taken: the serving version, or a canary share outside (0, 1) */
  ChallengerRefused: "challenger-refused",
} as const;
export type ModelErrorCode = (typeof ModelErrorCode)[keyof typeof ModelErrorCode];
