import type { NatsConnection } from "@nats-io/transport-node";
import type { ActorKind } from "../../actors/contract/index.ts";
import type { Config } from "../../infra/config/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import type { Logger } from "../../infra/telemetry/log.ts";

/**
 * A kinds module (AM_KINDS) exports `createKinds(env)`. Importing it does nothing; the node's main thread and each
 * cell call it with their own NATS connection and the node's settings.
 */
export interface KindsEnv {
  nc: NatsConnection;
  config: Config;
  log: Logger;
}

/** Delivery to the actors of the caller's own tree, past NATS; false where the actor is not hosted there. */
export interface LocalDelivery {
  tell(kind: string, id: string, message: Message): boolean;
}

/** The kinds a module hosts, and `close` for what it holds open on the caller's connection (KV watches). */
export interface HostedKinds {
  kinds: ActorKind[];
  close(): Promise<void>;
  /**
   * Called once the caller's tree hosts the kinds: what the module answers its own actors from this thread (an
   * inference result to the model actor that asked for it) can go to them directly instead of over NATS.
   */
  attach?(local: LocalDelivery): void;
}

export type CreateKinds<K extends HostedKinds = HostedKinds> = (env: KindsEnv) => Promise<K>;

/** Imports a kinds module by URL and runs its `createKinds`; a module of another shape is an error naming it. */
export async function loadKinds<K extends HostedKinds = HostedKinds>(moduleUrl: string, env: KindsEnv): Promise<K> {
  const { createKinds } = (await import(moduleUrl)) as { createKinds?: unknown };
  if (typeof createKinds !== "function") throw new Error(`kinds module ${moduleUrl} must export createKinds(env)`);
  const hosted = (await (createKinds as CreateKinds)(env)) as K;
  if (!Array.isArray(hosted?.kinds)) throw new Error(`createKinds of ${moduleUrl} must return { kinds: ActorKind[], close() }`);
  return hosted;
}

/** What a kinds module that needs no connection or settings returns: its kinds, nothing to close. */
export const fixedKinds = (kinds: ActorKind[]): HostedKinds => ({ kinds, close: async () => {} });
