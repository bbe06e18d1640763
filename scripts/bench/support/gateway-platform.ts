import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { subjects } from "../../../actors/contract/index.ts";
import type { RiskLimitsInput } from "../../../actors/domain/index.ts";
import { loadProtos } from "../../../gateway/index.ts";
import { repoRoot, type TestInfra } from "../../../infra/local/index.ts";
import { connectNats, decodePayload } from "../../../infra/nats/index.ts";
import { admin } from "../../../supervisors/node/admin-client.ts";

/**
 * Starts a node process (supervisors/node/main.ts) on `infra` with its gateway on `port` and the demo market, and
 * resolves once it is up; a node that does not come up is stopped before the error is thrown.
 */
export async function startBenchNode(infra: TestInfra, port: number, secret: string): Promise<ChildProcess> {
  // GATEWAY_BENCH_NODE_ARGS: extra node flags for the node process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = (process.env.GATEWAY_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeArgs, "--import", "tsx", `${repoRoot}supervisors/node/main.ts`], {
    cwd: repoRoot,
    env: {
      ...process.env,
      AM_NODE_ID: "bench",
      AM_START_INFRA: "false",
      AM_NATS_URL: infra.natsUrl,
      AM_LOG_LEVEL: process.env.AM_LOG_LEVEL ?? "warn",
      AM_GATEWAY_PORT: String(port),
      AM_METRICS_PORT: "0",
      AM_GATEWAY_JWT_SECRET: secret,
      AM_GATEWAY_RATE_PER_SECOND: "1000000",
      AM_GATEWAY_RATE_BURST: "1000000",
      AM_CONSOLE_PORT: "0",
      AM_DEMO_INSTRUMENTS: "3",
      AM_VAR_DIR: infra.dir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  // GATEWAY_BENCH_NODE_LOG: a file that gets the node's log lines
  const logFile = process.env.GATEWAY_BENCH_NODE_LOG;
  if (logFile) writeFileSync(logFile, "");
  const up = new Promise<void>((resolve, reject) => {
    const onLine = (l: string) => {
      if (logFile) appendFileSync(logFile, `${l}\n`);
      lines.push(l);
      if (lines.length > 200) lines.shift();
      if (/node up/.test(l)) resolve();
    };
    createInterface({ input: node.stdout! }).on("line", onLine);
    createInterface({ input: node.stderr! }).on("line", onLine);
    node.once("exit", (code) => reject(new Error(`node exited with ${code}:\n${lines.slice(-10).join("\n")}`)));
    setTimeout(() => reject(new Error(`node not up in 60 s:\n${lines.slice(-10).join("\n")}`)), 60_000).unref();
  });
  try {
    // AM_LOG_LEVEL=warn hides "node up": wait for the gateway's port instead when the line does not come.
    await Promise.race([up, waitForGateway(port)]);
  } catch (e) {
    await stopBenchNode(node);
    throw e;
  }
  return node;
}

/** Stops the node process: SIGTERM, then SIGKILL after 5 s. */
export async function stopBenchNode(node: ChildProcess): Promise<void> {
  if (node.exitCode !== null) return;
  node.kill("SIGTERM");
  await new Promise((r) => {
    const force = setTimeout(() => node.kill("SIGKILL"), 5_000);
    node.once("exit", () => r(clearTimeout(force)));
  });
}

export async function waitForGateway(port: number): Promise<void> {
  const Health = loadProtos().client("Health");
  for (let i = 0; i < 600; i++) {
    const c = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const ok = await new Promise<boolean>((r) =>
      (c as unknown as { Check: (q: unknown, o: grpc.CallOptions, cb: (e: unknown) => void) => void }).Check(
        { service: "" },
        { deadline: Date.now() + 500 },
        (e) => r(!e),
      ),
    );
    c.close();
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway on ${port} not serving within 60 s`);
}

/**
 * Sets `limits` for the book `demo` (JSON, money as integer units) through am.admin.configure as the operator (the
 * only user who may) and waits for its RiskLimitsChanged.
 */
export async function setBookLimits(natsUrl: string, limits: RiskLimitsInput): Promise<void> {
  const nc = await connectNats(natsUrl, "bench-operator", { role: "operator" });
  try {
    await putBookLimits(nc, limits);
  } finally {
    await nc.close();
  }
}

async function putBookLimits(nc: Awaited<ReturnType<typeof connectNats>>, limits: RiskLimitsInput): Promise<void> {
  const sub = nc.subscribe(subjects.evt("risk-book", "demo", "RiskLimitsChanged"), { max: 1 });
  const json = JSON.stringify(limits, (field, v) => {
    if (typeof v !== "bigint") return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`bench limit ${field}: ${v} units do not fit a JSON number`);
    return Number(v);
  });
  const reply = await admin(nc, "configure", { type: "AdminConfigureRequest", section: "limits", id: "demo", value: json });
  if (!reply.ok) throw new Error(`the bench's limits were refused (${reply.error?.code}): ${reply.error?.message}`);
  const timer = setTimeout(() => sub.unsubscribe(), 30_000);
  let changed = false;
  for await (const _ of sub) changed = true;
  clearTimeout(timer);
  if (!changed) throw new Error("risk book demo did not take the bench's limits (RiskLimitsChanged) within 30 s");
}

/**
 * Where a SubmitOrder's time goes inside the platform, seen from NATS by this process: the command on the risk
 * book's subject → its journaled OrderApproved → the order entity's first event (activation on its shard's owner, journal)
 * → OrderAccepted (venue connection, simulated exchange). Medians per step; orders whose order actor never spoke
 * within the run (+2 s) are counted as `orderActorSilent`.
 */
export function stageProbe(nc: Awaited<ReturnType<typeof connectNats>>) {
  interface Seen {
    step: number;
    cmd: number;
    approved?: number;
    order?: number;
    accepted?: number;
  }
  const seen = new Map<string, Seen>();
  let step = 0;
  const idOf = (data: Uint8Array): string | undefined => {
    try {
      const id = (decodePayload(data) as { clientOrderId?: unknown }).clientOrderId;
      return typeof id === "string" ? id : undefined;
    } catch {
      return undefined;
    }
  };
  nc.subscribe(subjects.cmd("risk-book", "demo"), {
    callback: (_e, m) => {
      const id = step && m.headers?.get("am-type") === "SubmitOrder" ? idOf(m.data) : undefined;
      if (id) seen.set(id, { step, cmd: performance.now() });
    },
  });
  nc.subscribe(subjects.evt("risk-book", "demo", "OrderApproved"), {
    callback: (_e, m) => {
      const s = seen.get(idOf(m.data) ?? "");
      if (s) s.approved = performance.now();
    },
  });
  nc.subscribe(subjects.evtAll("order"), {
    callback: (_e, m) => {
      const s = seen.get(idOf(m.data) ?? "");
      if (!s) return;
      s.order ??= performance.now();
      if (m.subject.endsWith(".OrderAccepted")) s.accepted ??= performance.now();
    },
  });
  const median = (xs: number[]) => (xs.length ? Number(xs.sort((a, b) => a - b)[xs.length >> 1]!.toFixed(2)) : null);
  return {
    step: (concurrency: number) => {
      step = concurrency;
    },
    stages: (concurrency: number) => {
      const all = [...seen.values()].filter((s) => s.step === concurrency);
      const gap = (f: (s: Seen) => number | undefined, g: (s: Seen) => number | undefined) =>
        all.flatMap((s) => {
          const a = f(s);
          const b = g(s);
          return a !== undefined && b !== undefined ? [b - a] : [];
        });
      const approve = gap(
        (s) => s.cmd,
        (s) => s.approved,
      );
      const spawn = gap(
        (s) => s.approved,
        (s) => s.order,
      );
      const venue = gap(
        (s) => s.order,
        (s) => s.accepted,
      );
      return {
        commands: all.length,
        riskBookMs: median(approve),
        orderActorMs: median(spawn),
        orderActorP99Ms: spawn.length ? Number(spawn[Math.floor(spawn.length * 0.99)]!.toFixed(1)) : null,
        venueAcceptMs: median(venue),
        accepted: venue.length,
        orderActorSilent: all.filter((s) => s.approved !== undefined && s.order === undefined).length,
      };
    },
  };
}
