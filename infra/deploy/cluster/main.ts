/**
 * `npm run cluster`: three nats-servers (a JetStream cluster, replicas 3), one QuestDB and three node processes on
 * this machine's loopback, data under AM_VAR_DIR/cluster (default var/cluster); Ctrl-C stops all of it.
 * AM_CLUSTER_BASE_PORT: consecutive ports from there (default: free ports); AM_DEMO_INSTRUMENTS (default 50).
 */
import { isAbsolute, join } from "node:path";
import { errorMessage } from "../../../actors/contract/index.ts";
import { repoRoot } from "../../local/index.ts";
import { startCluster } from "./cluster.ts";

const say = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
const varRoot = process.env.AM_VAR_DIR ?? "var";
const varDir = join(isAbsolute(varRoot) ? varRoot : join(repoRoot, varRoot), "cluster");
const basePort = process.env.AM_CLUSTER_BASE_PORT ? Number(process.env.AM_CLUSTER_BASE_PORT) : undefined;
if (basePort !== undefined && !(Number.isInteger(basePort) && basePort > 0 && basePort < 65_500))
  throw new Error(`AM_CLUSTER_BASE_PORT: ${process.env.AM_CLUSTER_BASE_PORT} is not a port number`);
const demoInstruments = Number(process.env.AM_DEMO_INSTRUMENTS ?? 50);

// the cluster's own handlers stop it in order; child.ts's hooks see them and leave the stop to us
let stopping = false;
let stopCluster: (() => Promise<void>) | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void (stopCluster?.() ?? Promise.resolve()).finally(() => process.exit(0));
  });

try {
  const cluster = await startCluster({ varDir, basePort, demoInstruments, progress: say, nodeEnv: { AM_LOG_LEVEL: "info" } });
  stopCluster = cluster.stop;
  say(`up: AM_NATS_URL=${cluster.natsUrl} AM_QUESTDB_URL=${cluster.questdbUrl}`);
  for (const s of cluster.servers) say(`${s.name}: ${s.url}, monitor ${s.monitorUrl}/jsz`);
  for (const n of cluster.nodes) say(`${n.id}: pid ${n.pid()}, gRPC 127.0.0.1:${n.grpcPort}, log ${join(varDir, "log", `${n.id}.log`)}`);
  say(`meta leader ${await cluster.metaLeader()}; Ctrl-C stops everything`);
} catch (e) {
  say(errorMessage(e));
  process.exit(1);
}
