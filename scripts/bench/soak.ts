/**
 * `npm run bench -- soak`: runs the platform as the run command does (`node --import tsx supervisors/node/main.ts`,
 * local nats-server and QuestDB, the demo on) on free ports in a throwaway AM_VAR_DIR, for SOAK_MINUTES (default
 * 30), and says whether anything grows: each minute it prints orders and fills (the order actors' events on NATS),
 * JetStream consumers per stream, each process's resident memory and open files (node, nats-server, QuestDB), the
 * load average and the CPU each process used. At the end it sends SIGINT and times the shutdown.
 *
 * Compared: the first SOAK_RATE_MINUTES minutes after warm-up (SOAK_WARMUP_MINUTES, default 8: closed orders' journals
 * are first archived five minutes after start, AM_ARCHIVE_CLOSED_ORDERS_AFTER_MS, and nats-server's subject index
 * holds every order until then, so the steady state begins at about minute 6) against the last
 * SOAK_RATE_MINUTES (default 3), each figure their mean. rateRatio = orders per minute at the end / at the start:
 * the demo's own order flow swings by a third from one minute to the next (its market is random; `minuteCv`, the
 * coefficient of variation of the minutes after warm-up, says how much in this run), and a garbage-collected
 * process's resident memory by a third between collections (nats-server's live heap stays flat while its RSS moves
 * between 90 and 145 MB), so one minute against one minute measured chance more than the platform. Growths are
 * fractions (0.1 = 10 %), the largest over the processes for rssGrowth and fdGrowth.
 *
 * Dead letters (am.dlq.>, counted by type and reason): expected are only an instrument's FeedRejected for
 * MARKET_CLOSED and NOT_TRADING, its trading-hours policy refusing prints while the simulated market is not open.
 * Every other one from the node's start until SIGINT is unexpected: a feed item an instrument refused for its
 * content (the simulator sends valid ones), a message an actor could not decode or whose handler threw
 * (DeadLetter), a row QuestDB refused (the recorder's RecordRejected). Those after SIGINT are printed apart.
 *
 * cleanShutdown: the node exited with 0 within SOAK_SHUTDOWN_MS (default 15 000) of SIGINT, and its log says no
 * server had to be killed.
 *
 * SOAK_START_MS (default 600 000) bounds the start-up.
 *
 * Settings: the platform's defaults, except the ports and AM_VAR_DIR. SOAK_NODE_ENV ("AM_X=1 AM_Y=2") changes
 * others; each one changed is named in the JSON under `changed`. SOAK_NODE_ARGS adds node flags (for a profile).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { freePort, repoRoot } from "../../infra/local/index.ts";
import { connectNats, decodeMessage } from "../../infra/nats/index.ts";
import { cpuMsOf } from "./support/process-cpu.ts";
import { meanSample, type ResourceSample, resourceGrowth, sampleResources } from "./support/resource-gauges.ts";
import { errorMessage, storedSubject } from "../../actors/contract/index.ts";

const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const warmupMinutes = Number(process.env.SOAK_WARMUP_MINUTES ?? 8);
const rateMinutes = Number(process.env.SOAK_RATE_MINUTES ?? 3);
const shutdownBudgetMs = Number(process.env.SOAK_SHUTDOWN_MS ?? 15_000);
// a loaded machine took more than 3 minutes to start the servers and the node
const startBudgetMs = Number(process.env.SOAK_START_MS ?? 600_000);
if (!(minutes >= warmupMinutes + 2))
  throw new Error(`SOAK_MINUTES (${minutes}) must leave at least 2 minutes after SOAK_WARMUP_MINUTES (${warmupMinutes})`);
if (!(Number.isInteger(rateMinutes) && rateMinutes >= 1 && 2 * rateMinutes <= minutes - warmupMinutes))
  throw new Error(
    `SOAK_RATE_MINUTES (${rateMinutes}) must be a whole number from 1 to half the minutes after warm-up (${minutes - warmupMinutes})`,
  );

const say = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Extra settings for the node from SOAK_NODE_ENV, each named in the result. */
function changedSettings(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env.SOAK_NODE_ENV ?? "").split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0 || !pair.startsWith("AM_")) throw new Error(`SOAK_NODE_ENV: ${pair} is not AM_NAME=value`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

interface Minute {
  minute: number;
  orders: number;
  fills: number;
  deadLetters: number;
  resources: ResourceSample;
  cpuMs: Record<string, number>;
  load1: number;
}

const EXPECTED_DEAD_LETTERS = new Set(["FeedRejected:MARKET_CLOSED", "FeedRejected:NOT_TRADING"]);

/** A dead letter's type and reason: FeedRejected:STALE_SEQUENCE, DeadLetter:handler-threw, RecordRejected:… */
function deadLetterKind(m: Msg): string {
  try {
    const { message } = decodeMessage(m.data, m.headers, false);
    const body = message as { type: string; reason?: unknown; code?: unknown };
    return `${body.type}:${String(body.type === "DeadLetter" ? body.code : body.reason)}`;
  } catch (e) {
    return `undecodable:${errorMessage(e).slice(0, 40)}`;
  }
}

/** What the node's order actors and dead letters publish, counted per minute over core NATS. */
class FlowCounter {
  orders = 0;
  fills = 0;
  deadLetters = 0;
  readonly deadLettersByKind = new Map<string, number>();

  constructor(nc: NatsConnection) {
    nc.subscribe(storedSubject("am.evt.order.>"), {
      callback: (_e, m) => {
        const event = m.subject.slice(m.subject.lastIndexOf(".") + 1);
        if (event === "OrderSubmitted") this.orders++;
        else if (event === "OrderFilled") this.fills++;
      },
    });
    nc.subscribe("am.dlq.>", {
      callback: (_e, m) => {
        const kind = deadLetterKind(m);
        if (!EXPECTED_DEAD_LETTERS.has(kind)) this.deadLetters++;
        this.deadLettersByKind.set(kind, (this.deadLettersByKind.get(kind) ?? 0) + 1);
      },
    });
  }

  take(): { orders: number; fills: number; deadLetters: number } {
    const out = { orders: this.orders, fills: this.fills, deadLetters: this.deadLetters };
    this.orders = 0;
    this.fills = 0;
    this.deadLetters = 0;
    return out;
  }
}

/** The node's log: written to a file whole, counted here by level, its last lines kept for an error. */
class NodeLog {
  warnings = 0;
  errors = 0;
  up = false;
  /** lines saying a server had to be killed */
  readonly killed: string[] = [];
  readonly tail: string[] = [];

  constructor(readonly file: string) {
    writeFileSync(file, "");
  }

  add(line: string): void {
    appendFileSync(this.file, `${line}\n`);
    if (line.includes('"level":"warn"')) this.warnings++;
    if (line.includes('"level":"error"')) this.errors++;
    if (line.includes("node up")) this.up = true;
    if (/was killed/.test(line)) this.killed.push(line);
    this.tail.push(line);
    if (this.tail.length > 20) this.tail.shift();
  }
}

function startNode(env: Record<string, string>, log: NodeLog): ChildProcess {
  const nodeArgs = (process.env.SOAK_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeArgs, "--import", "tsx", `${repoRoot}supervisors/node/main.ts`], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  createInterface({ input: node.stdout! }).on("line", (l) => log.add(l));
  createInterface({ input: node.stderr! }).on("line", (l) => log.add(l));
  return node;
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number, node: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (node.exitCode !== null) throw new Error(`node exited with ${node.exitCode} while waiting for ${what}`);
    if (await Promise.resolve(probe()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "am-soak-"));
  const [natsPort, monitorPort, httpPort, pgPort, gatewayPort, consolePort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const changed = changedSettings();
  const env: Record<string, string> = {
    AM_VAR_DIR: dir,
    AM_NATS_PORT: String(natsPort),
    AM_NATS_MONITOR_PORT: String(monitorPort),
    AM_QUESTDB_HTTP_PORT: String(httpPort),
    AM_QUESTDB_PG_PORT: String(pgPort),
    AM_GATEWAY_PORT: String(gatewayPort),
    AM_METRICS_PORT: "0",
    AM_CONSOLE_PORT: String(consolePort),
    ...changed,
  };
  const log = new NodeLog(join(tmpdir(), `am-soak-${process.pid}.log`));
  say(`soak: ${minutes} min (warm-up ${warmupMinutes}); node log ${log.file}; changed settings: ${JSON.stringify(changed)}`);
  const node = startNode(env, log);
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  let nc: NatsConnection | undefined;
  try {
    await until("node up", () => log.up, startBudgetMs, node);
    nc = await connectNats(`nats://127.0.0.1:${natsPort}`, "soak-bench");
    const flow = new FlowCounter(nc);
    const samples: Minute[] = [];
    let lastCpu = new Map<number, number>();
    const startedAt = Date.now();
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, startedAt + minute * 60_000 - Date.now()));
      if (node.exitCode !== null) throw new Error(`node exited with ${node.exitCode} at minute ${minute}`);
      const resources = await sampleResources(monitorUrl, node.pid!);
      const cpu = new Map(resources.processes.map((p) => [p.pid, cpuMsOf(p.pid)]));
      const cpuMs = Object.fromEntries(
        resources.processes.map((p) => [p.name, Math.round((cpu.get(p.pid) ?? 0) - (lastCpu.get(p.pid) ?? 0))]),
      );
      lastCpu = cpu;
      const m: Minute = { minute, ...flow.take(), resources, cpuMs, load1: Number(loadavg()[0]!.toFixed(1)) };
      samples.push(m);
      const procs = resources.processes
        .map((p) => `${p.name} ${p.rssMb} MB ${p.openFiles} fd ${(cpuMs[p.name]! / 1000).toFixed(0)} cpu-s`)
        .join(", ");
      const consumers = Object.entries(resources.consumers)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s}=${n}`)
        .join(" ");
      say(
        `minute ${minute}${minute <= warmupMinutes ? " (warm-up)" : ""}: orders ${m.orders}, fills ${m.fills}, unexpected dead letters ${m.deadLetters}; consumers ${resources.consumerTotal} (${consumers}); AM_EVT subjects ${resources.subjects.AM_EVT ?? 0}; ${procs}; load ${m.load1}; log so far ${log.warnings} warnings, ${log.errors} errors`,
      );
    }
    const deadLettersBeforeStop = samples.reduce((a, m) => a + m.deadLetters, 0) + flow.take().deadLetters;
    const byKind = Object.fromEntries(flow.deadLettersByKind);

    // A clean shutdown: SIGINT as an operator would (Ctrl-C), exit 0 within the budget, no server killed.
    const stopAt = Date.now();
    node.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => {
      const force = setTimeout(() => {
        node.kill("SIGKILL");
        resolve(null);
      }, shutdownBudgetMs + 30_000);
      node.once("exit", (c) => {
        clearTimeout(force);
        resolve(c);
      });
    });
    const shutdownMs = Date.now() - stopAt;
    const cleanShutdown = code === 0 && shutdownMs <= shutdownBudgetMs && log.killed.length === 0;
    say(
      `shutdown: exit ${code} after ${shutdownMs} ms; servers killed: ${log.killed.length ? log.killed.join(" | ") : "none"}; dead letters while stopping ${flow.deadLetters}`,
    );

    const first = samples[warmupMinutes]!;
    const last = samples[samples.length - 1]!;
    const measured = samples.slice(warmupMinutes);
    const start = meanSample(measured.slice(0, rateMinutes).map((m) => m.resources));
    const end = meanSample(measured.slice(-rateMinutes).map((m) => m.resources));
    const g = resourceGrowth(start, end);
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    const mean = (ms: Minute[], of: (m: Minute) => number): number => ms.reduce((a, m) => a + of(m), 0) / ms.length;
    const ordersAt = {
      first: mean(measured.slice(0, rateMinutes), (m) => m.orders),
      last: mean(measured.slice(-rateMinutes), (m) => m.orders),
    };
    const fillsAt = {
      first: mean(measured.slice(0, rateMinutes), (m) => m.fills),
      last: mean(measured.slice(-rateMinutes), (m) => m.fills),
    };
    const all = mean(measured, (m) => m.orders);
    const minuteCv = all > 0 ? Math.sqrt(mean(measured, (m) => (m.orders - all) ** 2)) / all : 0;
    say(
      `first ${rateMinutes} minutes after warm-up (from ${first.minute}) vs last ${rateMinutes} (to ${last.minute}), means: orders ${round(ordersAt.first)} → ${round(ordersAt.last)}, fills ${round(fillsAt.first)} → ${round(fillsAt.last)}`,
    );
    for (const p of end.processes) {
      const before = start.processes.find((q) => q.name === p.name);
      if (before)
        say(
          `  ${p.name}: rss ${before.rssMb} → ${p.rssMb} MB, open files ${before.openFiles} → ${p.openFiles}, cpu-s/min (single minutes) ${(first.cpuMs[p.name]! / 1000).toFixed(0)} → ${(last.cpuMs[p.name]! / 1000).toFixed(0)}`,
        );
    }
    say(`  consumers: ${JSON.stringify(first.resources.consumers)} → ${JSON.stringify(last.resources.consumers)}`);
    say(
      `  dead letters by type and reason (expected ones included): ${JSON.stringify(byKind)}; node log: ${log.warnings} warnings, ${log.errors} errors (${log.file})`,
    );
    const result = {
      bench: "soak",
      minutes,
      warmupMinutes,
      rateMinutes,
      rateRatio: ordersAt.first > 0 ? round(ordersAt.last / ordersAt.first) : null,
      fillRateRatio: fillsAt.first > 0 ? round(fillsAt.last / fillsAt.first) : null,
      ordersPerMinute: { first: round(ordersAt.first), last: round(ordersAt.last) },
      fillsPerMinute: { first: round(fillsAt.first), last: round(fillsAt.last) },
      minuteCv: round(minuteCv),
      consumerGrowth: round(g.consumerGrowth),
      consumers: { first: start.consumerTotal, last: end.consumerTotal },
      eventSubjects: { first: first.resources.subjects.AM_EVT ?? 0, last: last.resources.subjects.AM_EVT ?? 0 },
      rssGrowth: round(g.rssGrowth),
      rssMb: Object.fromEntries(
        end.processes.map((p) => [p.name, [start.processes.find((q) => q.name === p.name)?.rssMb ?? null, p.rssMb]]),
      ),
      fdGrowth: round(g.fdGrowth),
      unexpectedDeadLetters: deadLettersBeforeStop,
      deadLetters: byKind,
      cleanShutdown,
      shutdownMs,
      load1: { first: first.load1, last: last.load1, max: Math.max(...samples.map((m) => m.load1)) },
      nodeCpuSecondsPerMinute: { first: round((first.cpuMs.node ?? 0) / 1000), last: round((last.cpuMs.node ?? 0) / 1000) },
      warnings: log.warnings,
      errors: log.errors,
      changed,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (e) {
    say(`soak failed: ${errorMessage(e)}; the node's last lines:\n${log.tail.join("\n")}`);
    process.exitCode = 1;
  } finally {
    await nc?.close().catch(() => {});
    if (node.exitCode === null) node.kill("SIGKILL");
    // SOAK_KEEP_DIR: keep the servers' data (and logs) for a look afterwards
    if (process.env.SOAK_KEEP_DIR) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
