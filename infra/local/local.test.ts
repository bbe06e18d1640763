import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { loadConfig } from "../config/index.ts";
import { connectNats } from "../nats/index.ts";
import { questdbSql } from "../questdb/index.ts";
import { freePort, isPortBound, repoRoot, startLocalInfra } from "./index.ts";
import { eventually } from "../../test/testing.ts";

// Three QuestDB starts and a 20 s guardian wait: on a loaded machine this file needs more than the default.
t.setTimeout(300_000);

type Scope = { teardown: (fn: () => unknown) => void };

/** True while `pid` is a live process (a zombie, dead but not yet reaped by its new parent, counts as gone). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Direct children of `pid`, with their command names, from /proc (Linux). */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === pid) out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether `condition` comes to hold within `timeoutMs`: the assertions below report what did not. */
const held = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> =>
  eventually(what, condition, { timeoutMs, everyMs: 200 }).catch(() => false);

async function boundPorts(ports: number[]): Promise<number[]> {
  const bound = await Promise.all(ports.map((p) => isPortBound(p)));
  return ports.filter((_, i) => bound[i]);
}

function tempVarDir(t: Scope): string {
  const dir = mkdtempSync(join(tmpdir(), "am-local-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Settings for servers on free ports with data in a throwaway directory, as AM_* variables. */
async function freshEnv(varDir: string): Promise<Record<string, string>> {
  const [nats, monitor, http, pg] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  return {
    AM_NATS_PORT: String(nats),
    AM_NATS_MONITOR_PORT: String(monitor),
    AM_QUESTDB_HTTP_PORT: String(http),
    AM_QUESTDB_PG_PORT: String(pg),
    AM_QUESTDB_HEAP_MB: "512",
    AM_VAR_DIR: varDir,
    // The node's edges and demo are not what these tests are about: keep the node small and off fixed ports.
    AM_GATEWAY_PORT: "0",
    AM_CONSOLE_PORT: "0",
    AM_METRICS_PORT: "0",
    AM_DEMO_INSTRUMENTS: "0",
    ...(process.env.AM_CACHE_DIR ? { AM_CACHE_DIR: process.env.AM_CACHE_DIR } : {}),
  };
}

const portsOf = (env: Record<string, string>): number[] =>
  ["AM_NATS_PORT", "AM_NATS_MONITOR_PORT", "AM_QUESTDB_HTTP_PORT", "AM_QUESTDB_PG_PORT"].map((k) => Number(env[k]));

interface NodeProcess {
  child: ChildProcess;
  /** Its server processes (nats-server and QuestDB's JVM, not the guardian shells), seen once it was up. */
  servers: { pid: number; comm: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts `supervisors/node/main.ts` as the README's run command does, and waits for "node up". */
async function startNode(t: Scope, env: Record<string, string>): Promise<NodeProcess> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AM_")));
  const child = spawn(process.execPath, ["--import", "tsx", "supervisors/node/main.ts"], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let servers: { pid: number; comm: string }[] = [];
  // Whatever happens in the test, nothing it started outlives it.
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      await Promise.race([exited, sleep(30_000)]);
      child.kill("SIGKILL");
    }
    for (const s of servers) if (isRunning(s.pid)) process.kill(s.pid, "SIGKILL");
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const up = await held("the node up", () => done || /node up/.test(out), 120_000);
  if (!up || done) throw new Error(`the node did not come up:\n${out}`);
  // The servers only: the guardians (bash) and tsx's esbuild helpers of the worker cells are not servers.
  servers = childrenOf(child.pid!).filter((c) => c.comm.startsWith("nats-server") || c.comm === "java");
  return { child, servers, exited, output: () => out };
}

t.test("startLocalInfra starts both servers on the configured ports and stop() leaves nothing behind", async (t) => {
  const varDir = tempVarDir(t);
  const env = await freshEnv(varDir);
  const config = loadConfig(env);
  const infra = await startLocalInfra(config);
  let stopped = false;
  t.teardown(() => (stopped ? undefined : infra.stop()));

  t.equal(infra.natsUrl, `nats://127.0.0.1:${config.natsPort}`);
  t.equal(infra.questdbUrl, `http://127.0.0.1:${config.questdbHttpPort}`);
  const nc = await connectNats(infra.natsUrl, "local-test");
  t.ok((await nc.rtt()) >= 0, "nats-server answers");
  await nc.close();
  t.same((await questdbSql(infra.questdbUrl, "SELECT 1 AS one")).dataset, [[1]], "QuestDB answers SQL");
  t.same(await boundPorts(portsOf(env)), portsOf(env), "all four ports are bound while running");
  t.equal(infra.pids.length, 2);
  // WAL commits and their apply, which QuestDB logs at INFO, and one error
  await questdbSql(infra.questdbUrl, "CREATE TABLE quiet (x LONG, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL");
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${infra.questdbUrl}/write`, { method: "POST", body: `quiet x=${i}i ${Date.now()}000000\n` });
    t.ok(res.ok, "QuestDB takes an ILP write");
  }
  await eventually(
    "the writes applied",
    async () => (await questdbSql(infra.questdbUrl, "SELECT count() FROM quiet")).dataset[0]?.[0] === 3 || undefined,
  );
  await t.rejects(questdbSql(infra.questdbUrl, "SELECT * FROM no_such_table"), /does not exist/, "QuestDB refuses a query of no table");

  await infra.stop();
  stopped = true;
  for (const pid of infra.pids) t.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
  t.same(await boundPorts(portsOf(env)), [], "no port is bound after stop()");
  // QuestDB's log: its advisories (start-up, configuration) and errors, not a line per table per commit
  const levels = readFileSync(join(varDir, "log", "questdb.log"), "utf8")
    .split("\n")
    .map((line) => /^\S+Z ([ACDEI]) /.exec(line)?.[1])
    .filter((level) => level !== undefined);
  t.ok(levels.includes("A"), "the advisories are logged");
  t.ok(levels.includes("E"), "the error is logged");
  t.notOk(levels.includes("I"), "nothing at INFO");
});

t.test("the node process comes up, exits 0 on SIGINT and leaves no process and no bound port", async (t) => {
  const env = await freshEnv(tempVarDir(t));
  const node = await startNode(t, env);
  const servers = node.servers;
  t.equal(servers.length, 2, `the node runs nats-server and QuestDB: ${JSON.stringify(servers)}`);
  t.match(node.output(), /JetStream resources declared/);
  t.match(node.output(), /QuestDB tables declared/);

  node.child.kill("SIGINT");
  const exit = await node.exited;
  t.same(exit, { code: 0, signal: null }, "exit code 0");
  t.match(node.output(), /node stopped/);
  for (const s of servers) t.notOk(isRunning(s.pid), `${s.comm} (${s.pid}) is gone`);
  t.same(await boundPorts(portsOf(env)), [], "no port is bound after exit");
});

t.test("when the node is killed with SIGKILL the guardians end nats-server and QuestDB", async (t) => {
  const env = await freshEnv(tempVarDir(t));
  const node = await startNode(t, env);
  const servers = node.servers;
  t.equal(servers.length, 2, `the node runs nats-server and QuestDB: ${JSON.stringify(servers)}`);

  node.child.kill("SIGKILL");
  t.same(await node.exited, { code: null, signal: "SIGKILL" });
  // The guardian notices within 0.5 s, sends SIGTERM, and SIGKILL 5 s later: 10 s is ample, 20 s allows for load.
  const gone = await held("the servers ended", () => servers.every((s) => !isRunning(s.pid)), 20_000);
  t.ok(gone, `servers ended: ${JSON.stringify(servers.map((s) => ({ ...s, running: isRunning(s.pid) })))}`);
  t.ok(await held("no port bound", async () => (await boundPorts(portsOf(env))).length === 0, 5_000), "no port is bound afterwards");
});
