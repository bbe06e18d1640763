import type { NatsConnection } from "@nats-io/transport-node";
import { type Config, resolveJwtSecret } from "../../infra/config/index.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import type { BacktestSource } from "./backtest-view.ts";
import type { ConsoleOptions } from "./server.ts";

/** The node's configuration plus `consolePort` (to be declared in infra/config/schema.ts: default 8090, 0 = off). */
export type ConsoleConfig = Config & { consolePort?: number };

/**
 * Console options from the node's configuration, or why it stays off (consolePort 0). Tokens are verified with the
 * gateway's secret (gatewayJwtSecret, or the one generated into <varDir>/jwt-secret), so one token serves both.
 */
export function consoleOptionsFrom(
  config: ConsoleConfig,
  deps: { nc: NatsConnection; questdbUrl?: string; natsMonitorUrl?: string; log?: Logger; backtests?: BacktestSource },
): { options: ConsoleOptions } | { off: string } {
  if (!config.consolePort) return { off: "consolePort is 0" };
  const natsHost = config.natsUrl ? new URL(config.natsUrl.replace(/^(nats|tls):/, "http:")).hostname : config.host;
  return {
    options: {
      nc: deps.nc,
      port: config.consolePort,
      host: config.host,
      auth: { secret: resolveJwtSecret(config) },
      ...(config.consoleTlsCert && config.consoleTlsKey ? { tls: { certFile: config.consoleTlsCert, keyFile: config.consoleTlsKey } } : {}),
      node: config.nodeId,
      natsMonitorUrl: deps.natsMonitorUrl ?? `http://${natsHost}:${config.natsMonitorPort}`,
      ...(deps.questdbUrl ? { questdbUrl: deps.questdbUrl } : {}),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.backtests ? { backtests: deps.backtests } : {}),
    },
  };
}
