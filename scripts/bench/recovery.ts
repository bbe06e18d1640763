/**
 * `npm run bench -- recovery`: runs the platform as the README's run command does (a child process
 * `node --import tsx supervisors/node/main.ts` that starts its own nats-server and QuestDB, on free ports, in a
 * throwaway AM_VAR_DIR) with the demo strategies' own order flow, then
 *   1. kill -9s the node and starts it again, as a user would (its servers die with it and start with it);
 *   2. kill -9s its nats-server alone (the node restarts it and reconnects).
 * It prints progress to stderr, and one JSON line: the time from each restart (or kill) to the first fill of an
 * order submitted after it, orders the journal leaves open that the exchange does not know, approved orders or
 * fills lost or applied twice (risk-book approvals, order journals, QuestDB fills, the book), and whether the book's
 * positions and open orders equal the exchange's and the journal's.
 * RECOVERY_PHASE_SECONDS (default 20): how long the flow runs before, between and after the kills.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, storedSubject, subjects } from "../../actors/contract/index.ts";
// the message types this bench decodes: order and risk events, the exchange's state snapshot
import "../../actors/domain/index.ts";
import "../../actors/exchange/index.ts";
import { freePort, repoRoot } from "../../infra/local/index.ts";
import { connectNats, decodeMessage, encodeMessage, type Message } from "../../infra/nats/index.ts";
import { readEvents } from "../../infra/nats/event-reader.ts";
import { questdbSql, riskEventsOf } from "../../infra/questdb/index.ts";
import { cpuMsOf } from "./support/process-cpu.ts";

const PHASE_MS = Number(process.env.RECOVERY_PHASE_SECONDS ?? 20) * 1000;
const VENUE = "SIMX";
const BOOK = "demo";
const STRATEGIES = ["trend-1", "meanrev-1", "mm-1"];
const progress = (line: string) => process.stderr.write(`[recovery] ${line}\n`);

const varDir = mkdtempSync(join(tmpdir(), "am-recovery-"));
const [natsPort, monitorPort, httpPort, pgPort, grpcPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
const natsUrl = `nats://127.0.0.1:${natsPort}`;
const questdbUrl = `http://127.0.0.1:${httpPort}`;
const nodeLog = createWriteStream(join(varDir, "node.log"));
let node: ChildProcess | undefined;
let cpuMs = 0;

/** Starts the node as the run command does and resolves once it says it is up. */
async function startNode(): Promise<ChildProcess> {
  const p = spawn(process.execPath, ["--import", "tsx", "supervisors/node/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      AM_VAR_DIR: varDir,
      AM_HOST: "127.0.0.1",
      AM_NATS_PORT: String(natsPort),
      AM_NATS_MONITOR_PORT: String(monitorPort),
      AM_QUESTDB_HTTP_PORT: String(httpPort),
      AM_QUESTDB_PG_PORT: String(pgPort),
      AM_GATEWAY_PORT: String(grpcPort),
      AM_METRICS_PORT: "0",
      AM_CONSOLE_PORT: "0",
      AM_NODE_ID: "recovery",
      AM_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const up = new Promise<void>((resolve, reject) => {
    const onLine = (l: string) => {
      nodeLog.write(`${l}\n`);
      if (/node up/.test(l)) resolve();
      if (/"level":"(error|warn)"/.test(l) && !/risk book denied/.test(l)) progress(`node: ${l.slice(0, 240)}`);
    };
    createInterface({ input: p.stdout! }).on("line", onLine);
    createInterface({ input: p.stderr! }).on("line", onLine);
    p.once("exit", (code, signal) =>
      reject(new Error(`node exited (${code ?? signal}) before it was up; see ${join(varDir, "node.log")}`)),
    );
  });
  await up;
  return p;
}

/** The node's nats-server: its child process running that binary (the kernel's process name is cut at 15 characters). */
function natsServerPid(nodePid: number): number | undefined {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === nodePid && /nats-server/.test(readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0")[0] ?? "")) return Number(d);
    } catch {
      // a process that ended while we looked
    }
  }
  return undefined;
}

async function request(
  nc: NatsConnection,
  kind: string,
  id: string,
  message: Message,
  timeout = 5_000,
): Promise<{ ok: boolean; result?: unknown; error?: { message: string } }> {
  const { data, headers } = encodeMessage(message);
  const r = await nc.request(subjects.cmd(kind, id), data, { headers, timeout });
  return decodeMessage(r.data, r.headers, true).message as never;
}

/** Order ids first seen submitted, and fills, as they happen: the resume times come from these. */
const submittedAt = new Map<string, number>();
const fillsSeen: { clientOrderId: string; at: number }[] = [];
function watchFlow(nc: NatsConnection): void {
  // wildcards written out: the subject builder escapes "*" as it would an id
  nc.subscribe(storedSubject("am.evt.order.*.OrderSubmitted"), {
    callback: (_e, m) => {
      const id = String(decodeMessage(m.data, m.headers, true).message.clientOrderId);
      if (!submittedAt.has(id)) submittedAt.set(id, Date.now());
    },
  });
  nc.subscribe(storedSubject("am.evt.order.*.OrderFilled"), {
    callback: (_e, m) =>
      void fillsSeen.push({ clientOrderId: String(decodeMessage(m.data, m.headers, true).message.clientOrderId), at: Date.now() }),
  });
}

/** Waits for the first fill of an order submitted after `since`; the time from `since` to it. */
async function resumeAfter(since: number, limitMs: number): Promise<number | null> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const f = fillsSeen.find((x) => x.at >= since && (submittedAt.get(x.clientOrderId) ?? 0) >= since);
    if (f) return f.at - since;
    await sleep(50);
  }
  return null;
}

interface JournalOrder {
  instrument?: string;
  side?: string;
  last: string;
  terminal: boolean;
  execIds: string[];
  filled: number;
}

/** Every order in the journal, folded from its events, and the book's approvals (its journal, then its archive). */
async function readOrders(nc: NatsConnection): Promise<{ orders: Map<string, JournalOrder>; approved: string[]; doubledFills: number }> {
  const orders = new Map<string, JournalOrder>();
  const approvals = new Map<number, string>();
  let doubledFills = 0;
  for await (const m of readEvents(jetstream(nc), {
    filter_subjects: ["am.evt.order.>", subjects.evt("risk-book", BOOK, "OrderApproved")],
  })) {
    const e = decodeMessage(m.data, m.headers, true).message as Record<string, unknown>;
    const id = String(e.clientOrderId);
    if (e.type === "OrderApproved") {
      approvals.set(m.seq, id);
      continue;
    }
    const o = orders.get(id) ?? { last: "", terminal: false, execIds: [], filled: 0 };
    o.last = String(e.type);
    if (e.type === "OrderSubmitted") Object.assign(o, { instrument: e.instrument, side: e.side });
    if (e.type === "OrderFilled") {
      if (o.execIds.includes(String(e.execId))) doubledFills++;
      o.execIds.push(String(e.execId));
      o.filled += Number(e.lastQty);
    }
    o.terminal =
      e.type === "OrderRejected" ||
      e.type === "OrderCanceled" ||
      e.type === "OrderExpired" ||
      (e.type === "OrderFilled" && Number(e.leavesQty) === 0);
    orders.set(id, o);
  }
  // a compacted journal keeps only the approvals since the book's last snapshot: the rest are in QuestDB
  for (const a of await riskEventsOf(questdbUrl, BOOK, ["OrderApproved"]))
    if (!approvals.has(a.seq)) approvals.set(a.seq, String(a.event.clientOrderId));
  return { orders, approved: [...approvals.values()], doubledFills };
}

/** The exchange's open orders of our session: asked like a venue connection does after logon. */
async function exchangeOpenOrders(nc: NatsConnection): Promise<Set<string>> {
  const sub = nc.subscribe(subjects.cmd("venue", VENUE), { max: 50 });
  const { data, headers } = encodeMessage({
    type: "AdapterRequestState",
    venue: VENUE,
    sinceSeq: Number.MAX_SAFE_INTEGER,
    nowUs: Date.now() * 1000,
  });
  nc.publish(subjects.cmd("venue-adapter", VENUE), data, { headers });
  const timer = setTimeout(() => sub.unsubscribe(), 5_000);
  try {
    for await (const m of sub) {
      const msg = decodeMessage(m.data, m.headers, true).message as { type: string; openOrders?: { clientOrderId: string }[] };
      if (msg.type === "VenueStateSnapshot") return new Set((msg.openOrders ?? []).map((o) => o.clientOrderId));
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  throw new Error(`exchange ${VENUE} did not answer AdapterRequestState within 5 s`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  progress(`var dir ${varDir}; nats ${natsUrl}, QuestDB ${questdbUrl}, gRPC 127.0.0.1:${grpcPort}; phases of ${PHASE_MS / 1000} s`);
  node = await startNode();
  progress(`node up in ${Date.now() - t0} ms (pid ${node.pid})`);
  const nc = await connectNats(natsUrl, "bench-recovery");
  watchFlow(nc);
  const warm = await resumeAfter(t0, 60_000);
  progress(`first fill ${warm === null ? "never" : `${warm} ms after start`}`);
  await sleep(PHASE_MS);

  progress(`kill -9 node (pid ${node.pid}) after ${fillsSeen.length} fills`);
  cpuMs += cpuMsOf(node.pid!);
  const exited = new Promise((r) => node!.once("exit", r));
  node.kill("SIGKILL");
  await exited;
  const restartAt = Date.now();
  node = await startNode();
  progress(`node up again in ${Date.now() - restartAt} ms`);
  const nodeKillResumeMs = await resumeAfter(restartAt, 60_000);
  progress(`first fill of a new order ${nodeKillResumeMs} ms after the restart`);
  await sleep(PHASE_MS);

  const natsPid = natsServerPid(node.pid!);
  if (natsPid === undefined) throw new Error(`no nats-server child of node pid ${node.pid}`);
  progress(`kill -9 nats-server (pid ${natsPid}) after ${fillsSeen.length} fills`);
  const natsKillAt = Date.now();
  process.kill(natsPid, "SIGKILL");
  const natsKillResumeMs = await resumeAfter(natsKillAt, 60_000);
  progress(`first fill of a new order ${natsKillResumeMs} ms after the nats-server kill`);
  await sleep(PHASE_MS);

  progress("stopping the strategies (open orders canceled), then letting the flow settle");
  for (const id of STRATEGIES) {
    const now = Date.now() * 1000;
    await request(nc, "strategy", id, { type: "StopStrategy", reason: "bench end", tsEvent: now, tsInit: now }).catch((e) =>
      progress(`StopStrategy ${id}: ${errorMessage(e)}`),
    );
  }
  await sleep(5_000);

  const { orders, approved, doubledFills } = await readOrders(nc);
  const atExchange = await exchangeOpenOrders(nc);
  const report = (await request(nc, "risk-book", BOOK, { type: "GetRiskReport", tsEvent: Date.now() * 1000, tsInit: Date.now() * 1000 }))
    .result as {
    positions: { instrument: string; quantity: number }[];
    pending: { clientOrderId: string; remaining: number }[];
  };
  const open = [...orders].filter(([, o]) => !o.terminal).map(([id]) => id);
  const stuck = open.filter((id) => !atExchange.has(id));
  const lostApprovals = approved.filter((id) => !orders.has(id));
  const journalFills = [...orders.values()].flatMap((o) => o.execIds);
  const qdb = await questdbSql(questdbUrl, "SELECT fill_id, count() n FROM fills GROUP BY fill_id");
  const inQuestdb = new Map(qdb.dataset.map((r) => [String(r[0]), Number(r[1])]));
  const lostFills = journalFills.filter((id) => !inQuestdb.has(id));
  const doubledInQuestdb = [...inQuestdb.values()].filter((n) => n > 1).length;
  // positions: the book against the fills the journal holds (the venue's executions across its sessions)
  const fromFills = new Map<string, number>();
  for (const o of orders.values())
    if (o.instrument && o.filled)
      fromFills.set(o.instrument, (fromFills.get(o.instrument) ?? 0) + (o.side === "BUY" ? o.filled : -o.filled));
  const positionDiffs = [...new Set([...fromFills.keys(), ...report.positions.map((p) => p.instrument)])].filter(
    (i) => (fromFills.get(i) ?? 0) !== Number(report.positions.find((p) => p.instrument === i)?.quantity ?? 0),
  );
  const bookOpen = new Set(report.pending.map((p) => p.clientOrderId));
  const openDiffs = [...new Set([...bookOpen, ...atExchange])].filter((id) => bookOpen.has(id) !== atExchange.has(id));
  progress(
    `journal: ${orders.size} orders, ${open.length} open, ${journalFills.length} fills; exchange open ${atExchange.size}; book pending ${bookOpen.size}`,
  );
  if (stuck.length)
    progress(
      `stuck: ${stuck
        .slice(0, 10)
        .map((id) => `${id} (${orders.get(id)!.last})`)
        .join(", ")}`,
    );
  if (lostApprovals.length) progress(`approved, no order journal: ${lostApprovals.slice(0, 10).join(", ")}`);
  if (lostFills.length) progress(`fills not in QuestDB: ${lostFills.slice(0, 10).join(", ")}`);
  if (positionDiffs.length) progress(`positions differ (book vs fills): ${positionDiffs.join(", ")}`);
  if (openDiffs.length)
    progress(
      `open orders differ (book vs exchange): ${openDiffs
        .slice(0, 10)
        .map((id) => `${id} (journal ${orders.get(id)?.last ?? "none"}, ${atExchange.has(id) ? "open" : "not open"} at the exchange)`)
        .join(", ")}`,
    );
  cpuMs += cpuMsOf(node.pid!);
  await nc.close();
  node.kill("SIGTERM");
  await new Promise((r) => node!.once("exit", r));
  console.log(
    JSON.stringify({
      bench: "recovery",
      nodeKillResumeMs,
      natsKillResumeMs,
      stuckOrders: stuck.length,
      lost: lostApprovals.length + lostFills.length,
      doubled: doubledFills + doubledInQuestdb,
      bookMatchesVenue: positionDiffs.length === 0 && openDiffs.length === 0,
      orders: orders.size,
      fills: journalFills.length,
      wallMs: Date.now() - t0,
      nodeCpuMs: Math.round(cpuMs),
      loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
    }),
  );
}

// the node is ours: it goes when the bench is interrupted
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    node?.kill("SIGKILL");
    process.exit(130);
  });
try {
  await main();
} catch (e) {
  progress(`failed: ${errorMessage(e)}; node log: ${join(varDir, "node.log")}`);
  node?.kill("SIGKILL");
  process.exitCode = 1;
}
if (process.exitCode !== 1) rmSync(varDir, { recursive: true, force: true });
process.exit();
