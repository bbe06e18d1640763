/**
 * `npm run bench -- kernel`: the actor runtime's kernel figures, each against a throwaway nats-server
 * (startTestInfra) and real node processes (supervisors/node/main.ts, AM_KINDS=bench-kinds.ts), this process
 * being the client on its own NATS connection.
 *
 * - msgsPerSec: one node process with 2 cells hosts 100 `quote-counter` actors; actor <id> consumes
 *   am.md.quote.BENCH.<id> (subjects.md), declares batchAs (a run of queued quotes is one transition) and
 *   validate:false. This process (its own NATS connection) publishes pre-encoded Quote messages round-robin over
 *   the 100 subjects, paced at RATE per second (KERNEL_BENCH_RATE, default 150 000) in 1 ms ticks: a warm-up of
 *   WARMUP_MS, then a window of WINDOW_MS. Before and after the window the actors are asked (GetCount) until their
 *   counts stop moving; each actor also reports when it last processed a quote. msgsPerSec = quotes processed
 *   in the window / (last quote processed - window start): what the actors handled, not what was published (a
 *   quote conflated or dropped does not count; the log line gives the share processed).
 * - msgsPerCpuSec: the same quotes / the node process's CPU time over the same span (/proc, user + system, all
 *   threads): the throughput one fully available core would give, a steadier figure on a shared machine.
 *   offeredPerSec and loadAvg1m say what was asked and how busy the machine was.
 * - rrP50Us / rrP99Us: sequential `command(GetCount)` round trips to one `bench-counter` actor (persistence none)
 *   on the same node, RR_SAMPLES after RR_WARMUP, timed in this process (encode, NATS, cell, decode).
 * - restartP99Ms: RESTART_SAMPLES times: publish Explode to one `bench-counter` (the action throws, the
 *   incarnation ends, its supervisor restarts it with backoffMinMs 0), then request GetCount at once; the figure
 *   is the p99 of (GetCount reply - Explode publish), i.e. crash + restart + one queued request served.
 * - failoverMs: a fresh nats-server and two node processes (2 cells each) running FAILOVER_ACTORS event-sourced
 *   counters spread by placement; after some acknowledged increments, the node owning most of them is SIGKILLed;
 *   every actor it owned is then polled with GetCount (200 ms timeout, in parallel) until it answers from the
 *   survivor with all its acknowledged increments; failoverMs = kill → last such answer.
 * - baseline: the raw engine in the same run, on the same nats-server: nats.js publish→subscribe of the same
 *   encoded quotes over the same 100 subjects between two connections of this process, as fast as the subscriber
 *   takes them (msgsPerSec), and sequential nats.js request-reply of the same GetCount payload to a plain
 *   subscriber answering with a pre-encoded Reply in a process of its own, as the actor is in the node's
 *   (support/raw-responder.ts), one after each of ours, so that both see the same load (rrP50Us, rrP99Us).
 *   ratio = msgsPerSec / baseline.msgsPerSec;
 *   rrRatio = rrP99Us / baseline.rrP99Us.
 * - KERNEL_BENCH_PROFILE=<dir>: CPU profiles of the first node process's threads (main, cells, recorder), written
 *   when it is stopped after the request/reply and restart figures.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../actors/contract/index.ts";
import { startTestInfra, type TestInfra } from "../../infra/local/index.ts";
import { connectNats, declareResources } from "../../infra/nats/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { benchVenue } from "../../supervisors/runtime/testing/quote-counter-kind.ts";
import { admin, command, type NodeProcess, startNodeProcess } from "../../supervisors/node/testing.ts";
import { eventually } from "../../test/testing.ts";
import { startRawResponder } from "./support/raw-responder.ts";

const ACTORS = 100;
const WARMUP_MS = 1_000;
const WINDOW_MS = 4_000;
/** offered load, quotes per second (KERNEL_BENCH_RATE) */
const RATE = Number(process.env.KERNEL_BENCH_RATE ?? 150_000);
const RR_WARMUP = 500;
/** the raw request-reply's subject: under am.cmd, where the node user the bench connects as may go */
const RAW_RR = subjects.cmd("bench-baseline", "rr");
const RR_SAMPLES = 3_000;
const RESTART_SAMPLES = 100;
const FAILOVER_ACTORS = 24;
const KINDS = "supervisors/runtime/testing/bench-kinds.ts";

/** user + system CPU of a process, in ms (Linux /proc, 100 ticks per second) */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8")
    .slice(readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2)
    .split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
const log = (line: string) => process.stderr.write(`[kernel] ${line}\n`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const teardowns: (() => unknown)[] = [];
const allProcs: NodeProcess[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

async function cluster(nodes: string[]): Promise<{ infra: TestInfra; nc: NatsConnection; procs: NodeProcess[] }> {
  const infra = await startTestInfra();
  t.teardown(() => infra.stop());
  const nc = await connectNats(infra.natsUrl, "bench-client");
  t.teardown(() => nc.close());
  await declareResources(nc, { replicas: 1 });
  const procs = nodes.map((n) =>
    startNodeProcess(
      t,
      n,
      {
        AM_NATS_URL: infra.natsUrl,
        AM_KINDS: KINDS,
        AM_CELLS: "2",
        ...(process.env.KERNEL_HANG_MS ? { AM_HANG_BUDGET_MS: process.env.KERNEL_HANG_MS } : {}),
      },
      process.env.KERNEL_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.KERNEL_BENCH_PROFILE}`] : [],
    ),
  );
  allProcs.push(...procs);
  // generous: on a loaded shared machine a node takes well over the default 30 s to come up
  await Promise.all(procs.map((p) => p.waitFor(/node up/, 120_000)));
  await eventually(
    "nodes registered",
    async () => ((await admin(nc, "nodes", { type: "AdminTreeRequest" })).result as { live: string[] }).live.length === nodes.length,
    { timeoutMs: 30_000, everyMs: 25 },
  );
  return { infra, nc, procs };
}

const answers = (nc: NatsConnection, kind: string, id: string, timeout = 1_000) =>
  eventually(
    `${kind}/${id} answering`,
    async () => (await command(nc, kind, id, { type: "GetCount" }, timeout)).result as { count: number } | undefined,
    { timeoutMs: 30_000, everyMs: 25 },
  );

interface Baseline {
  msgsPerSec: number;
  rrP50Us: number;
  rrP99Us: number;
}

/** Raw nats.js on the same server with the same payloads: publish→subscribe throughput. */
async function rawNats(natsUrl: string, encoded: { subject: string; data: Uint8Array; opts: { headers: MsgHdrs } }[]): Promise<number> {
  const pub = await connectNats(natsUrl, "raw-publisher");
  const sub = await connectNats(natsUrl, "raw-subscriber");
  let received = 0;
  let lastAt = 0;
  for (const e of encoded) {
    sub.subscribe(e.subject, {
      callback: () => {
        received++;
        lastAt = performance.now();
      },
    });
  }
  await sub.flush();
  const total = RATE * (WINDOW_MS / 1000);
  const started = performance.now();
  // in slices, each flushed: the subscriber's pace bounds the publisher's, as a slow consumer never is cut off
  for (let sent = 0; sent < total; ) {
    for (let i = 0; i < 1_000; i++, sent++) {
      const e = encoded[sent % encoded.length]!;
      pub.publish(e.subject, e.data, e.opts);
    }
    if (sent % 10_000 === 0) await pub.flush();
  }
  await pub.flush();
  await eventually("the raw subscriber to take every message", async () => received >= total || undefined, {
    timeoutMs: 60_000,
    everyMs: 10,
  });
  const msgsPerSec = Math.round(received / ((lastAt - started) / 1000));

  await pub.close();
  await sub.close();
  return msgsPerSec;
}

async function throughputAndLatency(): Promise<{
  msgsPerSec: number;
  cpuUsPerMsg: number;
  rrP50Us: number;
  rrP99Us: number;
  restartP99Ms: number;
  baseline: Baseline;
}> {
  const { infra, nc, procs } = await cluster(["kernel-a"]);
  const node = procs[0]!;
  // Publishers on their own connection: the client's request traffic does not queue behind the blast.
  const pub = await connectNats(infra.natsUrl, "bench-publisher");
  t.teardown(() => pub.close());
  const ids = Array.from({ length: ACTORS }, (_, i) => `Q${i}`);
  for (const id of ids) await admin(nc, "spawn", { type: "AdminActorRequest", kind: "quote-counter", id });
  await Promise.all(ids.map((id) => answers(nc, "quote-counter", id)));
  log(`${ACTORS} quote-counter actors up`);

  const now = Date.now() * 1000;
  const encoded = ids.map((id) => {
    const subject = subjects.md("quote", { venue: benchVenue, symbol: id });
    const { data, headers } = encodeMessage({
      type: "Quote",
      instrument: `${id}.${benchVenue}`,
      bid: 100_00000000,
      bidSize: 5_00000000,
      ask: 100_01000000,
      askSize: 7_00000000,
      seq: 1,
      tsEvent: now,
      tsInit: now,
    });
    return { subject, data, opts: { headers } };
  });
  // Paced, not blasted: past what the cells absorb, nats-server cuts them off as slow consumers (and market data
  // conflates), so a blast measures overload, not throughput. RATE is the offered load; the figure is what got processed.
  const offer = async (ms: number): Promise<number> => {
    let published = 0;
    let k = 0;
    const started = performance.now();
    for (let elapsed = 0; elapsed < ms; elapsed = performance.now() - started) {
      const due = Math.min(Math.floor((RATE * elapsed) / 1000) - published, RATE / 50);
      for (let i = 0; i < due; i++) {
        const e = encoded[k]!;
        pub.publish(e.subject, e.data, e.opts);
        k = k + 1 === ACTORS ? 0 : k + 1;
      }
      if (due > 0) published += due;
      else if (due < -RATE / 10) published = Math.floor((RATE * elapsed) / 1000); // fell far behind: no catch-up burst
      await sleep(1);
    }
    await pub.flush();
    return published;
  };
  type Count = { count: number; batches: number; lastUs: number };
  const counts = async (): Promise<Count[]> =>
    (await Promise.all(ids.map((id) => command(nc, "quote-counter", id, { type: "GetCount" }, 10_000)))).map((x) => x.result as Count);
  /** counts once they stop moving: every queued quote processed (or dropped) */
  const settled = async (): Promise<Count[]> => {
    let prev = await counts();
    for (let i = 0; i < 100; i++) {
      await sleep(300);
      const next = await counts();
      if (next.every((c, j) => c.count === prev[j]!.count)) return next;
      prev = next;
    }
    return prev;
  };
  await offer(WARMUP_MS);
  const c0 = await settled();
  const cpu0 = cpuMs(node.proc.pid!);
  const t0 = Date.now();
  const published = await offer(WINDOW_MS);
  const c1 = await settled();
  const cpu1 = cpuMs(node.proc.pid!);
  const processed = c1.reduce((s, c, i) => s + c.count - c0[i]!.count, 0);
  const batches = c1.reduce((s, c, i) => s + c.batches - c0[i]!.batches, 0);
  const lastMs = Math.max(...c1.map((c) => c.lastUs)) / 1000;
  const msgsPerSec = Math.round(processed / ((lastMs - t0) / 1000));
  const cpuUsPerMsg = ((cpu1 - cpu0) * 1000) / processed;
  log(
    `msgs: offered ${published} at ${RATE}/s for ${WINDOW_MS} ms; processed ${processed} (${((100 * processed) / published).toFixed(1)}%) by ${Math.round(lastMs - t0)} ms = ${msgsPerSec}/s; ${(processed / batches).toFixed(1)} quotes per transition`,
  );
  log(
    `msgs: node process CPU ${(cpu1 - cpu0).toFixed(0)} ms = ${cpuUsPerMsg.toFixed(2)} µs per message (${Math.round(1e6 / cpuUsPerMsg)} msgs per CPU-second, both cells and the node's main thread); load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );

  await admin(nc, "spawn", { type: "AdminActorRequest", kind: "bench-counter", id: "rr" });
  await answers(nc, "bench-counter", "rr");
  // the raw request-reply, one after each of ours so that both see the same load on this shared machine (measured
  // seconds later, as it was, it saw another): a plain subscriber in a process of its own, as the actor is
  const responder = await startRawResponder(infra.natsUrl, RAW_RR);
  const requester = await connectNats(infra.natsUrl, "raw-requester");
  const ask = encodeMessage({ type: "GetCount" });
  const rr: number[] = [];
  const rawRr: number[] = [];
  for (let i = 0; i < RR_WARMUP + RR_SAMPLES; i++) {
    let s = performance.now();
    const r = await command(nc, "bench-counter", "rr", { type: "GetCount" });
    if (!r.ok) throw new Error(`GetCount failed: ${r.error?.message}`);
    if (i >= RR_WARMUP) rr.push((performance.now() - s) * 1000);
    s = performance.now();
    await requester.request(RAW_RR, ask.data, { headers: ask.headers, timeout: 5_000 });
    if (i >= RR_WARMUP) rawRr.push((performance.now() - s) * 1000);
  }
  await requester.close();
  await responder.stop();
  const rrP50Us = Math.round(quantile(rr, 0.5));
  const rrP99Us = Math.round(quantile(rr, 0.99));
  const raw = { rrP50Us: Math.round(quantile(rawRr, 0.5)), rrP99Us: Math.round(quantile(rawRr, 0.99)) };
  log(
    `request/reply: p50 ${rrP50Us} µs, p99 ${rrP99Us} µs over ${RR_SAMPLES}; raw, interleaved: p50 ${raw.rrP50Us} µs, p99 ${raw.rrP99Us} µs`,
  );

  await admin(nc, "spawn", { type: "AdminActorRequest", kind: "bench-counter", id: "boom" });
  await answers(nc, "bench-counter", "boom");
  const explode = encodeMessage({ type: "Explode", where: "action" });
  const boom = subjects.cmd("bench-counter", "boom");
  const restarts: number[] = [];
  for (let i = 0; i < RESTART_SAMPLES; i++) {
    const s = performance.now();
    nc.publish(boom, explode.data, { headers: explode.headers });
    const r = await command(nc, "bench-counter", "boom", { type: "GetCount" }, 5_000);
    if (!r.ok) throw new Error(`GetCount after Explode failed: ${r.error?.message}`);
    restarts.push(performance.now() - s);
    await sleep(5);
  }
  const restartP99Ms = Math.round(quantile(restarts, 0.99) * 100) / 100;
  log(`crash → next reply: p50 ${quantile(restarts, 0.5).toFixed(2)} ms, p99 ${restartP99Ms} ms over ${RESTART_SAMPLES}`);
  const baseline = { msgsPerSec: await rawNats(infra.natsUrl, encoded), ...raw };
  log(`raw nats.js: ${baseline.msgsPerSec} msgs/s publish→subscribe`);
  if (process.env.KERNEL_BENCH_PROFILE) {
    // a profile is written when the process exits by itself
    node.proc.kill("SIGTERM");
    await Promise.race([node.exited, sleep(20_000)]);
  }
  return { msgsPerSec, cpuUsPerMsg, rrP50Us, rrP99Us, restartP99Ms, baseline };
}

async function failover(): Promise<number> {
  const { nc, procs } = await cluster(["fo-a", "fo-b"]);
  const K = "bench-counter-es";
  const ids = Array.from({ length: FAILOVER_ACTORS }, (_, i) => `acct-${i}`);
  for (const id of ids) await admin(nc, "spawn", { type: "AdminActorRequest", kind: K, id });
  const acked = new Map<string, number>();
  for (const id of ids) {
    await eventually(`${id} up`, async () => (await command(nc, K, id, { type: "Increment", by: 1 }, 1_000)).ok, {
      timeoutMs: 30_000,
      everyMs: 25,
    });
    acked.set(id, 1);
    for (let i = 0; i < 3; i++) if ((await command(nc, K, id, { type: "Increment", by: 1 })).ok) acked.set(id, acked.get(id)! + 1);
  }
  const owner = new Map<string, string>();
  for (const id of ids)
    owner.set(id, ((await admin(nc, "status", { type: "AdminActorRequest", kind: K, id })).result as { node: string }).node);
  const victim = procs.reduce((a, b) =>
    [...owner.values()].filter((n) => n === a.name).length >= [...owner.values()].filter((n) => n === b.name).length ? a : b,
  );
  const moved = ids.filter((id) => owner.get(id) === victim.name);
  log(`failover: ${moved.length} of ${ids.length} event-sourced counters on ${victim.name}; SIGKILL`);
  await sleep(500); // a steady state: renewals in flight as they would be
  victim.proc.kill("SIGKILL");
  const killedAt = performance.now();
  const back = await Promise.all(
    moved.map(async (id) => {
      const count = await eventually(
        `${id} on the survivor`,
        async () => ((await command(nc, K, id, { type: "GetCount" }, 200)).result as { count: number }).count,
        { timeoutMs: 30_000, everyMs: 25 },
      );
      if (count !== acked.get(id)) throw new Error(`${id} came back with ${count}, acknowledged ${acked.get(id)}`);
      return performance.now() - killedAt;
    }),
  );
  const ms = Math.round(Math.max(...back));
  log(
    `failover: first actor back after ${Math.round(Math.min(...back))} ms, all ${moved.length} after ${ms} ms, no acknowledged increment lost`,
  );
  return ms;
}

try {
  const k = await throughputAndLatency();
  for (const fn of teardowns.splice(0).reverse()) await fn();
  const failoverMs = await failover();
  for (const fn of teardowns.splice(0).reverse()) await fn();
  process.stdout.write(
    `${JSON.stringify({ bench: "kernel", msgsPerSec: k.msgsPerSec, ratio: Math.round((k.msgsPerSec / k.baseline.msgsPerSec) * 100) / 100, rrP50Us: k.rrP50Us, rrP99Us: k.rrP99Us, rrRatio: Math.round((k.rrP99Us / k.baseline.rrP99Us) * 100) / 100, baseline: k.baseline, restartP99Ms: k.restartP99Ms, failoverMs, msgsPerCpuSec: Math.round(1e6 / k.cpuUsPerMsg), offeredPerSec: RATE, loadAvg1m: Math.round(loadavg()[0]! * 10) / 10 })}\n`,
  );
  process.exit(0);
} catch (e) {
  log(`failed: ${e instanceof Error ? e.stack : e}`);
  for (const p of allProcs)
    log(
      `${p.name} last lines:\n${p.output
        .filter((l) => !l.includes('"level":"info"'))
        .slice(-8)
        .join("\n")}`,
    );
  for (const fn of teardowns.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  process.exit(1);
}
