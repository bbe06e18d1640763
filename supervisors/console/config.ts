import type { NatsConnection } from "@nats-io/transport-node";
import type { Config } from "../../infra/config/index.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import type { ConsoleOptions } from "./server.ts";

/** The settings the console reads; `consolePort` and `jwtSecret` are to be declared in infra/config/schema.ts. */
export type ConsoleConfig = Pick<Config, "host" | "natsMonitorPort" | "natsUrl"> & { consolePort?: number; jwtSecret?: string };

/**
 * Console options from the node's configuration, or a reason it stays off: port 0 turns it off, and it never runs
 * without a JWT secret (an unauthenticated operator console would let anyone restart actors).
 */
export function consoleOptionsFrom(
  config: ConsoleConfig,
  deps: { nc: NatsConnection; questdbUrl?: string; natsMonitorUrl?: string; log?: Logger },
): { options: ConsoleOptions } | { off: string } {
  if (!config.consolePort) return { off: "consolePort is 0" };
  if (!config.jwtSecret) return { off: "no jwtSecret configured: the console needs it to verify operators' tokens" };
  const natsHost = config.natsUrl ? new URL(config.natsUrl.replace(/^nats:/, "http:")).hostname : config.host;
  return {
    options: {
      nc: deps.nc,
      port: config.consolePort,
      host: config.host,
      auth: { secret: config.jwtSecret },
      natsMonitorUrl: deps.natsMonitorUrl ?? `http://${natsHost}:${config.natsMonitorPort}`,
      ...(deps.questdbUrl ? { questdbUrl: deps.questdbUrl } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    },
  };
}
