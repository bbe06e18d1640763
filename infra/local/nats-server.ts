import { mkdirSync } from "node:fs";
import { type RunningChild, startChild } from "./child.ts";
import { repoRoot } from "./tools.ts";

export interface NatsServerOptions {
  binary: string;
  host: string;
  port: number;
  monitorPort: number;
  storeDir: string;
  logFile: string;
  serverName?: string;
  /** told when the server had to be killed at stop */
  onKilled?: (why: string) => void;
}

export interface RunningNats extends RunningChild {
  url: string;
  monitorUrl: string;
}

/** Starts nats-server with the repository's nats.conf and waits for JetStream to report healthy. */
export async function startNatsServer(o: NatsServerOptions): Promise<RunningNats> {
  mkdirSync(o.storeDir, { recursive: true });
  const monitorUrl = `http://${o.host}:${o.monitorPort}`;
  const child = await startChild({
    name: "nats-server",
    command: o.binary,
    args: [
      "-c",
      `${repoRoot}nats.conf`,
      "-a",
      o.host,
      "-p",
      String(o.port),
      "-m",
      String(o.monitorPort),
      ...(o.serverName ? ["-n", o.serverName] : []),
    ],
    env: { AM_NATS_STORE_DIR: o.storeDir },
    logFile: o.logFile,
    onKilled: o.onKilled,
    isReady: async () => (await fetch(`${monitorUrl}/healthz?js-enabled-only=true`)).ok,
    readyTimeoutMs: 20_000,
  });
  return { ...child, url: `nats://${o.host}:${o.port}`, monitorUrl };
}
