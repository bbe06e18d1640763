/**
 * Actors deployed from a configuration (strategies, risk books with their strategies): the node validates a deployment with the kind's own rules,
 * keeps it in the config bucket (so a restarted or moved actor finds it on any node), then spawns the actor.
 * A kinds module's createKinds (AM_KINDS) may return `deployable: Deployable[]` next to `kinds`.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type BucketEntry, BucketWatch } from "../../../infra/nats/bucket-watch.ts";
import { buckets } from "../../../infra/nats/resources.ts";
import type { Logger } from "../../../infra/telemetry/log.ts";

/** Reply error codes of am.admin.deploy; the gateway maps them to INVALID_ARGUMENT and ALREADY_EXISTS. */
export const DeployRefusal = { Invalid: "invalid", AlreadyExists: "already-exists" } as const;
export type DeployRefusal = (typeof DeployRefusal)[keyof typeof DeployRefusal];

export class DeployError extends Error {
  override name = "DeployError";
  constructor(
    readonly code: DeployRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface Deployable {
  /** the actor kind deployed */
  kind: string;
  /** the config bucket key holding the deployment of this id */
  key(id: string): string;
  /**
   * Validates a deployment; returns the canonical text to store (two deployments are the same when their texts
   * are equal). Throws DeployError(invalid) naming the field, or DeployError(already-exists) for a built-in id.
   */
  prepare(id: string, config: Record<string, unknown>): string;
  /** other actors the stored deployment runs, spawned with it (a book's strategies) */
  companions?(id: string, text: string): { kind: string; id: string }[];
}

/** JSON with object keys sorted, so equal configurations have equal texts. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** A key space of the config bucket that a process follows live (`strategies.>`, `books.>`). */
export interface ConfigKeySpace {
  prefix: string;
  onEntry(entry: BucketEntry): void;
}

/**
 * Loads every entry of the key spaces, then follows changes, with one watch (last values first) whose consumer is
 * deleted at `stop`: one consumer on the config bucket per process and cell, whatever it follows there.
 */
export async function followConfigKeySpaces(
  nc: NatsConnection,
  reader: { owner: string; log: Logger },
  spaces: ConfigKeySpace[],
): Promise<{ stop(): Promise<void> }> {
  const watch = new BucketWatch(nc, {
    bucket: buckets.config,
    filter: spaces.map((s) => `${s.prefix}.>`),
    ...reader,
    onEntry: (e) => spaces.find((s) => e.key.startsWith(`${s.prefix}.`))?.onEntry(e),
  });
  await watch.start();
  return { stop: () => watch.stop() };
}
