import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Config } from "../config/index.ts";
import { natsClientOf } from "../nats/connect.ts";
import { ensureNatsCredentials, type NatsCredentials, type NatsRole } from "../nats/credentials.ts";
import { freePort } from "./ports.ts";
import { type RunningNats, startNatsServer } from "./nats-server.ts";
import { type RunningQuestdb, startQuestdbServer } from "./questdb-server.ts";
import { defaultCacheDir, localTools, repoRoot } from "./tools.ts";

export { freePort, isPortBound } from "./ports.ts";
export { type NatsServerOptions, startNatsServer } from "./nats-server.ts";
export { defaultCacheDir, localTools, pinnedVersions, repoRoot } from "./tools.ts";
export type { RunningChild } from "./child.ts";
export type { RunningNats, RunningQuestdb };

export interface LocalInfra {
  natsUrl: string;
  /** where every NATS user's credentials are (<role>.json): clients connect with their role's */
  credentialsDir: string;
  natsMonitorUrl: string;
  questdbUrl: string;
  pids: number[];
  ports: number[];
  stop(): Promise<void>;
}

type Progress = (line: string) => void;

async function startBoth(
  start: { nats: () => Promise<RunningNats>; questdb: () => Promise<RunningQuestdb> },
  progress: Progress,
): Promise<{ nats: RunningNats; questdb: RunningQuestdb }> {
  progress("starting nats-server and QuestDB");
  const [nats, questdb] = await Promise.allSettled([start.nats(), start.questdb()]);
  if (nats.status === "rejected" || questdb.status === "rejected") {
    if (nats.status === "fulfilled") await nats.value.stop();
    if (questdb.status === "fulfilled") await questdb.value.stop();
    throw nats.status === "rejected" ? nats.reason : (questdb as PromiseRejectedResult).reason;
  }
  progress(`nats-server ready at ${nats.value.url} (monitor ${nats.value.monitorUrl})`);
  progress(`QuestDB ready at ${questdb.value.httpUrl} (PG wire on ${questdb.value.pgPort})`);
  return { nats: nats.value, questdb: questdb.value };
}

/** How to start each local server from the configuration (data under varDir), and where it will listen. */
export interface LocalServerStarters {
  natsUrl: string;
  credentialsDir: string;
  natsMonitorUrl: string;
  questdbUrl: string;
  ports: number[];
  nats: () => Promise<RunningNats>;
  questdb: () => Promise<RunningQuestdb>;
}

/**
 * The local servers' start functions: each start uses the same ports and data, so a restarted server is the same
 * server to its clients. A server that does not exit on SIGTERM in time is killed and `onKilled` is told why.
 */
export function localServerStarters(config: Config, onKilled: (why: string) => void): LocalServerStarters {
  const tools = localTools(config.cacheDir);
  const varDir = isAbsolute(config.varDir) ? config.varDir : join(repoRoot, config.varDir);
  // made here too (idempotent), so a node started before the set-up's credentials step still has its users
  const { credentialsDir } = natsClientOf(config);
  const credentials = ensureNatsCredentials(credentialsDir);
  return {
    natsUrl: `nats://${config.host}:${config.natsPort}`,
    credentialsDir,
    natsMonitorUrl: `http://${config.host}:${config.natsMonitorPort}`,
    questdbUrl: `http://${config.host}:${config.questdbHttpPort}`,
    ports: [config.natsPort, config.natsMonitorPort, config.questdbHttpPort, config.questdbPgPort],
    nats: () =>
      startNatsServer({
        binary: tools.natsServer,
        host: config.host,
        port: config.natsPort,
        monitorPort: config.natsMonitorPort,
        storeDir: join(varDir, "nats"),
        logFile: join(varDir, "log", "nats-server.log"),
        credentials,
        ...(config.natsTlsCert && config.natsTlsKey ? { tls: { certFile: config.natsTlsCert, keyFile: config.natsTlsKey } } : {}),
        onKilled,
      }),
    questdb: () =>
      startQuestdbServer({
        java: tools.java,
        jar: tools.questdbJar,
        host: config.host,
        httpPort: config.questdbHttpPort,
        pgPort: config.questdbPgPort,
        dataDir: join(varDir, "questdb"),
        heapMb: config.questdbHeapMb,
        logFile: join(varDir, "log", "questdb.log"),
        onKilled,
      }),
  };
}

/**
 * The local platform's servers, from the configuration, data under varDir. Stop them with stop(); a server that does
 * not exit on SIGTERM in time is killed and `onKilled` is told why.
 */
export async function startLocalInfra(
  config: Config,
  progress: Progress = () => {},
  onKilled: (why: string) => void = progress,
): Promise<LocalInfra> {
  const starters = localServerStarters(config, onKilled);
  const { nats, questdb } = await startBoth(starters, progress);
  return {
    natsUrl: nats.url,
    credentialsDir: starters.credentialsDir,
    natsMonitorUrl: nats.monitorUrl,
    questdbUrl: questdb.httpUrl,
    pids: [nats.pid, questdb.pid],
    ports: starters.ports,
    stop: async () => {
      progress("stopping nats-server and QuestDB");
      await Promise.all([nats.stop(), questdb.stop()]);
    },
  };
}

export interface TestInfraOptions {
  questdb?: boolean;
  cacheDir?: string;
  /** the nats-server requires TLS with this certificate and key (clients trust their CA: AM_NATS_TLS_CA) */
  natsTls?: { certFile: string; keyFile: string };
}

export interface TestInfra extends Omit<LocalInfra, "questdbUrl"> {
  questdbUrl: string | undefined;
  dir: string;
  /** every NATS user's credentials, as the server has them (to start it again on the same store) */
  credentials: Record<NatsRole, NatsCredentials>;
}

/**
 * Servers for a test: free ports, a throwaway directory, removed on stop(). The nats-server has the product's users
 * and permissions with the per-user credentials (AM_NATS_CREDENTIALS_DIR, else <cacheDir>/nats-credentials), so
 * processes a test starts connect as they would in production.
 */
export async function startTestInfra(opts: TestInfraOptions = {}): Promise<TestInfra> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const tools = localTools(cacheDir);
  const credentialsDir = process.env.AM_NATS_CREDENTIALS_DIR ?? join(cacheDir, "nats-credentials");
  const credentials = ensureNatsCredentials(credentialsDir);
  const dir = mkdtempSync(join(tmpdir(), "am-test-"));
  const host = "127.0.0.1";
  const [natsPort, monitorPort, httpPort, pgPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const startNats = () =>
    startNatsServer({
      binary: tools.natsServer,
      host,
      port: natsPort,
      monitorPort,
      storeDir: join(dir, "nats"),
      logFile: join(dir, "nats-server.log"),
      credentials,
      ...(opts.natsTls ? { tls: opts.natsTls } : {}),
    });
  let nats: RunningNats;
  let questdb: RunningQuestdb | undefined;
  try {
    if (opts.questdb) {
      ({ nats, questdb } = await startBoth(
        {
          nats: startNats,
          questdb: () =>
            startQuestdbServer({
              java: tools.java,
              jar: tools.questdbJar,
              host,
              httpPort,
              pgPort,
              dataDir: join(dir, "questdb"),
              heapMb: 512,
              logFile: join(dir, "questdb.log"),
            }),
        },
        () => {},
      ));
    } else {
      nats = await startNats();
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    natsUrl: nats.url,
    credentialsDir,
    credentials,
    natsMonitorUrl: nats.monitorUrl,
    questdbUrl: questdb?.httpUrl,
    pids: questdb ? [nats.pid, questdb.pid] : [nats.pid],
    ports: questdb ? [natsPort, monitorPort, httpPort, pgPort] : [natsPort, monitorPort],
    stop: async () => {
      await Promise.all([nats.stop(), questdb?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
