import { defineKind } from "../contract/index.ts";
import type { InferencePort } from "./inference-port.ts";
import { createModelMachine } from "./machine.ts";
import "./messages.ts"; // the model messages are known to the codec wherever the kind is hosted
import { inputWidth, type ModelFile, outputWidth } from "./model-card.ts";
import { type ChallengeSpec, challengerFigures } from "./challenger.ts";
import { servingStats } from "./serving-stats.ts";
import type { Batching, ModelContext } from "./state.ts";

export interface ModelHosting {
  /** the deployed version of a model (the actor's id is the model's name) */
  modelOf(name: string): ModelFile | undefined;
  known(): string[];
  /** the challenge the registry holds for a model, which its actor runs from its start */
  challengeOf?(name: string): ChallengeSpec | undefined;
  batching: Batching;
  port: InferencePort;
}

/**
 * One actor per deployed model (id = the model's name), created by its first Predict. No persistence: its state is
 * a queue of callers that a restart keeps in memory, and the model itself is in the registry.
 */
export const modelKind = ({ modelOf, known, challengeOf, batching, port }: ModelHosting) => {
  const of = (name: string): ModelFile => {
    const m = modelOf(name);
    if (!m) throw new Error(`model ${name} is not deployed (deployed: ${known().join(", ") || "none"})`);
    if (m.card.featureSet.features.length !== inputWidth(m.card))
      throw new Error(`model ${name}: its card's features do not match its input width`);
    return m;
  };
  return defineKind({
    name: "model",
    machine: createModelMachine(port),
    input: (name) => {
      const { card } = of(name);
      const challenge = challengeOf?.(name);
      return {
        name,
        version: card.version,
        features: card.featureSet.features,
        outputWidth: outputWidth(card),
        ...batching,
        ...(challenge ? { challenge } : {}),
      };
    },
    persistence: "none",
    // a burst of Predicts is one step: the requests queue together and the batch is decided once
    foldCommands: { of: "Predict", as: "PredictBatch" },
    // one entity per model, activated by its first request on its shard's owner; a long idle keeps its session warm
    sharding: { shards: 4, idleMs: 15 * 60_000 },
    mailboxCapacity: 100_000,
    supervision: { restart: "permanent", maxRestarts: 5, periodMs: 30_000, backoffMinMs: 10, backoffMaxMs: 1_000 },
    summarize: (context) => {
      const c = context as ModelContext;
      return {
        version: c.version,
        loaded: c.loaded,
        provider: c.provider,
        served: c.served,
        batches: c.batches,
        failures: c.failures,
        queued: c.pending.length,
        ...servingStats(c.recent),
        ...(c.challenger ? { challenger: challengerFigures(c.challenger) } : {}),
        ...(c.challengerRefused ? { challengerRefused: c.challengerRefused } : {}),
      };
    },
  });
};
