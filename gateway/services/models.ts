import { status as Status } from "@grpc/grpc-js";
import { z } from "zod";
import { ModelErrorCode, type Prediction } from "../../actors/model/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";
import { type ModelChallenge, ModelRefused, ModelRegistry, type RegisteredModel } from "../../infra/models/index.ts";
import { Role } from "../auth.ts";
import { GatewayError, invalidArgument } from "../errors.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import type { Services } from "./context.ts";
import type { TrainingJobRunner, TrainingJobView } from "../training.ts";

/** A model's name as the registry accepts it (it becomes one subject token). */
const modelName = z
  .string()
  .min(1, "required")
  .regex(/^[a-z][a-z0-9-]{0,63}$/, "lower-case kebab, at most 64 characters");
const version = z.number().int().min(0, "must be 0 (the promoted version) or more");

/** The registry's card as the proto's ModelCard. */
function cardOf(m: RegisteredModel) {
  const tensors = (ts: RegisteredModel["inputs"]) => ts.map((x) => ({ name: x.name, type: x.type, width: x.shape[1] }));
  return {
    name: m.name,
    version: m.version,
    stage: m.status === "retired" ? "MODEL_STAGE_RETIRED" : m.promoted ? "MODEL_STAGE_PROMOTED" : "MODEL_STAGE_REGISTERED",
    sha256: m.sha256,
    bytes: m.bytes,
    inputs: tensors(m.inputs),
    outputs: tensors(m.outputs),
    featureSet: m.featureSet.name,
    featureSetVersion: m.featureSet.version,
    features: m.featureSet.features,
    metrics: m.validation,
    trainedFromUs: m.trainingData.fromUs,
    trainedToUs: m.trainingData.toUs,
    registeredBy: m.registeredBy,
    registeredAtUs: m.registeredAtUs,
  };
}

const challengeModes = { CHALLENGE_MODE_SHADOW: "shadow", CHALLENGE_MODE_CANARY: "canary" } as const;

/** The registry's challenge as the proto's ModelChallenge. */
const challengeOf = (c: ModelChallenge) => ({
  name: c.name,
  version: c.version,
  mode: c.mode === "shadow" ? "CHALLENGE_MODE_SHADOW" : "CHALLENGE_MODE_CANARY",
  share: c.share ?? 0,
  startedBy: c.startedBy,
  startedAtUs: c.startedAtUs,
});

const forecasterKinds = { FORECASTER_KIND_GBT: "gbt", FORECASTER_KIND_SEQ: "seq" } as const;
const jobId = z.string().regex(/^tj-[0-9a-f]{8}$/, "a training job id, tj- and 8 hex digits");
/** proto3 sends an absent number as 0: the job's default then */
const unlessZero = (key: string, v: number) => (v === 0 ? {} : { [key]: v });

/** A training job as the proto's TrainingJob; `withScores` false for lists. */
const jobOf = (j: TrainingJobView, withScores = true) => ({
  job: j.job,
  phase: j.phase,
  model: j.request.model,
  name: j.name,
  version: j.version,
  dataset: j.dataset,
  datasetSha256: j.datasetSha256,
  progress: j.phase === "registered" ? 1 : j.scores.length / Math.max(1, j.trials.length * j.folds),
  trials: j.trials.length,
  folds: j.folds,
  scores: withScores ? j.scores : [],
  selectedMetrics: j.selected?.metrics ?? {},
  selectedTrial: j.selected?.trial ?? -1,
  attempts: j.attempts,
  startedBy: j.startedBy,
  startedAtUs: j.startedAtUs,
  updatedAtUs: j.updatedAtUs,
  error: j.error ?? "",
});

/** A runner's refusal names the request's field: INVALID_ARGUMENT (start) or FAILED_PRECONDITION (cancel). */
function refusal(e: unknown, code: Status): never {
  const field = (e as { field?: unknown }).field;
  if (typeof field === "string") throw new GatewayError(code, errorMessage(e));
  throw e;
}

/** The status a model actor's refusal leaves the gateway with. */
const predictionStatus: Record<string, Status> = {
  [ModelErrorCode.UnknownFeature]: Status.INVALID_ARGUMENT,
  [ModelErrorCode.MissingFeature]: Status.INVALID_ARGUMENT,
  [ModelErrorCode.BadShape]: Status.INVALID_ARGUMENT,
  [ModelErrorCode.NotFinite]: Status.INVALID_ARGUMENT,
  [ModelErrorCode.ModelUnavailable]: Status.UNAVAILABLE,
  [ModelErrorCode.InferenceTimeout]: Status.DEADLINE_EXCEEDED,
  [ModelErrorCode.InferenceFailed]: Status.INTERNAL,
};

/** A promoted card is read from KV at most this often per model: Predict checks the features against it. */
const CARD_TTL_MS = 2_000;

export function modelRpcs(s: Services): ServiceRpcs {
  let registry: Promise<ModelRegistry> | undefined;
  // opened on first use: it creates its buckets, which a gateway that never serves models does not need
  const models = () => {
    registry ??= ModelRegistry.open(s.nc).catch((e: unknown) => {
      registry = undefined;
      throw new GatewayError(Status.UNAVAILABLE, `model registry: ${errorMessage(e)}`);
    });
    return registry;
  };
  const training = (): TrainingJobRunner => {
    if (!s.training) throw new GatewayError(Status.UNAVAILABLE, "training jobs are not run by this node");
    return s.training;
  };
  const promotedCards = new Map<string, { card: RegisteredModel; readMs: number }>();

  const versionsOf = async (name: string) => (await (await models()).list()).filter((m) => m.name === name);
  async function cardFor(name: string, v: number): Promise<RegisteredModel> {
    const versions = await versionsOf(name);
    if (!versions.length) throw new GatewayError(Status.NOT_FOUND, `name: model ${name} is not registered`);
    const card = v === 0 ? versions.find((m) => m.promoted) : versions.find((m) => m.version === v);
    if (!card)
      throw new GatewayError(
        Status.NOT_FOUND,
        v === 0
          ? `version: model ${name} has no promoted version; name one of ${versions.map((m) => m.version).join(", ")}`
          : `version: model ${name} has no version ${v} (it has ${versions.map((m) => m.version).join(", ")})`,
      );
    return card;
  }
  async function promotedCard(name: string): Promise<RegisteredModel> {
    const hit = promotedCards.get(name);
    if (hit && Date.now() - hit.readMs < CARD_TTL_MS) return hit.card;
    const card = await cardFor(name, 0);
    promotedCards.set(name, { card, readMs: Date.now() });
    return card;
  }

  return {
    ListModels: unary({
      role: Role.Viewer,
      request: z.object({ name: z.union([z.literal(""), modelName]) }),
      async handle(req) {
        const all = await (await models()).list();
        return { models: all.filter((m) => !req.name || m.name === req.name).map(cardOf) };
      },
    }),
    GetModel: unary({
      role: Role.Viewer,
      request: z.object({ name: modelName, version }),
      handle: async (req) => cardOf(await cardFor(req.name, req.version)),
    }),
    Predict: unary({
      role: Role.Trader,
      request: z.object({
        name: modelName,
        features: z.array(z.number()),
        namedFeatures: z.record(z.string(), z.number()),
      }),
      async handle(req, ctx) {
        const card = await promotedCard(req.name);
        const expected = card.featureSet.features;
        const named = Object.keys(req.namedFeatures);
        // checked here so the error names the request's field; the actor checks the same again
        if (req.features.length && named.length) throw invalidArgument("features: send features or named_features, not both");
        if (named.length) {
          const unknown = named.find((n) => !expected.includes(n));
          if (unknown !== undefined)
            throw invalidArgument(`named_features.${unknown}: model ${req.name} has no such feature (it takes ${expected.join(", ")})`);
          const missing = expected.filter((f) => !(f in req.namedFeatures));
          if (missing.length) throw invalidArgument(`named_features: model ${req.name} also needs ${missing.join(", ")}`);
        } else if (req.features.length !== expected.length)
          throw invalidArgument(
            `features: ${req.features.length} values, model ${req.name} v${card.version} takes ${expected.length} (${expected.join(", ")})`,
          );
        const remaining = ctx.remainingMs();
        const timeoutMs = Number.isFinite(remaining) ? Math.floor(remaining) : s.defaultTimeoutMs;
        if (timeoutMs <= 0) throw new GatewayError(Status.DEADLINE_EXCEEDED, `deadline passed before model ${req.name} was asked`);
        let p: Prediction;
        try {
          p = await s.predictions.predict(req.name, named.length ? { features: req.namedFeatures } : { row: req.features }, timeoutMs);
        } catch (e) {
          throw new GatewayError(Status.DEADLINE_EXCEEDED, errorMessage(e));
        }
        if (!p.ok || !p.values) {
          const code = p.error?.code ?? ModelErrorCode.InferenceFailed;
          throw new GatewayError(predictionStatus[code] ?? Status.INTERNAL, `${code}: ${p.error?.message ?? "no values"}`);
        }
        return { name: p.model, version: p.version, values: p.values, batchSize: p.batchSize ?? 1 };
      },
    }),
    PromoteModel: unary({
      role: Role.Admin,
      request: z.object({ name: modelName, version: z.number().int().min(1, "must be 1 or more") }),
      async handle(req) {
        await cardFor(req.name, req.version);
        try {
          await (await models()).promote(req.name, req.version);
        } catch (e) {
          if (e instanceof ModelRefused) throw new GatewayError(Status.FAILED_PRECONDITION, `version: ${e.message}`);
          throw e;
        }
        promotedCards.delete(req.name);
        return cardOf(await cardFor(req.name, req.version));
      },
    }),
    StartChallenge: unary({
      role: Role.Admin,
      request: z.object({
        name: modelName,
        version: z.number().int().min(1, "must be 1 or more"),
        mode: z.enum(["CHALLENGE_MODE_SHADOW", "CHALLENGE_MODE_CANARY"], {
          error: "must be CHALLENGE_MODE_SHADOW or CHALLENGE_MODE_CANARY",
        }),
        share: z.number(),
      }),
      async handle(req, ctx) {
        await cardFor(req.name, 0);
        const mode = challengeModes[req.mode];
        // proto3 sends a shadow's absent share as 0
        const share = mode === "shadow" && req.share === 0 ? undefined : req.share;
        try {
          const c = await (await models()).startChallenge(req.name, req.version, mode, share, ctx.principal.subject);
          return challengeOf(c);
        } catch (e) {
          // the registry names the request's field it refuses (version, share, mode)
          if (e instanceof ModelRefused) throw invalidArgument(`${e.field ?? "name"}: ${e.message}`);
          throw e;
        }
      },
    }),
    EndChallenge: unary({
      role: Role.Admin,
      request: z.object({ name: modelName }),
      async handle(req) {
        const ended = await (await models()).endChallenge(req.name);
        if (!ended) throw new GatewayError(Status.NOT_FOUND, `name: model ${req.name} has no challenge`);
        return challengeOf(ended);
      },
    }),
    GetChallenge: unary({
      role: Role.Viewer,
      request: z.object({ name: modelName }),
      async handle(req) {
        const c = await (await models()).challenge(req.name);
        if (!c) throw new GatewayError(Status.NOT_FOUND, `name: model ${req.name} has no challenge`);
        return challengeOf(c);
      },
    }),
    StartTrainingJob: unary({
      role: Role.Operator,
      request: z.object({
        dataset: z.string().min(1, "required"),
        model: z.enum(["FORECASTER_KIND_GBT", "FORECASTER_KIND_SEQ"], { error: "must be FORECASTER_KIND_GBT or FORECASTER_KIND_SEQ" }),
        name: z.union([z.literal(""), modelName]),
        folds: z.number().int(),
        trials: z.number().int(),
        window: z.number().int(),
        embargoUs: z.number().int().min(0, "must be 0 (the label's horizon) or more"),
      }),
      async handle(req, ctx) {
        const request = {
          dataset: req.dataset,
          model: forecasterKinds[req.model],
          ...(req.name ? { name: req.name } : {}),
          ...unlessZero("folds", req.folds),
          ...unlessZero("trials", req.trials),
          ...unlessZero("window", req.window),
          ...unlessZero("embargoUs", req.embargoUs),
        };
        // the jobs check every field again (a range, a dataset that does not read) and name it
        const started = await training()
          .start(request, ctx.principal.subject)
          .catch((e: unknown) => refusal(e, Status.INVALID_ARGUMENT));
        return jobOf(started);
      },
    }),
    ListTrainingJobs: unary({
      role: Role.Viewer,
      request: z.object({}),
      handle: async () => ({ jobs: (await training().list()).map((j) => jobOf(j, false)) }),
    }),
    GetTrainingJob: unary({
      role: Role.Viewer,
      request: z.object({ job: jobId }),
      async handle(req) {
        const j = await training().get(req.job);
        if (!j) throw new GatewayError(Status.NOT_FOUND, `job: no training job ${req.job}`);
        return jobOf(j);
      },
    }),
    CancelTrainingJob: unary({
      role: Role.Operator,
      request: z.object({ job: jobId }),
      async handle(req, ctx) {
        if (!(await training().get(req.job))) throw new GatewayError(Status.NOT_FOUND, `job: no training job ${req.job}`);
        const cancelled = await training()
          .cancel(req.job, ctx.principal.subject)
          .catch((e: unknown) => refusal(e, Status.FAILED_PRECONDITION));
        return jobOf(cancelled);
      },
    }),
  };
}
