import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../infra/telemetry/index.ts";

/**
 * Logs the node's NATS connection going away and coming back (nats.js reconnects by itself, forever): without
 * these lines a killed server looked like a quiet platform. Ends when the connection closes.
 */
export function logNatsLink(nc: NatsConnection, url: string, log: Logger): void {
  let lostAt: number | undefined;
  let attempts = 0;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" && lostAt === undefined) {
        lostAt = Date.now();
        attempts = 0;
        log.error("NATS connection lost; reconnecting", { server: url });
      } else if (s.type === "reconnecting") attempts += 1;
      else if (s.type === "reconnect") {
        log.info("NATS connection back", { server: url, downMs: lostAt === undefined ? 0 : Date.now() - lostAt, attempts });
        lostAt = undefined;
      }
    }
  })();
}
