import { mkdirSync } from "node:fs";
import { type RunningChild, startChild } from "./child.ts";

export interface QuestdbServerOptions {
  java: string;
  jar: string;
  host: string;
  httpPort: number;
  pgPort: number;
  dataDir: string;
  heapMb: number;
  logFile: string;
  /** told when the server had to be killed at stop */
  onKilled?: (why: string) => void;
}

export interface RunningQuestdb extends RunningChild {
  /** HTTP endpoint: REST SQL at /exec, ILP over HTTP at /write, web console at /. */
  httpUrl: string;
  pgPort: number;
}

/** Starts QuestDB from its Maven jar, bound to the given ports only, and waits until it answers SQL. */
export async function startQuestdbServer(o: QuestdbServerOptions): Promise<RunningQuestdb> {
  mkdirSync(o.dataDir, { recursive: true });
  const httpUrl = `http://${o.host}:${o.httpPort}`;
  const child = await startChild({
    name: "questdb",
    command: o.java,
    // A fixed heap, touched at start: the server's footprint is settled from the first minute instead of creeping
    // up as the collector grows and first touches its generations, and no page fault lands inside a collection.
    args: [
      `-Xms${o.heapMb}m`,
      `-Xmx${o.heapMb}m`,
      "-XX:+AlwaysPreTouch",
      "-XX:+UseParallelGC",
      "-p",
      o.jar,
      "-m",
      "io.questdb/io.questdb.ServerMain",
      "-d",
      o.dataDir,
    ],
    env: {
      QDB_HTTP_BIND_TO: `${o.host}:${o.httpPort}`,
      QDB_PG_NET_BIND_TO: `${o.host}:${o.pgPort}`,
      // ILP over TCP and the min-HTTP health server are not used: ILP goes over HTTP.
      QDB_LINE_TCP_ENABLED: "false",
      QDB_LINE_UDP_ENABLED: "false",
      QDB_HTTP_MIN_ENABLED: "false",
      QDB_TELEMETRY_ENABLED: "false",
      // Every pool's threads poll for work, and after each job they spin, then nap 1 ms at a time for thousands of
      // rounds before they sleep: on a small machine a trickle of ILP flushes kept a dozen threads awake. One thread
      // per shared pool (network, query, write), WAL apply and PG on them, and a short way to sleep.
      QDB_SHARED_NETWORK_WORKER_COUNT: "1",
      QDB_SHARED_QUERY_WORKER_COUNT: "1",
      QDB_SHARED_WRITE_WORKER_COUNT: "1",
      QDB_WAL_APPLY_WORKER_COUNT: "0",
      QDB_PG_WORKER_COUNT: "0",
      QDB_SHARED_WORKER_YIELD_THRESHOLD: "10",
      QDB_SHARED_WORKER_NAP_THRESHOLD: "20",
      QDB_SHARED_WORKER_SLEEP_THRESHOLD: "50",
      QDB_SHARED_WORKER_SLEEP_TIMEOUT: "20",
      // At INFO, QuestDB writes five or six lines per table per WAL commit: with market data flowing, a log thread
      // and the writers spent ~10 % of a core formatting them and the log file grew by ~200 MB a day. Errors,
      // critical errors and the advisories (start-up, configuration, limits) are what an operator reads.
      QDB_LOG_W_STDOUT_LEVEL: "ERROR,CRITICAL,ADVISORY",
    },
    logFile: o.logFile,
    onKilled: o.onKilled,
    isReady: async () => (await fetch(`${httpUrl}/exec?query=${encodeURIComponent("select 1")}`)).ok,
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 15_000,
  });
  return { ...child, httpUrl, pgPort: o.pgPort };
}
