import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage } from "../../../actors/contract/index.ts";
import { BAR_FACTORS } from "../../../actors/domain/index.ts";
import { committedModelNames, type ModelFile, readModelFile } from "../../../actors/model/index.ts";
import { ModelRefused, ModelRegistry } from "../../../infra/models/index.ts";
import type { Logger } from "../../../infra/telemetry/index.ts";

/**
 * Puts the repository's models (models/*.onnx with their cards) in the registry where a version is not there yet,
 * and promotes it where the model has no promoted version: a fresh platform serves them, and a version promoted
 * by an operator stays. Registering checks each file as any registration does.
 */
export async function registerCommittedModels(nc: NatsConnection, log: Logger): Promise<void> {
  const registry = await ModelRegistry.open(nc);
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

/** What a node deploys: each model's promoted version from the registry; none where there is no registry. */
export async function deployedModels(nc: NatsConnection, log: Logger): Promise<Map<string, ModelFile>> {
  const registry = await ModelRegistry.existing(nc);
  if (!registry) return new Map();
  try {
    return new Map((await registry.promotedModels()).map((m) => [m.card.name, m]));
  } catch (e) {
    log.warn("models not deployed: the registry could not be read", { error: errorMessage(e) });
    return new Map();
  }
}

/** The deployed models whose inputs are the factor set the feature actors compute (bar-factors v1). */
export const factorModels = (models: ReadonlyMap<string, ModelFile>): string[] =>
  [...models.values()]
    .filter((m) => m.card.featureSet.name === BAR_FACTORS.name && m.card.featureSet.version === BAR_FACTORS.version)
    .map((m) => m.card.name);
