/**
 * A three-server NATS cluster on this machine's loopback, one QuestDB and node processes joining them: what
 * `npm run cluster`, the chaos drill (`npm run bench -- drill`) and the cluster test start. Each server has its own
 * store under the var dir and the repository's accounts, users and permissions (nats-cluster.conf includes
 * nats.conf); streams and buckets are declared with replicas 3 before the nodes start.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../../../actors/contract/index.ts";
import {
  defaultCacheDir,
  freePort,
  localTools,
  type RunningChild,
  type RunningNats,
  type RunningQuestdb,
  repoRoot,
  startNatsServer,
} from "../../local/index.ts";
import { startChild } from "../../local/child.ts";
import { startQuestdbServer } from "../../local/questdb-server.ts";
import { connectNats, declareResources } from "../../nats/index.ts";
import { ensureNatsCredentials } from "../../nats/credentials.ts";

const configFile = fileURLToPath(new URL("nats-cluster.conf", import.meta.url));
const host = "127.0.0.1";

export interface ClusterOptions {
  /** stores, QuestDB data and logs of every process */
  varDir: string;
  cacheDir?: string;
  /** node processes (default 3) */
  nodes?: number;
  /** AM_DEMO_INSTRUMENTS of every node: their kinds must agree on the demo book and strategies (0 = no demo) */
  demoInstruments: number;
  /** worker-thread cells per node (default 1: three nodes share this machine) */
  cells?: number;
  /** the first of consecutive ports to use (3 per server, 2 for QuestDB, 1 per node's gRPC gateway); default: free ports */
  basePort?: number;
  /** more environment for every node (AM_LOG_LEVEL, AM_FEATURES_BAR_TYPE, …) */
  nodeEnv?: Record<string, string>;
  progress?: (line: string) => void;
}

/** One of the three nats-servers: kill -9 it and start it again on the same ports and store. */
export interface ClusterServer {
  readonly name: string;
  readonly url: string;
  readonly monitorUrl: string;
  readonly running: boolean;
  pid(): number | undefined;
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** One node process (supervisors/node/main.ts with AM_NATS_URL set): kill -9 it and start it again. */
export interface ClusterNode {
  readonly id: string;
  readonly grpcPort: number;
  readonly running: boolean;
  pid(): number | undefined;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface RunningCluster {
  servers: ClusterServer[];
  nodes: ClusterNode[];
  /** the seed list every client gets (AM_NATS_URL): the three client URLs, comma-separated */
  natsUrl: string;
  questdbUrl: string;
  credentialsDir: string;
  /** the JetStream meta leader's server name, asked of a running server's monitor (/jsz) */
  metaLeader(): Promise<string | undefined>;
  stop(): Promise<void>;
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: { name: string; current: boolean; offline?: boolean }[] };
}

async function jsz(monitorUrl: string): Promise<Jsz> {
  const r = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(2_000) });
  if (!r.ok) throw new Error(`${monitorUrl}/jsz answered ${r.status}`);
  return (await r.json()) as Jsz;
}

/** Ports from basePort on, or free ones. */
async function portsFor(count: number, basePort: number | undefined): Promise<number[]> {
  if (basePort !== undefined) return Array.from({ length: count }, (_, i) => basePort + i);
  return Promise.all(Array.from({ length: count }, () => freePort()));
}

export async function startCluster(o: ClusterOptions): Promise<RunningCluster> {
  const progress = o.progress ?? (() => {});
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const tools = localTools(cacheDir);
  const credentialsDir = process.env.AM_NATS_CREDENTIALS_DIR ?? join(cacheDir, "nats-credentials");
  const credentials = ensureNatsCredentials(credentialsDir);
  const nodeCount = o.nodes ?? 3;
  const ports = await portsFor(3 * 3 + 2 + nodeCount, o.basePort);
  const names = ["am-1", "am-2", "am-3"];
  const routes = Object.fromEntries(names.map((_, i) => [`AM_NATS_ROUTE_${i + 1}`, `nats-route://${host}:${ports[3 * i + 2]}`]));

  const servers = names.map((name, i): ClusterServer & { stop(): Promise<void> } => {
    const [port, monitorPort, routePort] = [ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!];
    let child: RunningNats | undefined;
    const start = async (): Promise<void> => {
      child = await startNatsServer({
        binary: tools.natsServer,
        host,
        port,
        monitorPort,
        serverName: name,
        configFile,
        env: { AM_NATS_SERVER_NAME: name, AM_NATS_CLUSTER_LISTEN: `${host}:${routePort}`, ...routes },
        storeDir: join(o.varDir, name),
        logFile: join(o.varDir, "log", `${name}.log`),
        credentials,
        onKilled: progress,
      });
      const c = child;
      c.onExit(() => {
        if (child === c) child = undefined;
      });
    };
    return {
      name,
      url: `nats://${host}:${port}`,
      monitorUrl: `http://${host}:${monitorPort}`,
      get running() {
        return child !== undefined;
      },
      pid: () => child?.pid,
      start,
      kill: async () => {
        const c = child;
        if (!c) return;
        const gone = new Promise<void>((r) => c.onExit(() => r()));
        c.kill();
        await gone;
      },
      stop: async () => {
        await child?.stop();
        child = undefined;
      },
    };
  });
  const natsUrl = servers.map((s) => s.url).join(",");
  const [qdbHttp, qdbPg] = [ports[9]!, ports[10]!];
  let questdb: RunningQuestdb | undefined;
  const nodes: (ClusterNode & { stop(): Promise<void> })[] = [];

  const stop = async (): Promise<void> => {
    progress("stopping the nodes, then QuestDB and the nats-servers");
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([questdb?.stop(), ...servers.map((s) => s.stop())]);
  };

  try {
    progress(`starting nats-servers ${servers.map((s) => `${s.name} ${s.url}`).join(", ")} and QuestDB on ${qdbHttp}`);
    const qdbStart = startQuestdbServer({
      java: tools.java,
      jar: tools.questdbJar,
      host,
      httpPort: qdbHttp,
      pgPort: qdbPg,
      dataDir: join(o.varDir, "questdb"),
      heapMb: 512,
      logFile: join(o.varDir, "log", "questdb.log"),
      onKilled: progress,
    }).then((q) => {
      questdb = q;
    });
    await Promise.all([...servers.map((s) => s.start()), qdbStart]);
    const leader = await waitForMetaLeader(servers, 30_000);
    progress(`JetStream meta leader ${leader}`);
    const nc = await connectNats(natsUrl, "alphamind-cluster", { role: "node", credentialsDir });
    try {
      const declared = await declareResources(nc, { replicas: 3 });
      progress(`streams and buckets with 3 replicas: ${declared.created.length} created, ${declared.existing.length} existing`);
    } finally {
      await nc.close();
    }

    for (let i = 0; i < nodeCount; i++) {
      const id = `node-${i + 1}`;
      const grpcPort = ports[11 + i]!;
      const logFile = join(o.varDir, "log", `${id}.log`);
      let child: RunningChild | undefined;
      const startNode = async (): Promise<void> => {
        const upBefore = upLines(logFile);
        child = await startChild({
          name: id,
          command: process.execPath,
          args: ["--import", "tsx", "supervisors/node/main.ts"],
          cwd: repoRoot,
          env: {
            ...o.nodeEnv,
            AM_NODE_ID: id,
            AM_NATS_URL: natsUrl,
            AM_QUESTDB_URL: `http://${host}:${qdbHttp}`,
            AM_NATS_CREDENTIALS_DIR: credentialsDir,
            AM_REPLICAS: "3",
            AM_CELLS: String(o.cells ?? 1),
            AM_DEMO_INSTRUMENTS: String(o.demoInstruments),
            AM_GATEWAY_PORT: String(grpcPort),
            AM_CONSOLE_PORT: "0",
            AM_METRICS_PORT: "0",
            AM_VAR_DIR: join(o.varDir, id),
          },
          logFile,
          // the node logs "node up" once its actors, gateway and demo are declared
          isReady: async () => upLines(logFile) > upBefore,
          readyTimeoutMs: 120_000,
          stopTimeoutMs: 20_000,
          onKilled: progress,
        });
        const c = child;
        c.onExit(() => {
          if (child === c) child = undefined;
        });
      };
      const node = {
        id,
        grpcPort,
        get running() {
          return child !== undefined;
        },
        pid: () => child?.pid,
        start: startNode,
        kill: async () => {
          const c = child;
          if (!c) return;
          const gone = new Promise<void>((r) => c.onExit(() => r()));
          c.kill();
          await gone;
        },
        stop: async () => {
          await child?.stop();
          child = undefined;
        },
      };
      nodes.push(node);
    }
    // one at a time: each node's start-up (tsx, cells, declarations) takes a core for seconds
    for (const n of nodes) {
      const t = Date.now();
      await n.start();
      progress(`${n.id} up in ${Date.now() - t} ms (pid ${n.pid()}, gRPC ${host}:${n.grpcPort})`);
    }
  } catch (e) {
    await stop();
    throw new Error(`cluster did not start: ${errorMessage(e)} (logs under ${join(o.varDir, "log")})`);
  }

  return {
    servers,
    nodes,
    natsUrl,
    questdbUrl: `http://${host}:${qdbHttp}`,
    credentialsDir,
    metaLeader: () => metaLeaderOf(servers),
    stop,
  };
}

const upLines = (logFile: string): number =>
  existsSync(logFile)
    ? readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l.includes('"node up"')).length
    : 0;

/** The meta leader as a running server reports it, once all three servers are its current peers. */
async function metaLeaderOf(servers: ClusterServer[]): Promise<string | undefined> {
  for (const s of servers.filter((x) => x.running)) {
    const meta = await jsz(s.monitorUrl)
      .then((j) => j.meta_cluster)
      .catch(() => undefined);
    if (meta?.leader) return meta.leader;
  }
  return undefined;
}

export async function waitForMetaLeader(servers: ClusterServer[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    const s = servers.find((x) => x.running);
    const meta = s
      ? await jsz(s.monitorUrl)
          .then((j) => j.meta_cluster)
          .catch((e) => {
            last = errorMessage(e);
            return undefined;
          })
      : undefined;
    if (meta?.leader && meta.cluster_size === servers.length) return meta.leader;
    if (meta) last = `leader ${meta.leader || "none"}, cluster size ${meta.cluster_size ?? 0}`;
    await sleep(200);
  }
  throw new Error(`no JetStream meta leader of ${servers.length} servers within ${timeoutMs} ms (${last})`);
}
