import { join } from "node:path";
import { type ConnectionOptions, type NatsConnection, connect } from "@nats-io/transport-node";
import { errorMessage } from "../../actors/contract/index.ts";
import { type Config, loadConfig } from "../config/index.ts";
import { inboxPrefixOf, type NatsRole, readNatsCredentials } from "./credentials.ts";

/** Who a connection is and how it reaches the server: the role's credentials, and the CA to trust over TLS. */
export interface NatsClientOptions {
  /** the user to connect as (default `node`) */
  role?: NatsRole;
  /** where the credentials are (default: the configuration's) */
  credentialsDir?: string;
  /** PEM CA file: connect over TLS and trust this CA (default: the configuration's natsTlsCa) */
  tlsCaFile?: string;
}

export interface NatsClientSettings {
  credentialsDir: string;
  tlsCaFile?: string;
}

/** The configuration's NATS client settings: credentials directory and the CA of a TLS server. */
export function natsClientOf(config: Pick<Config, "cacheDir" | "natsCredentialsDir" | "natsTlsCa">): NatsClientSettings {
  return {
    credentialsDir: config.natsCredentialsDir ?? join(config.cacheDir, "nats-credentials"),
    ...(config.natsTlsCa ? { tlsCaFile: config.natsTlsCa } : {}),
  };
}

/** The options nats.js gets for a role: user and password, its inbox prefix, TLS with the given CA. */
export function natsConnectionOptions(o: NatsClientOptions = {}): ConnectionOptions {
  const role = o.role ?? "node";
  // Only a caller that says nothing about where credentials are reads the configuration (AM_* settings).
  const settings: NatsClientSettings = o.credentialsDir
    ? { credentialsDir: o.credentialsDir, ...(o.tlsCaFile ? { tlsCaFile: o.tlsCaFile } : {}) }
    : { ...natsClientOf(loadConfig()), ...(o.tlsCaFile ? { tlsCaFile: o.tlsCaFile } : {}) };
  const c = readNatsCredentials(settings.credentialsDir, role);
  const inboxPrefix = inboxPrefixOf(role);
  return {
    user: c.user,
    pass: c.password,
    ...(inboxPrefix ? { inboxPrefix } : {}),
    ...(settings.tlsCaFile ? { tls: { caFile: settings.tlsCaFile } } : {}),
  };
}

/** Connects as a role's user with reconnects forever; a clear error when no server answers or it refuses the user. */
export async function connectNats(url: string, name: string, o: NatsClientOptions = {}): Promise<NatsConnection> {
  const auth = natsConnectionOptions(o);
  try {
    // noAsyncTraces: nats.js otherwise builds two Error objects (stack traces) per request up front, in case it
    // fails; with a KV lease renewal per actor and a request per command that was a tenth of a node's CPU.
    return await connect({
      // a comma-separated list is a cluster's seed servers: the client starts with any that answers
      servers: url.split(","),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5_000,
      noAsyncTraces: true,
      ...auth,
    });
  } catch (e) {
    throw new Error(
      `cannot connect to NATS at ${url} as ${auth.user}: ${errorMessage(e)}. Is nats-server running, with these credentials?`,
    );
  }
}
