/**
 * `npm run bench -- gateway`: SubmitOrder unary calls through the gRPC gateway at rising concurrency.
 *
 * GATEWAY_BENCH_TARGET picks what answers behind the gateway:
 *   platform (default): a node process (supervisors/node/main.ts) with the demo market and trading kinds; orders go
 *     to the real risk book `demo`, which journals, forwards each order to its sharded order entity, and routes it to the venue and
 *     the simulated exchange. Buys far below the market, so they rest. The book's limits are lifted for the bench
 *     through KV (`limits.demo`, as `scripts/admin.ts set-limits` does), the gateway's rate limit through config.
 *   fake: the gateway in this process, a plain NATS responder as the risk book: the gateway's own cost.
 *   both: fake, then platform; both figures are printed, the last line's top level is the platform's.
 * GATEWAY_BENCH_CLIENT: raw (default; gRPC framed by hand over node:http2, cheap) or grpc-js (the library client).
 * GATEWAY_BENCH_STEPS ("1,4,16,64") and GATEWAY_BENCH_STEP_MS (3000) shape the run.
 *
 * The client runs in a child process so that its serialisation does not share the gateway's event loop; on a
 * 2-core machine it still shares the CPU with the gateway, nats-server and the node, so each step also reports the
 * CPU milliseconds each process spent per 1 000 calls (from /proc), which load from elsewhere does not inflate as
 * much as wall time, net of what each burns idle (measured for 2 s before the client starts). Only accepted calls count; errors are counted per gRPC status. Last line: the highest rate
 * held with p99 under 5 ms (or the step with the least p99 when none held).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { Kvm } from "@nats-io/kv";
import { subjects } from "../../actors/domain/index.ts";
import { loadProtos, mintToken, startGateway } from "../../gateway/index.ts";
import { freePort, repoRoot, startTestInfra, type TestInfra } from "../../infra/local/index.ts";
import { connectNats, declareResources, decodePayload, encodeMessage } from "../../infra/nats/index.ts";
import { buckets } from "../../infra/nats/resources.ts";

const STEPS = (process.env.GATEWAY_BENCH_STEPS ?? "1,4,16,64").split(",").map(Number);
const STEP_MS = Number(process.env.GATEWAY_BENCH_STEP_MS ?? 3_000);
const IDLE_MS = 2_000;
const secret = "bench-secret-of-at-least-32-bytes-long";

interface ClientStep {
  concurrency: number;
  calls: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** gRPC status name → count */
  errorCodes: Record<string, number>;
  clientCpuMsPer1k: number;
}
interface StepResult extends ClientStep {
  /** platform only: where the time goes inside it (stageProbe) */
  stagesMs?: Record<string, number | null>;
  /** the same without the idle burn subtracted (the net figure is noisy where the idle burn varies, as the demo's does) */
  cpuMsPer1kGross: Record<string, number>;
  /** CPU ms per 1 000 accepted calls of each server process (gateway or node, nats-server) */
  cpuMsPer1k: Record<string, number>;
  loadAvg1m: number;
}
interface ClientSpec {
  port: number;
  token: string;
  instrument: string;
  book: string;
  price: string;
}

/* ---------------- the client (child process) ---------------- */

type Submit = (req: Record<string, unknown>, done: (code: number, details: string) => void) => void;

/** grpc-js's client: what applications use, and about as costly per call as the gateway itself. */
function grpcJsClient(spec: ClientSpec): { submit: Submit; close(): void } {
  const Trading = loadProtos().client("Trading");
  const c = new Trading(`127.0.0.1:${spec.port}`, grpc.credentials.createInsecure());
  const call = (c as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void>).SubmitOrder!;
  const meta = new grpc.Metadata();
  meta.set("authorization", `Bearer ${spec.token}`);
  return {
    submit: (req, done) => call.call(c, req, meta, { deadline: Date.now() + 2_000 }, (e) => done(e ? e.code : 0, e?.details ?? "")),
    close: () => c.close(),
  };
}

/**
 * The same unary call framed by hand over node:http2 (length-prefixed protobuf, grpc-status in the trailers): a
 * load generator that leaves more of a 2-core machine to the gateway. The response message is not decoded.
 */
function rawHttp2Client(spec: ClientSpec): { submit: Submit; close(): void } {
  const method = (loadProtos().client("Trading").service as grpc.ServiceDefinition).SubmitOrder!;
  const session = http2.connect(`http://127.0.0.1:${spec.port}`);
  const headers = {
    ":method": "POST",
    ":path": method.path,
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": "2000m",
    authorization: `Bearer ${spec.token}`,
  };
  return {
    submit: (req, done) => {
      const body = method.requestSerialize(req);
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      const stream = session.request(headers);
      let code = -1;
      let details = "";
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) {
          code = Number(h["grpc-status"]);
          details = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      stream.on("response", take); // a trailers-only answer (an error) carries the status in its headers
      stream.on("trailers", take);
      stream.on("data", () => {});
      stream.on("close", () => done(code < 0 ? grpc.status.UNKNOWN : code, code < 0 ? `stream closed without grpc-status (${stream.rstCode})` : details));
      stream.end(frame);
    },
    close: () => session.close(),
  };
}

async function client(spec: ClientSpec): Promise<void> {
  const c = process.env.GATEWAY_BENCH_CLIENT === "grpc-js" ? grpcJsClient(spec) : rawHttp2Client(spec);
  let n = 0;
  const codes: Record<string, number> = {};
  let lastError = "";
  const submit = () =>
    new Promise<boolean>((resolve) => {
      const req = { clientOrderId: `b${process.pid}-${n++}`, instrument: spec.instrument, side: "SIDE_BUY", orderType: "ORDER_TYPE_LIMIT", quantity: "1", price: spec.price, timeInForce: "TIME_IN_FORCE_DAY", strategy: "bench", book: spec.book };
      c.submit(req, (code, details) => {
        if (code !== 0) {
          const name = grpc.status[code] ?? String(code);
          codes[name] = (codes[name] ?? 0) + 1;
          lastError = details;
        }
        resolve(code === 0);
      });
    });
  for (let i = 0; i < 300; i++) await submit(); // warm-up: JIT, connection, token cache, actor spawn paths
  if (Object.keys(codes).length) process.stderr.write(`warm-up errors ${JSON.stringify(codes)}: ${lastError}\n`);
  for (const concurrency of STEPS) {
    for (const k of Object.keys(codes)) delete codes[k];
    const lat: number[] = [];
    let errors = 0;
    process.send?.({ start: concurrency });
    await new Promise((r) => setTimeout(r, 20)); // the parent reads /proc before the load starts
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + STEP_MS;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          if (await submit()) lat.push(performance.now() - s);
          else errors++;
        }
      }),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    const q = (p: number) => Number((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(3));
    const r: ClientStep = {
      concurrency,
      calls: lat.length,
      rps: Math.round(lat.length / elapsedS),
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      errors,
      errorCodes: { ...codes },
      clientCpuMsPer1k: lat.length ? Number(((cpu.user + cpu.system) / lat.length).toFixed(1)) : 0,
    };
    if (errors) process.stderr.write(`  last error: ${lastError}\n`);
    process.send?.(r);
  }
  c.close();
}

/* ---------------- the parent ---------------- */

const CLK_TCK = 100;
/** user+system CPU of a process (all its threads) in ms, from /proc/<pid>/stat */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

async function drive(spec: ClientSpec, processes: Record<string, number>, label: string, onStep?: (concurrency: number) => void): Promise<StepResult[]> {
  const results: StepResult[] = [];
  // What each process burns with no calls (the demo market keeps a node busy): subtracted from each step.
  const idle0 = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMsOf(pid)]));
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idleMsPerS = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, ((cpuMsOf(pid) - idle0[k]!) * 1000) / (performance.now() - idleT0)]));
  process.stderr.write(`[${label}] idle CPU ms/s: ${Object.entries(idleMsPerS).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}\n`);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--client", JSON.stringify(spec)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let before: Record<string, number> = {};
  let startedAt = 0;
  child.on("message", (m: ClientStep | { start: number }) => {
    if ("start" in m) {
      before = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMsOf(pid)]));
      startedAt = performance.now();
      onStep?.(m.start);
      return;
    }
    const elapsedS = (performance.now() - startedAt) / 1000;
    const used = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMsOf(pid) - before[k]!]));
    const per1k = (ms: number) => (m.calls ? Number(((ms * 1000) / m.calls).toFixed(1)) : 0);
    const cpuMsPer1k = Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, per1k(ms - idleMsPerS[k]! * elapsedS)]));
    const cpuMsPer1kGross = Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, per1k(ms)]));
    const r: StepResult = { ...m, cpuMsPer1k, cpuMsPer1kGross, loadAvg1m: Number(loadavg()[0]!.toFixed(2)) };
    results.push(r);
    const cpu = Object.entries({ ...cpuMsPer1k, client: m.clientCpuMsPer1k }).map(([k, v]) => `${k} ${v}`).join(", ");
    const errs = r.errors ? ` ${JSON.stringify(r.errorCodes)}` : "";
    process.stderr.write(`[${label}] concurrency ${r.concurrency}: ${r.rps} rps, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors${errs}; CPU ms/1k calls: ${cpu}; load ${r.loadAvg1m}\n`);
  });
  await new Promise<void>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`client exited with ${code}`)))));
  return results;
}

async function benchFake(): Promise<StepResult[]> {
  process.stderr.write("[fake] nats-server, a plain NATS responder as the risk book, the gateway in this process\n");
  const infra = await startTestInfra();
  const nc = await connectNats(infra.natsUrl, "bench-gateway");
  try {
    await declareResources(nc, { replicas: 1 });
    const ok = encodeMessage({ type: "Reply", ok: true });
    nc.subscribe(subjects.cmd("risk-book", "main"), { callback: (_e, m) => void m.respond(ok.data, { headers: ok.headers }) });
    const gw = await startGateway({ nc, port: 0, jwtSecret: secret, rateLimit: { ratePerSecond: 1e9, burst: 1e9 } });
    try {
      const token = await mintToken(secret, { subject: "bench", role: "trader", ttlS: 600 });
      return await drive({ port: gw.port, token, instrument: "AAPL.XNAS", book: "main", price: "123.45" }, { gateway: process.pid, nats: infra.pids[0]! }, "fake");
    } finally {
      await gw.stop();
    }
  } finally {
    await nc.close();
    await infra.stop();
  }
}

async function benchPlatform(): Promise<StepResult[]> {
  process.stderr.write("[platform] nats-server and a node process: demo market, risk book demo, order actors, venue SIMX, simulated exchange\n");
  const infra: TestInfra = await startTestInfra();
  let node: ChildProcess | undefined;
  const nc = await connectNats(infra.natsUrl, "bench-gateway");
  try {
    const port = await freePort();
    // GATEWAY_BENCH_NODE_ARGS: extra node flags for the node process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
    const nodeArgs = (process.env.GATEWAY_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
    node = spawn(process.execPath, [...nodeArgs, "--import", "tsx", `${repoRoot}supervisors/node/main.ts`], {
      cwd: repoRoot,
      env: {
        ...process.env,
        AM_NODE_ID: "bench",
        AM_START_INFRA: "false",
        AM_NATS_URL: infra.natsUrl,
        AM_LOG_LEVEL: process.env.AM_LOG_LEVEL ?? "warn",
        AM_GATEWAY_PORT: String(port),
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
      createInterface({ input: node!.stdout! }).on("line", onLine);
      createInterface({ input: node!.stderr! }).on("line", onLine);
      node!.once("exit", (code) => reject(new Error(`node exited with ${code}:\n${lines.slice(-10).join("\n")}`)));
      setTimeout(() => reject(new Error(`node not up in 60 s:\n${lines.slice(-10).join("\n")}`)), 60_000).unref();
    });
    // AM_LOG_LEVEL=warn hides "node up": wait for the gateway's port instead when the line does not come.
    await Promise.race([up, waitForGateway(port)]);
    // No book limits for the bench (the demo's orderRate and maxPosition would refuse it), applied by the node's
    // config watch like an operator's set-limits; wait until the book has them.
    await liftLimits(nc);
    const token = await mintToken(secret, { subject: "bench", role: "trader", ttlS: 600 });
    const probe = stageProbe(nc);
    const results = await drive({ port, token, instrument: "SIM001.SIMX", book: "demo", price: "1.00" }, { node: node.pid!, nats: infra.pids[0]! }, "platform", probe.step);
    await new Promise((r) => setTimeout(r, 2_000)); // late order events
    for (const r of results) {
      r.stagesMs = probe.stages(r.concurrency);
      process.stderr.write(`[platform] concurrency ${r.concurrency} stages (median ms / count): ${JSON.stringify(r.stagesMs)}\n`);
    }
    return results;
  } finally {
    if (node && node.exitCode === null) {
      node.kill("SIGTERM");
      await new Promise((r) => {
        const force = setTimeout(() => node!.kill("SIGKILL"), 5_000);
        node!.once("exit", () => r(clearTimeout(force)));
      });
    }
    await nc.close();
    await infra.stop();
  }
}

async function waitForGateway(port: number): Promise<void> {
  const Health = loadProtos().client("Health");
  for (let i = 0; i < 600; i++) {
    const c = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const ok = await new Promise<boolean>((r) =>
      (c as unknown as { Check: (q: unknown, o: grpc.CallOptions, cb: (e: unknown) => void) => void }).Check({ service: "" }, { deadline: Date.now() + 500 }, (e) => r(!e)),
    );
    c.close();
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway on ${port} not serving within 60 s`);
}

/** Puts the bench's limits (an empty object: none) in KV and waits for the book's RiskLimitsChanged event. */
async function liftLimits(nc: Awaited<ReturnType<typeof connectNats>>): Promise<void> {
  const sub = nc.subscribe(subjects.evt("risk-book", "demo", "RiskLimitsChanged"), { max: 1 });
  const kv = await new Kvm(nc).open(buckets.config);
  await kv.put("limits.demo", JSON.stringify({}));
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
function stageProbe(nc: Awaited<ReturnType<typeof connectNats>>) {
  interface Seen { step: number; cmd: number; approved?: number; order?: number; accepted?: number }
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
      const approve = gap((s) => s.cmd, (s) => s.approved);
      const spawn = gap((s) => s.approved, (s) => s.order);
      const venue = gap((s) => s.order, (s) => s.accepted);
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

function best(results: StepResult[]): { step: StepResult; held: boolean } {
  const held = results.filter((r) => r.p99Ms < 5 && r.errors === 0).sort((a, b) => b.rps - a.rps)[0];
  return { step: held ?? [...results].sort((a, b) => a.p99Ms - b.p99Ms)[0]!, held: held !== undefined };
}

function summary(target: string, results: StepResult[]) {
  const { step, held } = best(results);
  return { bench: "gateway", target, rps: step.rps, p50Ms: step.p50Ms, p99Ms: step.p99Ms, concurrency: step.concurrency, heldUnder5ms: held, loadAvg1m: step.loadAvg1m, steps: results };
}

async function main(): Promise<void> {
  const target = process.env.GATEWAY_BENCH_TARGET ?? "platform";
  if (!["platform", "fake", "both"].includes(target)) throw new Error(`GATEWAY_BENCH_TARGET: ${target} is not one of platform, fake, both`);
  const fake = target === "platform" ? undefined : summary("fake", await benchFake());
  const platform = target === "fake" ? undefined : summary("platform", await benchPlatform());
  const out = platform ? { ...platform, ...(fake ? { fake } : {}) } : fake!;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[2] === "--client") await client(JSON.parse(process.argv[3]!) as ClientSpec);
else await main();
