import { isMainThread, workerData } from "node:worker_threads";
import type { Config } from "../../../infra/config/index.ts";

let nodeNatsUrl: string | undefined;

/** The node's NATS url, set by ActorNode before it imports a kinds module on its main thread. */
export function setKindsNatsUrl(url: string): void {
  nodeNatsUrl = url;
}

/**
 * Where a kinds module that reads KV at import connects: a cell's own NATS url (its workerData), the url of the
 * node importing it on the main thread, else the configured one (AM_NATS_URL, or the local server).
 */
export function kindsNatsUrl(config: Config): string {
  const cell = isMainThread ? undefined : (workerData as { natsUrl?: unknown } | null)?.natsUrl;
  if (typeof cell === "string") return cell;
  return nodeNatsUrl ?? config.natsUrl ?? `nats://${config.host}:${config.natsPort}`;
}
