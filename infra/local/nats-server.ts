import { mkdirSync } from "node:fs";
import { type NatsCredentials, type NatsRole, serverPasswordEnv } from "../nats/credentials.ts";
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
  /** the configuration file (default: the repository's nats.conf; a cluster server's includes it) */
  configFile?: string;
  /** more environment for the configuration's variables (a cluster server's name, route port and routes) */
  env?: Record<string, string>;
  /** every user's credentials: nats.conf reads their passwords from the server's environment */
  credentials: Record<NatsRole, NatsCredentials>;
  /** serve TLS only, with this certificate and key (PEM files) */
  tls?: { certFile: string; keyFile: string };
  /** told when the server had to be killed at stop */
  onKilled?: (why: string) => void;
}

export interface RunningNats extends RunningChild {
  url: string;
  monitorUrl: string;
}

/**
 * Starts nats-server with the repository's nats.conf (its accounts, users and permissions; the passwords from
 * `credentials`) and waits for JetStream to report healthy.
 */
export async function startNatsServer(o: NatsServerOptions): Promise<RunningNats> {
  mkdirSync(o.storeDir, { recursive: true });
  const monitorUrl = `http://${o.host}:${o.monitorPort}`;
  const child = await startChild({
    name: "nats-server",
    command: o.binary,
    args: [
      "-c",
      o.configFile ?? `${repoRoot}nats.conf`,
      "-a",
      o.host,
      "-p",
      String(o.port),
      "-m",
      String(o.monitorPort),
      ...(o.serverName ? ["-n", o.serverName] : []),
      // --tlscert alone makes the server require TLS of every client (nats.conf has no tls block to keep it optional)
      ...(o.tls ? ["--tls", "--tlscert", o.tls.certFile, "--tlskey", o.tls.keyFile] : []),
    ],
    // Go's collector at half its default target: the server's heap stays within 1.5× what is live, where the default
    // let its RSS swing between 1× and 3× (87–146 MB over a soak with a flat 45 MB live heap); GOGC set by the user wins
    env: { AM_NATS_STORE_DIR: o.storeDir, GOGC: process.env.GOGC ?? "50", ...serverPasswordEnv(o.credentials), ...o.env },
    logFile: o.logFile,
    onKilled: o.onKilled,
    isReady: async () => (await fetch(`${monitorUrl}/healthz?js-enabled-only=true`)).ok,
    readyTimeoutMs: 20_000,
  });
  return { ...child, url: `nats://${o.host}:${o.port}`, monitorUrl };
}
