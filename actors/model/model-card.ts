import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const TensorSpec = z.object({
  name: z.string().min(1),
  type: z.enum(["float32"]),
  /** "batch" is the symbolic first dimension; the rest are fixed */
  shape: z.tuple([z.literal("batch"), z.number().int().positive()]),
});

/**
 * What is known about one version of a model besides its bytes: the registry's metadata in KV, and the .json beside
 * each committed .onnx file (written by scripts/models/train.py).
 */
export const ModelCard = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "lower-case kebab, at most 64 characters"),
  version: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  inputs: z.array(TensorSpec).length(1),
  outputs: z.array(TensorSpec).min(1),
  featureSet: z.object({
    name: z.string(),
    version: z.number().int(),
    features: z.array(z.string().min(1)).min(1),
    doc: z.record(z.string(), z.string()).optional(),
  }),
  trainingData: z.object({ fromUs: z.number(), toUs: z.number() }).catchall(z.unknown()),
  validation: z.record(z.string(), z.number()),
  registeredBy: z.string(),
  registeredAtUs: z.number().optional(),
});
export type ModelCard = z.infer<typeof ModelCard>;

export const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The models committed in the repository's models/ folder, each with its card. */
export const committedModelsDir = new URL("../../models/", import.meta.url);
/** The execution policies committed in models/rl (the learned parents' models), each with its card. */
export const committedPoliciesDir = new URL("../../models/rl/", import.meta.url);

export interface ModelFile {
  card: ModelCard;
  bytes: Uint8Array;
}

/** Reads one committed model; a file whose hash or size differs from its card is an error naming both. */
export function readModelFile(name: string, dir: string = committedModelsDir.pathname): ModelFile {
  const card = ModelCard.parse(JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")));
  const bytes = new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
  const hash = sha256Of(bytes);
  if (hash !== card.sha256) throw new Error(`model ${name}: ${name}.onnx has sha256 ${hash}, its card says ${card.sha256}`);
  if (bytes.length !== card.bytes) throw new Error(`model ${name}: ${name}.onnx has ${bytes.length} bytes, its card says ${card.bytes}`);
  return { card, bytes };
}

export const committedModelNames = (dir: string = committedModelsDir.pathname): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();

/** The width of the model's input row and of its output row. */
export const inputWidth = (card: ModelCard): number => card.inputs[0]!.shape[1];
export const outputWidth = (card: ModelCard): number => card.outputs.reduce((n, o) => n + o.shape[1], 0);
