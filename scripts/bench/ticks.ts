// Over 400 lines on purpose: one measured sequence (servers, the raw ILP baseline, the rising-rate steps) read top to bottom.
/**
 * `npm run bench -- ticks`: the market data plane end to end, at rising rates.
 *
 * A throwaway nats-server and QuestDB (startTestInfra), and one node process (supervisors/node/main.ts, 2 cells,
 * AM_KINDS=scripts/bench/support/ticks-kinds.ts) hosting TICKS_BENCH_INSTRUMENTS instrument actors and the
 * recorder, as the run command deploys them. This process is the feed: the market simulator's quotes and trades
 * for every instrument, published as raw feed messages on am.feed.sim.<venue>.<symbol>, paced in 1 ms ticks at
 * each rate of TICKS_BENCH_RATES for STEP_MS. Each raw tick's tsEvent is this process's wall clock in µs at
 * publish (strictly increasing), which the instrument actor carries into the normalised message and the recorder
 * into QuestDB's `ts` column; so:
 *
 * - lost: raw quotes and trades published in a step minus the rows in QuestDB's quotes and trades tables with
 *   `ts` in that step, once the recorder has drained (it has DRAIN_MS after the step's last publish);
 * - tickToMdP99Us: p99 of (arrival of the normalised quote/trade here − its tsEvent), over every 10th
 *   instrument, which this process subscribes to: feed publish → instrument actor → normalised publish, plus
 *   one NATS hop back to this process;
 * - recorderLagP99Ms: sampled every 100 ms during the step and its drain: the age of the oldest market data
 *   message the recorder has not yet acknowledged (it acknowledges after QuestDB took the rows), 0 when none;
 * - ticksPerSec: the highest step that held: all of the offered rate published, lost = 0, and every row in
 *   QuestDB within SETTLE_MS of the step's end (a backlog that outlives the step is not a sustained rate); the
 *   JSON line gives that step's figures and every step's;
 * - cpuUsPerTick: CPU (user + system, /proc) of the node, nats-server, QuestDB and this process (the feed) over
 *   the step and its drain, divided by the ticks published;
 * - baseline: in the same run, into the same QuestDB, the raw engine: @questdb/nodejs-client writing quote rows
 *   of the same shape (binary DECIMAL columns, the same DEDUP keys) into a table of their own, BASELINE_ROWS rows in
 *   flushes of the recorder's batch size, from this process; rowsPerSec counts rows until the last is queryable,
 *   as the steps do. ratio = ticksPerSec / baseline.rowsPerSec.
 */
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { MarketSimulator } from "../../actors/feed/simulator/index.ts";
import { demoUniverse } from "../../actors/instrument/index.ts";
import { startTestInfra } from "../../infra/local/index.ts";
import { Header } from "../../infra/nats/codec.ts";
import { connectNats, decodePayload, declareResources, encodePayload, streams } from "../../infra/nats/index.ts";
import { declareTables, questdbSql, rowsOf } from "../../infra/questdb/index.ts";
import { createTableSql, tables } from "../../infra/questdb/tables.ts";
import { openIlpSender } from "../../infra/questdb/writer.ts";
import { cpuMsOf } from "./support/process-cpu.ts";
import { admin, type NodeProcess, startNodeProcess } from "../../supervisors/node/testing.ts";
import { eventually } from "../../test/testing.ts";

const INSTRUMENTS = Number(process.env.TICKS_BENCH_INSTRUMENTS ?? 500);
const RATES = (process.env.TICKS_BENCH_RATES ?? "5000,10000,25000,50000,100000").split(",").map(Number);
const STEP_MS = Number(process.env.TICKS_BENCH_STEP_MS ?? 6_000);
const DRAIN_MS = Number(process.env.TICKS_BENCH_DRAIN_MS ?? 20_000);
const SAMPLE_EVERY = 10;
const BASELINE_ROWS = Number(process.env.TICKS_BENCH_BASELINE_ROWS ?? 200_000);
const BASELINE_BATCH = 5_000;
/** a step whose rows took longer than this after its last publish to be all in QuestDB was not sustained */
const SETTLE_MS = 3_000;
const KINDS = "scripts/bench/support/ticks-kinds.ts";
const RECORDER = "am-recorder-md";

const log = (line: string) => process.stderr.write(`[ticks] ${line}\n`);
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
/** wall clock in µs with sub-millisecond resolution (Date.now() has 1 ms steps) */
const wallUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

interface Step {
  offered: number;
  ticksPerSec: number;
  published: number;
  rows: number;
  lost: number;
  tickToMdP50Us: number;
  tickToMdP99Us: number;
  recorderLagP99Ms: number;
  drainMs: number;
  held: boolean;
  cpuUsPerTick: Record<string, number>;
}

/** CPU ms of each process, keyed by name. */
const cpuOf = (pids: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMsOf(p)]));
/** CPU µs per item of each process between two readings, and their sum. */
function cpuPer(before: Record<string, number>, after: Record<string, number>, items: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(before)) {
    const us = ((after[k]! - before[k]!) * 1000) / Math.max(1, items);
    out[k] = Math.round(us * 10) / 10;
    total += us;
  }
  out.total = Math.round(total * 10) / 10;
  return out;
}

/**
 * The raw engine in the same run: quote rows of the recorder's shape written straight through the ILP client into
 * a twin of the quotes table, in flushes of BASELINE_BATCH, until all are queryable.
 */
async function rawIlp(
  questdbUrl: string,
  instruments: string[],
  pids: Record<string, number>,
): Promise<{ rowsPerSec: number; rows: number; cpuUsPerRow: Record<string, number> }> {
  const spec = tables.find((x) => x.name === "quotes")!;
  await questdbSql(questdbUrl, createTableSql({ ...spec, name: "raw_quotes" }));
  const sender = await openIlpSender(questdbUrl);
  const startUs = wallUs();
  const cpu0 = cpuOf(pids);
  const started = performance.now();
  const ids = instruments.map(parseInstrumentId);
  for (let i = 0; i < BASELINE_ROWS; i += BASELINE_BATCH) {
    for (let j = i; j < Math.min(BASELINE_ROWS, i + BASELINE_BATCH); j++) {
      const px = 100_00000000n + BigInt(j % 1000) * 1_000_000n;
      const id = ids[j % ids.length]!;
      const ts = BigInt(startUs + j);
      await sender
        .table("raw_quotes")
        .symbol("venue", id.venue)
        .symbol("symbol", id.symbol)
        .decimalColumn("bid", px, 8)
        .decimalColumn("bid_size", 5_00000000n, 8)
        .decimalColumn("ask", px + 1_000_000n, 8)
        .decimalColumn("ask_size", 7_00000000n, 8)
        .intColumn("seq", j)
        .timestampColumn("ts_init", ts, "us")
        .at(ts, "us");
    }
    await sender.flush();
  }
  await sender.close();
  await eventually(
    "the raw rows queryable",
    async () => Number(rowsOf(await questdbSql(questdbUrl, "select count() n from raw_quotes"))[0]?.n ?? 0) >= BASELINE_ROWS || undefined,
    { timeoutMs: 120_000, everyMs: 50 },
  );
  const seconds = (performance.now() - started) / 1000;
  return { rowsPerSec: Math.round(BASELINE_ROWS / seconds), rows: BASELINE_ROWS, cpuUsPerRow: cpuPer(cpu0, cpuOf(pids), BASELINE_ROWS) };
}

/** The raw feed: simulator quotes and trades for every instrument, restamped with this process's clock. */
class Feed {
  private readonly sim: MarketSimulator;
  private readonly subject = new Map<string, string>();
  private readonly hdrs = { RawQuote: typeHeaders("RawQuote"), RawTrade: typeHeaders("RawTrade") };
  private lastUs = 0;
  private tradeNo = 0;

  constructor(
    private readonly nc: NatsConnection,
    instruments: ReturnType<typeof demoUniverse>,
  ) {
    this.sim = new MarketSimulator({ seed: 7, startUs: wallUs(), instruments, eventsPerSecond: 200 });
    for (const d of instruments) this.subject.set(d.id, subjects.feed("sim", parseInstrumentId(d.id)));
  }

  /** Publishes one raw quote or trade; returns whether it was a quote. */
  publishOne(): void {
    let e = this.sim.next();
    while (e.type === "RawBookUpdate") e = this.sim.next();
    const now = wallUs();
    const ts = now > this.lastUs ? now : this.lastUs + 1;
    this.lastUs = ts;
    const { type, ...body } = e;
    body.tsEvent = ts;
    body.tsInit = ts;
    if (type === "RawTrade") (body as { tradeId: string }).tradeId = `b${++this.tradeNo}`;
    this.nc.publish(this.subject.get(e.instrument)!, encodePayload(body), { headers: this.hdrs[type] });
  }

  /** Publishes at `rate` per second for `ms`, paced in 1 ms ticks; returns how many it published. */
  async run(rate: number, ms: number): Promise<{ published: number; fromUs: number; toUs: number; seconds: number }> {
    let published = 0;
    const fromUs = this.lastUs + 1;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      const due = Math.min(Math.floor((rate * elapsed) / 1000) - published, rate / 20);
      for (let i = 0; i < due; i++) this.publishOne();
      if (due > 0) published += due;
      // the next 1 ms tick (a spin on setImmediate would take a core from the platform it measures)
      await sleep(1);
      elapsed = performance.now() - started;
    }
    await this.nc.flush();
    return { published, fromUs, toUs: this.lastUs, seconds: (performance.now() - started) / 1000 };
  }
}

function typeHeaders(type: string) {
  const h = natsHeaders();
  h.set(Header.Type, type);
  h.set(Header.Version, "1");
  return h;
}

/** Age of the oldest market data message the recorder has not acknowledged, ms (0 when it is caught up). */
async function recorderLagMs(jsm: JetStreamManager): Promise<number> {
  const c = await jsm.consumers.info(streams.marketData, RECORDER);
  if (c.num_pending + c.num_ack_pending === 0) return 0;
  const m = await jsm.streams.getMessage(streams.marketData, { seq: c.ack_floor.stream_seq + 1 });
  return m ? Math.max(0, Date.now() - new Date(m.timestamp).getTime()) : 0;
}

async function rowsBetween(questdbUrl: string, fromUs: number, toUs: number): Promise<number> {
  const q = (table: string) =>
    `select count() n from ${table} where ts between cast(${fromUs} as timestamp) and cast(${toUs} as timestamp)`;
  const [quotes, trades] = await Promise.all([questdbSql(questdbUrl, q("quotes")), questdbSql(questdbUrl, q("trades"))]);
  return Number(rowsOf(quotes)[0]?.n ?? 0) + Number(rowsOf(trades)[0]?.n ?? 0);
}

/** The instrument actors' counters, summed: what they accepted and why they rejected the rest. */
async function instrumentCounters(nc: NatsConnection, ids: string[]): Promise<{ accepted: number; rejected: Record<string, number> }> {
  const total = { accepted: 0, rejected: {} as Record<string, number> };
  for (const id of ids) {
    const r = await admin(nc, "status", { type: "AdminActorRequest", kind: "instrument", id }, 5_000);
    if (process.env.TICKS_BENCH_DEBUG && id === ids[0]) log(JSON.stringify(r));
    const c = (r.result as { context?: { counters?: { accepted: number; rejected: Record<string, number> } } } | undefined)?.context
      ?.counters;
    if (!c) continue;
    total.accepted += c.accepted;
    for (const [k, v] of Object.entries(c.rejected)) if (v > 0) total.rejected[k] = (total.rejected[k] ?? 0) + v;
  }
  return total;
}

const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

async function main(): Promise<void> {
  const infra = await startTestInfra({ questdb: true });
  t.teardown(() => infra.stop());
  const questdbUrl = infra.questdbUrl!;
  const nc = await connectNats(infra.natsUrl, "ticks-bench");
  t.teardown(() => nc.close());
  await declareResources(nc, { replicas: 1 });
  await declareTables(questdbUrl);
  log(`nats-server and QuestDB up; starting a node with ${INSTRUMENTS} instrument actors and the recorder`);

  const node: NodeProcess = startNodeProcess(
    t,
    "ticks",
    {
      AM_NATS_URL: infra.natsUrl,
      AM_QUESTDB_URL: questdbUrl,
      AM_KINDS: KINDS,
      AM_CELLS: "2",
      TICKS_BENCH_INSTRUMENTS: String(INSTRUMENTS),
    }, // TICKS_BENCH_PROFILE=<dir>: CPU profiles of the node process's threads, for where the time goes
    process.env.TICKS_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.TICKS_BENCH_PROFILE}`] : [],
  );
  await node.waitFor(/node up/, 60_000);
  const universe = demoUniverse(INSTRUMENTS);
  for (const d of universe) await admin(nc, "spawn", { type: "AdminActorRequest", kind: "instrument", id: d.id });
  await eventually(
    "every instrument actor answering",
    async () =>
      (
        await Promise.all(
          universe.map((d) =>
            admin(nc, "status", { type: "AdminActorRequest", kind: "instrument", id: d.id }, 2_000).then(
              (r) => (r.result as { context?: unknown } | undefined)?.context !== undefined,
            ),
          ),
        )
      ).every(Boolean),
    { timeoutMs: 60_000, everyMs: 25 },
  );
  log(`${INSTRUMENTS} instrument actors up`);

  // generous: a loaded shared machine answers JetStream API requests slowly
  const jsm = await jetstreamManager(nc, { timeout: 20_000 });
  await eventually("the recorder's consumer", async () => (await jsm.consumers.info(streams.marketData, RECORDER)) !== undefined, {
    timeoutMs: 30_000,
    everyMs: 25,
  });

  // Latency: this process listens to every SAMPLE_EVERY-th instrument's normalised quotes and trades.
  const listener = await connectNats(infra.natsUrl, "ticks-bench-listener");
  t.teardown(() => listener.close());
  let latencies: number[] = [];
  for (const d of universe.filter((_, i) => i % SAMPLE_EVERY === 0)) {
    const i = parseInstrumentId(d.id);
    for (const channel of ["quote", "trade"] as const) {
      listener.subscribe(subjects.md(channel, i), {
        callback: (_e, m) => {
          const now = wallUs();
          latencies.push(now - (decodePayload(m.data) as { tsEvent: number }).tsEvent);
        },
      });
    }
  }
  await listener.flush();

  const feed = new Feed(nc, universe);
  log("warming up at 5 000 ticks/s for 3 s");
  await feed.run(5_000, 3_000);
  await eventually("the recorder to catch up after warm-up", async () => (await recorderLagMs(jsm).catch(() => -1)) === 0 || undefined, {
    timeoutMs: 30_000,
    everyMs: 25,
  });

  const pids = { node: node.proc.pid!, nats: infra.pids[0]!, questdb: infra.pids[1]!, feed: process.pid };
  const steps: Step[] = [];
  for (const rate of RATES) {
    latencies = [];
    const cpu0 = cpuOf(pids);
    const lags: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lags.push(await recorderLagMs(jsm).catch(() => 0));
        await sleep(100);
      }
    })();
    const run = await feed.run(rate, STEP_MS);
    const drainStart = Date.now();
    let rows = 0;
    while (Date.now() - drainStart < DRAIN_MS) {
      rows = await rowsBetween(questdbUrl, run.fromUs, run.toUs).catch(() => rows);
      if (rows >= run.published) break;
      await sleep(250);
    }
    const drainMs = Date.now() - drainStart;
    sampling = false;
    await sampler;
    const cpuUsPerTick = cpuPer(cpu0, cpuOf(pids), run.published);
    const ticksPerSec = Math.round(run.published / run.seconds);
    const lost = run.published - rows;
    const step: Step = {
      offered: rate,
      ticksPerSec,
      published: run.published,
      rows,
      lost,
      tickToMdP50Us: Math.round(quantile(latencies, 0.5)),
      tickToMdP99Us: Math.round(quantile(latencies, 0.99)),
      recorderLagP99Ms: Math.round(quantile(lags, 0.99)),
      drainMs,
      // sustained: all of it published, all of it in QuestDB, and the recorder caught up within SETTLE_MS of the end
      held: lost === 0 && ticksPerSec >= rate * 0.97 && drainMs <= SETTLE_MS,
      cpuUsPerTick,
    };
    steps.push(step);
    const counters = await instrumentCounters(
      nc,
      universe.map((d) => d.id),
    );
    log(`instrument actors so far: accepted ${counters.accepted}, rejected ${JSON.stringify(counters.rejected)}`);
    const trouble = node.output.splice(0).filter((l) => /"level":"(warn|error)"| (WARN|ERROR) /.test(l));
    if (trouble.length > 0) {
      const byMsg = new Map<string, number>();
      for (const l of trouble) {
        const msg = /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 80);
        byMsg.set(msg, (byMsg.get(msg) ?? 0) + 1);
      }
      log(
        `the node logged ${trouble.length} warnings/errors in this step: ${JSON.stringify(Object.fromEntries(byMsg))}; the first: ${trouble[0]}`,
      );
    }
    log(
      `offered ${rate}/s: published ${ticksPerSec}/s (${run.published}), in QuestDB ${rows} (lost ${lost}) after ${drainMs} ms; ` +
        `tick→md p50 ${step.tickToMdP50Us} µs p99 ${step.tickToMdP99Us} µs (${latencies.length} samples); recorder lag p99 ${step.recorderLagP99Ms} ms; ` +
        `CPU per tick ${JSON.stringify(cpuUsPerTick)} µs; load ${loadavg()[0]!.toFixed(1)}${step.held ? "" : " — did not hold"}`,
    );
    if (!step.held) break;
    await eventually("the recorder to catch up between steps", async () => (await recorderLagMs(jsm).catch(() => -1)) === 0 || undefined, {
      timeoutMs: 30_000,
      everyMs: 25,
    });
  }

  // the node idles now: the raw engine gets the same server to itself
  log(`raw ILP baseline: ${BASELINE_ROWS} quote rows into the same QuestDB`);
  const baseline = await rawIlp(
    questdbUrl,
    universe.map((d) => d.id),
    pids,
  );
  log(`raw ILP: ${baseline.rowsPerSec} rows/s; CPU per row ${JSON.stringify(baseline.cpuUsPerRow)} µs`);
  const best = [...steps].reverse().find((s) => s.held) ?? steps[0]!;
  const ticksPerSec = best.held ? best.ticksPerSec : 0;
  const result = {
    bench: "ticks",
    ticksPerSec,
    ratio: Math.round((ticksPerSec / baseline.rowsPerSec) * 100) / 100,
    baseline,
    instruments: INSTRUMENTS,
    lost: best.lost,
    tickToMdP99Us: best.tickToMdP99Us,
    recorderLagP99Ms: best.recorderLagP99Ms,
    tickToMdP50Us: best.tickToMdP50Us,
    cpuUsPerTick: best.cpuUsPerTick,
    stepMs: STEP_MS,
    loadAvg1m: Math.round(loadavg()[0]! * 10) / 10,
    steps: steps.map((s) => ({
      offered: s.offered,
      ticksPerSec: s.ticksPerSec,
      lost: s.lost,
      tickToMdP99Us: s.tickToMdP99Us,
      recorderLagP99Ms: s.recorderLagP99Ms,
      held: s.held,
      cpuUsPerTick: s.cpuUsPerTick,
    })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (process.env.TICKS_BENCH_PROFILE) {
    // a profile is written when the process exits by itself
    node.proc.kill("SIGTERM");
    await Promise.race([node.exited, sleep(20_000)]);
  }
}

try {
  await main();
} finally {
  for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => {});
}
process.exit(0);
