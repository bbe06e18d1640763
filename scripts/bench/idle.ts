/**
 * `npm run bench -- idle`: what the demo costs at rest. The run command's node (supervisors/node/main.ts starting
 * its own nats-server and QuestDB, the demo market of AM_DEMO_INSTRUMENTS instruments with its simulated feed and
 * strategies, gateway and console) on free ports and a throwaway data directory; after IDLE_BENCH_SETTLE_MS, the CPU
 * of each process (user + system, all threads, /proc/<pid>/stat) over IDLE_BENCH_MS, in cores. Nothing is asked
 * of it meanwhile: the simulated feed is what it handles (mdPerSec: normalised market data messages per second
 * in the window, counted by a subscriber of this process, so a figure from a demo that stopped flowing shows). IDLE_BENCH_PROFILE=<dir>: CPU profiles of the node's
 * threads (written when it stops).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { subjects } from "../../actors/contract/index.ts";
import { freePort } from "../../infra/local/index.ts";
import { connectNats } from "../../infra/nats/index.ts";
import { startNodeProcess } from "../../supervisors/node/testing.ts";
import { cpuMsOf } from "./support/process-cpu.ts";

const SETTLE_MS = Number(process.env.IDLE_BENCH_SETTLE_MS ?? 20_000);
const WINDOW_MS = Number(process.env.IDLE_BENCH_MS ?? 60_000);
const INSTRUMENTS = process.env.AM_DEMO_INSTRUMENTS ?? "50";

const log = (line: string) => process.stderr.write(`[idle] ${line}\n`);

/** Direct children of a process (all its threads'), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
    if (list) out.push(...list.split(" ").map(Number));
  }
  return out;
}
const commandOf = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");

const teardowns: (() => unknown)[] = [];
const dir = mkdtempSync(join(tmpdir(), "am-idle-"));
teardowns.push(() => rmSync(dir, { recursive: true, force: true }));
try {
  const [nats, monitor, http, pg, gateway, console] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const node = startNodeProcess(
    { teardown: (fn) => void teardowns.push(fn) },
    "idle",
    {
      AM_START_INFRA: "true",
      AM_NATS_PORT: String(nats),
      AM_NATS_MONITOR_PORT: String(monitor),
      AM_QUESTDB_HTTP_PORT: String(http),
      AM_QUESTDB_PG_PORT: String(pg),
      AM_GATEWAY_PORT: String(gateway),
      AM_CONSOLE_PORT: String(console),
      AM_VAR_DIR: dir,
      AM_DEMO_INSTRUMENTS: INSTRUMENTS,
    },
    process.env.IDLE_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.IDLE_BENCH_PROFILE}`] : [],
  );
  // stop the servers with the node: a SIGKILLed node would leave them running
  teardowns.push(async () => {
    node.proc.kill("SIGTERM");
    await Promise.race([node.exited, sleep(30_000)]);
  });
  await node.waitFor(/node up/, 120_000);
  const pid = node.proc.pid!;
  const kids = childrenOf(pid);
  const natsPid = kids.find((k) => commandOf(k).includes("nats-server"));
  const questdbPid = kids.find((k) => commandOf(k).includes("questdb"));
  if (!natsPid || !questdbPid) throw new Error(`the node's nats-server or QuestDB child not found among ${kids.join(", ")}`);
  log(`node ${pid}, nats-server ${natsPid}, QuestDB ${questdbPid}; settling ${SETTLE_MS} ms`);
  await sleep(SETTLE_MS);
  const nc = await connectNats(`nats://127.0.0.1:${nats}`, "idle-bench");
  teardowns.push(() => nc.close());
  let md = 0;
  nc.subscribe(subjects.mdAll(), { callback: () => void md++ });
  const pids = { node: pid, nats: natsPid, questdb: questdbPid };
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMsOf(p)]));
  const t0 = performance.now();
  const md0 = md;
  log(`measuring ${WINDOW_MS} ms`);
  await sleep(WINDOW_MS);
  const ms = performance.now() - t0;
  const cores = Object.fromEntries(
    Object.entries(pids).map(([k, p]) => [k, Math.round(((cpuMsOf(p) - before[k]!) / ms) * 1000) / 1000]),
  ) as Record<keyof typeof pids, number>;
  const mdPerSec = Math.round(((md - md0) * 1000) / ms);
  const total = Math.round((cores.node + cores.nats + cores.questdb) * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({ bench: "idle", cores: total, node: cores.node, nats: cores.nats, questdb: cores.questdb, instruments: Number(INSTRUMENTS), mdPerSec, windowMs: Math.round(ms), loadAvg1m: Math.round(loadavg()[0]! * 10) / 10 })}\n`,
  );
} finally {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => {});
}
process.exit(0);
