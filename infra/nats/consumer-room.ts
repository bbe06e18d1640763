import { type ConsumerInfo, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../telemetry/log.ts";
import { declaredBuckets, declaredStreams } from "./resources.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** The start of the name of every ephemeral consumer a node opens, so a later start of that node can find it. */
export function ownedConsumerPrefix(owner: string): string {
  return `am_${owner.replace(/[^A-Za-z0-9_-]/g, "_")}_`;
}

const LIMIT_REACHED = /maximum consumers limit reached/i;

/**
 * A consumer left by an earlier run: one this node named, or an ephemeral push consumer nobody listens to (kv.keys()
 * and watches of an earlier version, or of a process killed with -9). Durable consumers (the recorder's) are kept.
 */
function isLeftover(c: ConsumerInfo, prefix: string): boolean {
  if (c.config.durable_name) return false;
  if (c.name.startsWith(prefix)) return true;
  return typeof c.config.deliver_subject === "string" && !c.push_bound;
}

/** Deletes the leftovers on the platform's streams and buckets; answers how many went, by stream. */
export async function releaseLeftoverConsumers(nc: NatsConnection, owner: string): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const prefix = ownedConsumerPrefix(owner);
  const released: Record<string, number> = {};
  const names = [...declaredStreams(1).map((s) => s.name), ...declaredBuckets().map((b) => `KV_${b.bucket}`)];
  for (const stream of names) {
    const leftovers: string[] = [];
    try {
      for await (const c of jsm.consumers.list(stream)) if (isLeftover(c, prefix)) leftovers.push(c.name);
    } catch {
      continue; // a stream this server does not have holds no consumers
    }
    for (const name of leftovers)
      if (await jsm.consumers.delete(stream, name).catch(() => false)) released[stream] = (released[stream] ?? 0) + 1;
  }
  return released;
}

/**
 * Runs `open`; when the server refuses a consumer because a stream is at its limit, deletes what earlier runs left
 * behind, says so, and tries once more. A restart must never be stopped by consumers its own crash left.
 */
export async function withConsumerRoom<T>(nc: NatsConnection, owner: string, log: Logger, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (!LIMIT_REACHED.test(errorMessage(e))) throw e;
    const released = await releaseLeftoverConsumers(nc, owner);
    log.warn("consumer limit reached: deleted consumers left by earlier runs, trying again", { error: errorMessage(e), released });
    return open();
  }
}
