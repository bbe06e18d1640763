import type { NatsConnection } from "@nats-io/transport-node";
import { BAR_FACTORS } from "../../../actors/domain/index.ts";
import { committedModelNames, type ModelFile, readModelFile } from "../../../actors/model/index.ts";
import { ModelRefused, ModelRegistry } from "../../../infra/models/index.ts";
import type { Logger } from "../../../infra/telemetry/index.ts";

/**
 * Puts the repository's models (models/*.onnx with their cards) in the registry where a version is not there yet,
 * and promotes it where the model has no promoted version: a fresh platform serves them, and a version promoted
 * by an operator stays. Registering checks each file as any registration does. The first node to start makes the
 * registry's buckets, with the platform's replicas (a later open keeps a bucket as it is).
 */
export async function registerCommittedModels(nc: NatsConnection, log: Logger, replicas = 1): Promise<void> {
  const registry = await ModelRegistry.open(nc, { replicas });
  const registered = new Set((await registry.list()).map((m) => `${m.name}.v${m.version}`));
  for (const name of committedModelNames()) {
    const { card, bytes } = readModelFile(name);
    if (!registered.has(`${name}.v${card.version}`)) {
      try {
        await registry.register(card, bytes, "committed models (models/)");
        log.info("committed model registered", { model: name, version: card.version });
      } catch (e) {
        // another node registered it between the list and here: the same file, nothing to do
        if (!(e instanceof ModelRefused && /registered already/.test(e.message))) throw e;
      }
    }
    if ((await registry.promotedVersion(name)) === undefined) await registry.promote(name, card.version);
  }
}

/** The deployed models whose inputs are the factor set the feature actors compute (bar-factors v1). */
export const factorModels = (models: ReadonlyMap<string, ModelFile>): string[] =>
  [...models.values()]
    .filter((m) => m.card.featureSet.name === BAR_FACTORS.name && m.card.featureSet.version === BAR_FACTORS.version)
    .map((m) => m.card.name);
