/**
 * `npm run bench -- containment`: does one failing actor (or its cell, or its node) hurt the others?
 *
 * RATE defaults to 500/s (CONTAINMENT_RATE): on this shared 2-core machine 2 000 journaled increments per second
 * saturate it already in the baseline (p99 near 1 s), which makes every ratio meaningless.
 *
 * Setup: a throwaway nats-server (startTestInfra) and two node processes (supervisors/node/main.ts, 2 cells each,
 * the default 1 000 ms hang budget, AM_KINDS=bench-kinds.ts). ACTORS event-sourced counters (`bench-counter-es`:
 * an Increment is acknowledged only after its Incremented event is in the JetStream journal) are spread over both
 * nodes by placement, plus SNAP_ACTORS snapshot-mode counters (`bench-counter-snap`, KV snapshot at most every
 * 50 ms) that take the same load: they show what snapshot mode does with acknowledged increments when a cell or a
 * process dies. This process is the client, on its own NATS connection: a steady RATE increments per second,
 * round-robin over all actors, each a request (Increment by 1) with a REQUEST_TIMEOUT_MS timeout, not awaited by
 * the next. An increment counts as acknowledged only when its reply says ok.
 *
 * Cases, in turn, each on a fresh culprit (an event-sourced counter): `throw` (Explode every 50 ms: the handler
 * throws, the actor restarts until its intensity is spent and it is quarantined), `poison` (every 20 ms one of:
 * an Increment failing its schema, a payload that is not msgpack, an unknown type, no type header), `hang` (one
 * Hang: an infinite loop; the watchdog ends the cell after the hang budget, the node restarts the cell and respawns
 * its actors from their journals), `kill` (SIGKILL of the node process hosting the culprit; the other node takes
 * over its actors when their leases expire).
 *
 * Per case: a BASELINE_MS window of load only, then a FAILURE_MS window with the failure injected, then
 * RECOVERY_MS of load; then the load pauses, every request in flight ends, and each healthy actor (not a culprit)
 * is asked its count (retried until it answers).
 * - p99Ratio: p99 latency of the healthy actors' requests in the failure window (injection → end of recovery)
 *   / their p99 in the baseline window. A request that did not get an ok reply (timeout, no responders, error)
 *   counts as REQUEST_TIMEOUT_MS: a failed increment is as bad as a timed-out one.
 * - p99RatioOutside (hang, kill): the same, only for actors outside the failed cell / node; p99RatioInside for
 *   the actors that shared the culprit's cell / node (collateral of ending a thread or a process).
 * - unacked / baselineUnacked: healthy actors' requests in the failure / baseline window that got no ok reply
 *   (the log line splits them by reason and node/cell); requests: healthy requests in the failure window.
 * - lost: Σ over healthy event-sourced actors of max(0, acknowledged - final count); snapshotLost: the same for
 *   the snapshot-mode counters. extra (info): Σ max(0, count - acknowledged), increments applied whose reply
 *   was lost or timed out (at-least-once from the client's side, not a loss).
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, subjects } from "../../actors/contract/index.ts";
import { startTestInfra } from "../../infra/local/index.ts";
import { connectNats, declareResources } from "../../infra/nats/index.ts";
import { decodePayload, encodeMessage, encodePayload } from "../../infra/nats/codec.ts";
import { admin, command, type NodeProcess, startNodeProcess } from "../../supervisors/node/testing.ts";
import { eventually } from "../../test/testing.ts";

const ACTORS = 200;
const SNAP_ACTORS = 40;
/** total increments per second over all actors (CONTAINMENT_RATE) */
const RATE = Number(process.env.CONTAINMENT_RATE ?? 500);
const REQUEST_TIMEOUT_MS = 2_000;
const BASELINE_MS = 3_000;
const FAILURE_MS = 4_000;
const RECOVERY_MS = 1_000;
const ES = "bench-counter-es";
const SNAP = "bench-counter-snap";
const KINDS = "supervisors/runtime/testing/bench-kinds.ts";

const log = (line: string) => process.stderr.write(`[containment] ${line}\n`);
const p99 = (xs: number[]) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
const procs: NodeProcess[] = [];

interface Actor {
  kind: string;
  id: string;
  acked: number;
  node?: string;
  cell?: number;
}
interface Sample {
  actor: Actor;
  at: number;
  ms: number;
  ok: boolean;
  /** why it was not acknowledged: timeout, no-responders, or the reply's error code */
  why?: string;
}

class Load {
  readonly samples: Sample[] = [];
  private inflight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private next = 0;
  private readonly inc = encodeMessage({ type: "Increment", by: 1 });

  constructor(
    private readonly nc: NatsConnection,
    private readonly actors: Actor[],
  ) {}

  start(): void {
    const perTick = RATE / 100;
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        const a = this.actors[this.next]!;
        this.next = (this.next + 1) % this.actors.length;
        const p = this.send(a);
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      }
    }, 10);
  }

  private async send(a: Actor): Promise<void> {
    const s = performance.now();
    let ok = false;
    let why: string | undefined;
    try {
      const r = await this.nc.request(subjects.cmd(a.kind, a.id), this.inc.data, {
        headers: this.inc.headers,
        timeout: REQUEST_TIMEOUT_MS,
      });
      const body = decodePayloadSafe(r.data) as { ok?: boolean; error?: { code?: string } } | undefined;
      ok = body?.ok === true;
      if (!ok) why = body?.error?.code ?? "bad-reply";
    } catch (e) {
      why = /no responders/i.test(errorMessage(e)) ? "no-responders" : /timeout/i.test(errorMessage(e)) ? "timeout" : errorMessage(e);
    }
    if (ok) a.acked++;
    this.samples.push({ actor: a, at: s, ms: ok ? performance.now() - s : REQUEST_TIMEOUT_MS, ok, ...(why ? { why } : {}) });
  }

  async pause(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inflight]);
  }
}

function decodePayloadSafe(data: Uint8Array): unknown {
  try {
    return decodePayload(data);
  } catch {
    return undefined;
  }
}

async function place(nc: NatsConnection, a: Actor): Promise<void> {
  const r = await eventually(
    `${a.kind}/${a.id} placed`,
    async () => {
      const s = (await admin(nc, "status", { type: "AdminActorRequest", kind: a.kind, id: a.id }, 1_000)).result as
        | { node?: string; cell?: number; status?: string }
        | undefined;
      return s?.node && s.status === "running" ? s : undefined;
    },
    { timeoutMs: 30_000, everyMs: 25 },
  );
  a.node = r.node;
  a.cell = r.cell;
}

async function finalCount(nc: NatsConnection, a: Actor): Promise<number> {
  return eventually(
    `${a.kind}/${a.id} count`,
    async () => ((await command(nc, a.kind, a.id, { type: "GetCount" }, 1_000)).result as { count: number }).count,
    { timeoutMs: 60_000, everyMs: 25 },
  );
}

interface CaseResult {
  p99Ratio: number;
  lost: number;
  [k: string]: unknown;
}

async function main(): Promise<Record<string, unknown>> {
  const infra = await startTestInfra();
  t.teardown(() => infra.stop());
  const nc = await connectNats(infra.natsUrl, "bench-client");
  t.teardown(() => nc.close());
  await declareResources(nc, { replicas: 1 });
  for (const name of ["ct-a", "ct-b"])
    procs.push(startNodeProcess(t, name, { AM_NATS_URL: infra.natsUrl, AM_KINDS: KINDS, AM_CELLS: "2", AM_LOG_LEVEL: "warn" }));
  // At warn level the node prints no "node up": wait for both in the live-node list instead.
  await eventually(
    "both nodes registered",
    async () => ((await admin(nc, "nodes", { type: "AdminTreeRequest" }, 1_000)).result as { live: string[] }).live.length === 2,
    { timeoutMs: 60_000, everyMs: 25 },
  );
  const actors: Actor[] = [
    ...Array.from({ length: ACTORS }, (_, i) => ({ kind: ES, id: `a${i}`, acked: 0 })),
    ...Array.from({ length: SNAP_ACTORS }, (_, i) => ({ kind: SNAP, id: `s${i}`, acked: 0 })),
  ];
  for (const a of actors) await admin(nc, "spawn", { type: "AdminActorRequest", kind: a.kind, id: a.id });
  await Promise.all(
    actors.map((a) =>
      eventually(`${a.kind}/${a.id} up`, async () => (await command(nc, a.kind, a.id, { type: "GetCount" }, 1_000)).ok, {
        timeoutMs: 60_000,
        everyMs: 25,
      }),
    ),
  );
  for (const a of actors) await place(nc, a);
  log(
    `${ACTORS} event-sourced + ${SNAP_ACTORS} snapshot counters up: ${actors.filter((a) => a.node === "ct-a").length} on ct-a, ${actors.filter((a) => a.node === "ct-b").length} on ct-b`,
  );

  const load = new Load(nc, actors);
  const culprits = new Set<Actor>();
  const es = actors.filter((a) => a.kind === ES);
  const pick = (pred: (a: Actor) => boolean = () => true) => {
    const a = es.find((x) => !culprits.has(x) && pred(x))!;
    culprits.add(a);
    return a;
  };
  /** acked - count deficits before this case, so each case reports only what it lost */
  const deficit = new Map<Actor, number>();
  for (const a of actors) deficit.set(a, 0);

  async function run(name: string, culprit: Actor, inject: () => Promise<() => void>, domain?: (a: Actor) => boolean): Promise<CaseResult> {
    load.start();
    const b0 = performance.now();
    await sleep(BASELINE_MS);
    const f0 = performance.now();
    log(`${name}: culprit ${culprit.kind}/${culprit.id} on ${culprit.node} cell ${culprit.cell}`);
    const stopInjecting = await inject();
    await sleep(FAILURE_MS);
    stopInjecting();
    await sleep(RECOVERY_MS);
    const f1 = performance.now();
    await load.pause();
    const healthy = (a: Actor) => !culprits.has(a);
    const window = (from: number, to: number, pred: (a: Actor) => boolean) =>
      load.samples.filter((s) => s.at >= from && s.at < to && healthy(s.actor) && pred(s.actor));
    const ratio = (pred: (a: Actor) => boolean) =>
      round2(p99(window(f0, f1, pred).map((s) => s.ms)) / p99(window(b0, f0, pred).map((s) => s.ms)));
    const all = () => true;
    const base = window(b0, f0, all);
    const during = window(f0, f1, all);
    const r: CaseResult = {
      p99Ratio: ratio(all),
      lost: 0,
      baselineP99Ms: round2(p99(base.map((s) => s.ms))),
      failureP99Ms: round2(p99(during.map((s) => s.ms))),
      unacked: during.filter((s) => !s.ok).length,
      baselineUnacked: base.filter((s) => !s.ok).length,
      requests: during.length,
    };
    if (domain) {
      r.p99RatioOutside = ratio((a) => !domain(a));
      r.p99RatioInside = ratio(domain);
      r.inside = actors.filter((a) => healthy(a) && domain(a)).length;
    }
    const why = (xs: Sample[]) => {
      const m = new Map<string, number>();
      for (const x of xs)
        if (!x.ok) m.set(`${x.why}@${x.actor.node}/${x.actor.cell}`, (m.get(`${x.why}@${x.actor.node}/${x.actor.cell}`) ?? 0) + 1);
      return JSON.stringify(Object.fromEntries(m));
    };
    log(`${name}: not acknowledged (reason@node/cell): baseline ${why(base)}, failure ${why(during)}`);
    let lost = 0;
    let snapLost = 0;
    let extra = 0;
    const counts = await Promise.all(actors.filter(healthy).map(async (a) => [a, await finalCount(nc, a)] as const));
    for (const [a, count] of counts) {
      const d = Math.max(0, a.acked - count);
      const fresh = Math.max(0, d - deficit.get(a)!);
      deficit.set(a, d);
      if (a.kind === ES) lost += fresh;
      else snapLost += fresh;
      extra += Math.max(0, count - a.acked);
    }
    r.lost = lost;
    r.snapshotLost = snapLost;
    r.extra = extra;
    log(`${name}: ${JSON.stringify(r)}`);
    return r;
  }

  const publish = (a: Actor, type: string, body: Uint8Array | Record<string, unknown>) => {
    if (body instanceof Uint8Array) {
      const h = encodeMessage({ type }).headers;
      nc.publish(subjects.cmd(a.kind, a.id), body, { headers: h });
    } else {
      const { data, headers } = encodeMessage({ type, ...body });
      nc.publish(subjects.cmd(a.kind, a.id), data, { headers });
    }
  };
  const every = (ms: number, fn: () => void) => {
    fn();
    const h = setInterval(fn, ms);
    return () => clearInterval(h);
  };

  const out: Record<string, unknown> = { bench: "containment" };
  const c1 = pick();
  out.throw = await run("throw", c1, async () => every(50, () => publish(c1, "Explode", { where: "action" })));
  const c2 = pick();
  let k = 0;
  out.poison = await run("poison", c2, async () =>
    every(20, () => {
      const which = k++ % 4;
      if (which === 0) publish(c2, "Increment", { by: -5 });
      else if (which === 1) publish(c2, "Increment", new Uint8Array([0xc1, 0xff, 0x00]));
      else if (which === 2) publish(c2, "NoSuchMessage", { x: 1 });
      else nc.publish(subjects.cmd(c2.kind, c2.id), encodePayload({ by: 1 })); // no am-type header
    }),
  );
  const c3 = pick((a) => a.node === "ct-a");
  out.hang = await run(
    "hang",
    c3,
    async () => {
      publish(c3, "Hang", {});
      return () => {};
    },
    (a) => a.node === c3.node && a.cell === c3.cell,
  );
  for (const a of actors) if (!culprits.has(a)) await place(nc, a);
  const c4 = pick((a) => a.node === "ct-b");
  const victim = procs.find((p) => p.name === c4.node)!;
  out.kill = await run(
    "kill",
    c4,
    async () => {
      victim.proc.kill("SIGKILL");
      return () => {};
    },
    (a) => a.node === c4.node,
  );
  out.loadAvg1m = round2(loadavg()[0]!);
  out.cpuMsNodes = procs.map((p) => (p.proc.exitCode === null && p.proc.signalCode === null ? cpuMs(p.proc.pid!) : null));
  return out;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

try {
  const out = await main();
  for (const fn of teardowns.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
} catch (e) {
  log(`failed: ${e instanceof Error ? e.stack : e}`);
  for (const p of procs) log(`${p.name} last lines:\n${p.output.slice(-8).join("\n")}`);
  for (const fn of teardowns.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  process.exit(1);
}
