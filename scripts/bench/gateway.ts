/**
 * `npm run bench -- gateway`: SubmitOrder unary calls through the gRPC gateway at rising concurrency; `rps` counts
 * orders the venue ACCEPTED per second (OrderAccepted as the event stream stored it, on am.stored.order.<id>,
 * watched by the client), not calls answered OK, and `p99Ms` is call start → OrderAccepted.
 *
 * First, in the same run and with the same client: a bare grpc-js server answering SubmitOrder at once (`baseline`,
 * per concurrency step and best). `ratio` = the highest venue-accepted rate held at p99 ≤ 5 ms / the highest echo
 * rate held at p99 ≤ 5 ms (when a side holds at no step, its least-p99 step stands in and `heldUnder5ms` says so).
 *
 * GATEWAY_BENCH_TARGET picks what answers behind the gateway:
 *   loop (default): the gateway in this process in front of the node's kinds (support/trading-loop.ts): the risk
 *     book `bench` with limits on, order entities activated on demand by their shard region, the venue connection,
 *     the simulated exchange. The venue's and the gateway's rate limits are raised for the bench (see `settings`).
 *   platform: a node process (supervisors/node/main.ts) with the demo market; orders go to the risk book `demo`
 *     with the bench's limits set through am.admin.configure (`limits.demo`, as `scripts/admin.ts set-limits` does). Its venue
 *     connection keeps the platform's 50 orders/s, so the venue refuses the rest as rate limited.
 *   both: loop, then platform; both figures are printed, the last line's top level is the loop's.
 * GATEWAY_BENCH_CLIENT: raw (default; gRPC framed by hand over node:http2, cheap) or grpc-js (the library client).
 * GATEWAY_BENCH_STEPS ("1,4,16,64") and GATEWAY_BENCH_STEP_MS (3000) shape the run.
 *
 * The client runs in a child process so that its serialisation does not share the gateway's event loop; on a
 * 2-core machine it still shares the CPU with the gateway, nats-server and the actors, so each step also reports
 * the CPU milliseconds each process spent per 1 000 calls (from /proc), which load from elsewhere does not inflate
 * as much as wall time, net of what each burns idle (measured for 2 s before the client starts).
 */
import { type ChildProcess, fork } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { subjects } from "../../actors/contract/index.ts";
import { loadProtos, mintToken, startGateway } from "../../gateway/index.ts";
import { freePort, startTestInfra, type TestInfra } from "../../infra/local/index.ts";
import { connectNats, encodeMessage } from "../../infra/nats/index.ts";
import { type ClientSpec, type ClientStep, runClient } from "./support/gateway-client.ts";
import { setBookLimits, stageProbe, startBenchNode, stopBenchNode } from "./support/gateway-platform.ts";
import { cpuMsOf } from "./support/process-cpu.ts";
import { BOOK, benchLimits, INSTRUMENT, quoteAt, riskLimitsOf, startLoop, TICK, VENUE } from "./support/trading-loop.ts";

const STEPS = (process.env.GATEWAY_BENCH_STEPS ?? "1,4,16,64").split(",").map(Number);
const STEP_MS = Number(process.env.GATEWAY_BENCH_STEP_MS ?? 3_000);
const IDLE_MS = 2_000;
const secret = "bench-secret-of-at-least-32-bytes-long";
/** the bench book's limits are sized for this many resting orders at up to this many a second */
const LOOP_ORDERS = 1_000_000;
const LOOP_ORDERS_PER_SECOND = 100_000;
/** the gateway's per-principal rate for the bench (the node's default, 2 000/s, would refuse one client) */
const GATEWAY_RATE = { ratePerSecond: 1_000_000, burst: 1_000_000 };

interface StepResult extends ClientStep {
  /** platform only: where the time goes inside it (stageProbe) */
  stagesMs?: Record<string, number | null>;
  /** the same without the idle burn subtracted (the net figure is noisy where the idle burn varies, as the demo's does) */
  cpuMsPer1kGross: Record<string, number>;
  /** CPU ms per 1 000 accepted calls of each server process (gateway or node, nats-server) */
  cpuMsPer1k: Record<string, number>;
  loadAvg1m: number;
}

/** Runs the client in a child process against `spec`, measuring the CPU of `processes` (name → pid) per step. */
async function drive(
  spec: ClientSpec,
  processes: Record<string, number>,
  label: string,
  onStep?: (concurrency: number) => void,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  // What each process burns with no calls (the demo market keeps a node busy): subtracted from each step.
  const idle0 = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMsOf(pid)]));
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idleMsPerS = Object.fromEntries(
    Object.entries(processes).map(([k, pid]) => [k, ((cpuMsOf(pid) - idle0[k]!) * 1000) / (performance.now() - idleT0)]),
  );
  process.stderr.write(
    `[${label}] idle CPU ms/s: ${Object.entries(idleMsPerS)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(", ")}\n`,
  );
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--client", JSON.stringify(spec)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
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
    const cpu = Object.entries({ ...cpuMsPer1k, client: m.clientCpuMsPer1k })
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const errs = r.errors ? ` ${JSON.stringify(r.errorCodes)}` : "";
    process.stderr.write(
      `[${label}] concurrency ${r.concurrency}: ${r.rps} rps, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors${errs}; CPU ms/1k calls: ${cpu}; load ${r.loadAvg1m}\n`,
    );
  });
  await new Promise<void>((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`client exited with ${code}`)))),
  );
  return results;
}

/** The baseline: a bare grpc-js server whose SubmitOrder answers at once, in this process, the same client. */
async function benchEcho(): Promise<StepResult[]> {
  process.stderr.write("[echo] a bare grpc-js server answering SubmitOrder at once, in this process\n");
  const server = new grpc.Server();
  const trading = loadProtos().client("Trading").service as grpc.ServiceDefinition;
  server.addService(trading, {
    SubmitOrder: (call: grpc.ServerUnaryCall<{ clientOrderId: string }, unknown>, done: grpc.sendUnaryData<unknown>) =>
      done(null, { clientOrderId: call.request.clientOrderId, accepted: true }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  try {
    return await drive({ port, token: "none", instrument: "SIM001.SIMX", book: BOOK, price: "1.00" }, { echo: process.pid }, "echo");
  } finally {
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  }
}

/** The gateway in this process in front of the node's kinds: risk book with limits on, order entities, venue, exchange. */
async function benchLoop(): Promise<{ steps: StepResult[]; settings: Record<string, unknown> }> {
  process.stderr.write("[loop] the gateway, risk book, order shard region, venue connection and simulated exchange in this process\n");
  const loop = await startLoop({ orders: LOOP_ORDERS, ordersPerSecond: LOOP_ORDERS_PER_SECOND });
  try {
    const q = encodeMessage(quoteAt(1, 10_000 * TICK, Date.now() * 1000));
    loop.nc.publish(subjects.md("quote", { venue: VENUE, symbol: "SIM001" }), q.data, { headers: q.headers });
    const gw = await startGateway({ nc: loop.nc, port: 0, jwtSecret: secret, rateLimit: GATEWAY_RATE });
    try {
      const token = await mintToken(secret, { subject: "bench", role: "trader", ttlS: 600 });
      const steps = await drive(
        { port: gw.port, token, instrument: INSTRUMENT, book: BOOK, price: "1.00", natsUrl: loop.infra.natsUrl },
        { actors: process.pid, nats: loop.infra.pids[0]! },
        "loop",
      );
      return { steps, settings: { ...loop.settings, gatewayRate: { ...GATEWAY_RATE, platform: "2000 per s, burst 4000" } } };
    } finally {
      await gw.stop();
    }
  } finally {
    await loop.stop();
  }
}

async function benchPlatform(): Promise<StepResult[]> {
  process.stderr.write(
    "[platform] nats-server and a node process: demo market, risk book demo, order actors, venue SIMX, simulated exchange\n",
  );
  const infra: TestInfra = await startTestInfra();
  let node: ChildProcess | undefined;
  const nc = await connectNats(infra.natsUrl, "bench-gateway");
  try {
    const port = await freePort();
    node = await startBenchNode(infra, port, secret);
    // The bench's limits (the demo's orderRate and maxPosition would refuse it), applied by the node's config
    // watch like an operator's set-limits; wait until the book has them.
    await setBookLimits(infra.natsUrl, riskLimitsOf(benchLimits(LOOP_ORDERS, LOOP_ORDERS_PER_SECOND)));
    const token = await mintToken(secret, { subject: "bench", role: "trader", ttlS: 600 });
    const probe = stageProbe(nc);
    const results = await drive(
      { port, token, instrument: "SIM001.SIMX", book: "demo", price: "1.00", natsUrl: infra.natsUrl },
      { node: node.pid!, nats: infra.pids[0]! },
      "platform",
      probe.step,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // late order events
    for (const r of results) {
      r.stagesMs = probe.stages(r.concurrency);
      process.stderr.write(`[platform] concurrency ${r.concurrency} stages (median ms / count): ${JSON.stringify(r.stagesMs)}\n`);
    }
    return results;
  } finally {
    if (node) await stopBenchNode(node);
    await nc.close();
    await infra.stop();
  }
}

/** Where a step's p99 is read: call start → OrderAccepted behind the gateway, the call itself for the echo. */
const p99Of = (r: StepResult) => r.acceptP99Ms ?? r.p99Ms;

function best(results: StepResult[]): { step: StepResult; held: boolean } {
  const held = results.filter((r) => p99Of(r) <= 5 && r.errors === 0).sort((a, b) => b.rps - a.rps)[0];
  return { step: held ?? [...results].sort((a, b) => p99Of(a) - p99Of(b))[0]!, held: held !== undefined };
}

function summary(target: string, results: StepResult[], echo: StepResult[], settings: Record<string, unknown>) {
  const { step, held } = best(results);
  const base = best(echo);
  return {
    bench: "gateway",
    target,
    rps: step.rps,
    p50Ms: step.acceptP50Ms ?? null,
    p99Ms: p99Of(step),
    callP99Ms: step.p99Ms,
    concurrency: step.concurrency,
    heldUnder5ms: held,
    baseline: {
      what: "bare grpc-js unary echo, same client",
      rps: base.step.rps,
      p99Ms: base.step.p99Ms,
      concurrency: base.step.concurrency,
      heldUnder5ms: base.held,
    },
    ratio: Number((step.rps / base.step.rps).toFixed(3)),
    settings,
    loadAvg1m: step.loadAvg1m,
    steps: results.map((r) => {
      const e = echo.find((x) => x.concurrency === r.concurrency);
      return { ...r, baseline: e ? { rps: e.rps, p99Ms: e.p99Ms } : null };
    }),
  };
}

async function main(): Promise<void> {
  const target = process.env.GATEWAY_BENCH_TARGET ?? "loop";
  if (!["loop", "platform", "both"].includes(target)) throw new Error(`GATEWAY_BENCH_TARGET: ${target} is not one of loop, platform, both`);
  const echo = await benchEcho();
  const inLoop = target === "platform" ? undefined : await benchLoop();
  const loop = inLoop && summary("loop", inLoop.steps, echo, inLoop.settings);
  const platformSettings = {
    bookLimits: benchLimits(LOOP_ORDERS, LOOP_ORDERS_PER_SECOND),
    gatewayRate: { ratePerSecond: 1_000_000, burst: 1_000_000, platform: "2000 per s, burst 4000" },
    venueRate: "the platform's 50 orders/s",
  };
  const platform = target === "loop" ? undefined : summary("platform", await benchPlatform(), echo, platformSettings);
  const out = loop ? { ...loop, ...(platform ? { platform } : {}) } : platform!;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[2] === "--client") await runClient(JSON.parse(process.argv[3]!) as ClientSpec, STEPS, STEP_MS);
else await main();
