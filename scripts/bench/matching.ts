/**
 * Matching engine throughput and per-op latency: `npm run bench -- matching [ops]`.
 *
 * A seeded flow (70 % limit adds around a drifting mid, 20 % cancels of orders resting at that moment, 10 % marketable
 * orders: half MARKET, half IOC limits through the touch) is generated before timing. One engine takes a warm-up
 * of 200 000 ops and then the measured ops (default 1 000 000). Pass 1 times batches of 1 000 ops for ops/s;
 * pass 2 repeats the same flow on a fresh engine timing every op with process.hrtime.bigint (its own cost is
 * measured and reported, not subtracted) for p50/p99/p99.9.
 *
 * The machine is shared, so the JSON also carries CPU-time ops/s, the median batch's rate and the load average.
 * Results on the 2-vCPU AMD EPYC dev VM, Node 20.20, load average 5-6 (2026-11-27), three runs:
 *   opsPerSec 1.01M / 1.13M / 1.64M, p50 0.60-0.87 µs, p99 3.0-4.6 µs, p99.9 12-24 µs, ~13.6k orders resting.
 * Under load average 10-20 the same code gave 0.3-1.1M ops/s wall (0.9-1.6M of CPU time) and p99 3.7-5.8 µs.
 */
import { loadavg } from "node:os";
import { asPrice, asQuantity, OrderType, priceOf, quantityOf, ZERO_QUANTITY, Side, TimeInForce } from "../../actors/domain/index.ts";
import { MatchingEngine, type OrderRequest, SeededRandom } from "../../actors/exchange/index.ts";

const MEASURED = Number(process.argv[2] ?? 1_000_000);
const WARMUP = 200_000;
const TOTAL = WARMUP + MEASURED;
const TICK = priceOf(0.01);
const LOT = quantityOf(1);
const OP_LIMIT = 0;
const OP_CANCEL = 1;
const OP_MARKET = 2;
const OP_IOC = 3;
const OWNERS = ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"];

const log = (msg: string) => process.stderr.write(`[matching] ${msg}\n`);

const newEngine = () =>
  new MatchingEngine({
    instrument: "BENCH.SIM",
    tickSize: TICK,
    lotSize: LOT,
    makerFeeBps: -0.2,
    takerFeeBps: 2.5,
    priceBandBps: 1000,
    referencePrice: priceOf(100),
  });

/** The flow as columns, so generating it leaves no garbage for the collector to chase during timing. */
interface Flow {
  kind: Uint8Array;
  buy: Uint8Array;
  owner: Uint8Array;
  price: Float64Array;
  qty: Float64Array;
  cancelId: Float64Array;
}

/**
 * Generates the flow by playing it on a shadow engine, so each cancel names an order that is resting at that
 * moment (ids are predictable: the engine numbers every submission from 1).
 */
function generate(n: number, seed: number): Flow {
  const rng = new SeededRandom(seed);
  const f: Flow = {
    kind: new Uint8Array(n),
    buy: new Uint8Array(n),
    owner: new Uint8Array(n),
    price: new Float64Array(n),
    qty: new Float64Array(n),
    cancelId: new Float64Array(n),
  };
  const shadow = newEngine();
  const live: number[] = [];
  let mid = 10_000; // in ticks: 100.00
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.01) mid += rng.next() < 0.5 ? -1 : 1;
    const r = rng.next();
    const buy = rng.next() < 0.5;
    f.buy[i] = buy ? 1 : 0;
    f.owner[i] = rng.int(OWNERS.length);
    let cancel = -1;
    if (r >= 0.7 && r < 0.9) {
      while (live.length > 0 && cancel < 0) {
        const k = rng.int(live.length);
        const id = live[k]!;
        live[k] = live[live.length - 1]!;
        live.pop();
        if (shadow.order(id) !== undefined) cancel = id;
      }
    }
    if (cancel > 0) {
      f.kind[i] = OP_CANCEL;
      f.cancelId[i] = cancel;
    } else if (r < 0.9) {
      // passive adds, denser near the touch
      const away = 1 + Math.floor(rng.next() * rng.next() * 20);
      f.kind[i] = OP_LIMIT;
      f.price[i] = (buy ? mid - away : mid + away) * TICK;
      f.qty[i] = (1 + rng.int(10)) * LOT;
      live.push(shadow.nextId);
    } else {
      f.qty[i] = (1 + rng.int(50)) * LOT;
      if (rng.next() < 0.5) f.kind[i] = OP_MARKET;
      else {
        f.kind[i] = OP_IOC;
        f.price[i] = (buy ? mid + 5 : mid - 5) * TICK;
      }
    }
    step(shadow, f, i);
  }
  return f;
}

/** One request object filled in place per op, as a decoder would: the engine copies what it keeps. */
const req: OrderRequest = {
  side: Side.Buy,
  type: OrderType.Limit,
  quantity: ZERO_QUANTITY,
  price: undefined,
  stopPrice: undefined,
  timeInForce: TimeInForce.Gtc,
  expireAtUs: undefined,
  postOnly: false,
  reduceOnly: false,
  owner: "",
  clientOrderId: undefined,
};

function step(e: MatchingEngine, f: Flow, i: number): void {
  const k = f.kind[i];
  if (k === OP_CANCEL) {
    e.cancel(f.cancelId[i]!, i);
    return;
  }
  req.side = f.buy[i] === 1 ? Side.Buy : Side.Sell;
  req.quantity = asQuantity(f.qty[i]!);
  req.owner = OWNERS[f.owner[i]!]!;
  if (k === OP_LIMIT) {
    req.type = OrderType.Limit;
    req.price = asPrice(f.price[i]!);
    req.timeInForce = TimeInForce.Gtc;
  } else if (k === OP_MARKET) {
    req.type = OrderType.Market;
    req.price = undefined;
    req.timeInForce = TimeInForce.Ioc;
  } else {
    req.type = OrderType.Limit;
    req.price = asPrice(f.price[i]!);
    req.timeInForce = TimeInForce.Ioc;
  }
  e.submit(req, i);
}

function runRange(e: MatchingEngine, f: Flow, from: number, to: number): void {
  for (let i = from; i < to; i++) step(e, f, i);
}

const t0 = process.hrtime.bigint();
const flow = generate(TOTAL, 20261127);
log(`generated ${TOTAL} ops in ${Number(process.hrtime.bigint() - t0) / 1e6} ms`);

// pass 1: throughput, batches of 1 000 ops
const BATCH = 1_000;
let engine = newEngine();
runRange(engine, flow, 0, WARMUP);
log(`warm-up ${WARMUP} ops done, ${engine.openOrderCount} orders resting`);
const seqBefore = engine.lastSeq;
const batchNs = new Float64Array(Math.ceil(MEASURED / BATCH));
let b = 0;
// CPU time as well as wall time: on a shared machine the wall clock also counts time other processes held the core
const cpu0 = process.cpuUsage();
for (let i = WARMUP; i < TOTAL; i += BATCH) {
  const s = process.hrtime.bigint();
  runRange(engine, flow, i, Math.min(i + BATCH, TOTAL));
  batchNs[b++] = Number(process.hrtime.bigint() - s);
  if (b % 200 === 0) log(`pass 1: ${i + BATCH - WARMUP} ops`);
}
const cpu = process.cpuUsage(cpu0);
const cpuOpsPerSec = MEASURED / ((cpu.user + cpu.system) / 1e6);
let totalNs = 0;
for (let i = 0; i < b; i++) totalNs += batchNs[i]!;
const opsPerSec = MEASURED / (totalNs / 1e9);
const sortedBatches = batchNs.slice(0, b).sort();
const events = engine.lastSeq - seqBefore;
const medianBatchOpsPerSec = BATCH / (sortedBatches[b >> 1]! / 1e9);
log(
  `pass 1: ${Math.round(opsPerSec)} ops/s wall, ${Math.round(cpuOpsPerSec)} ops/s of CPU time, ${Math.round(medianBatchOpsPerSec)} ops/s in the median batch; batch of ${BATCH} p50 ${(sortedBatches[b >> 1]! / 1e3).toFixed(1)} µs, ` +
    `${events} events, ${engine.tradeCount} trades, ${engine.openOrderCount} resting, L1 ${JSON.stringify(engine.top())}`,
);

// pass 2: the same flow on a fresh engine, every measured op timed on its own
engine = newEngine();
runRange(engine, flow, 0, WARMUP);
const lat = new Float64Array(MEASURED);
for (let i = WARMUP; i < TOTAL; i++) {
  const s = process.hrtime.bigint();
  step(engine, flow, i);
  lat[i - WARMUP] = Number(process.hrtime.bigint() - s);
  if ((i - WARMUP) % 250_000 === 0 && i > WARMUP) log(`pass 2: ${i - WARMUP} ops`);
}
// what a timed empty op costs: two hrtime.bigint calls and a subtraction
const empty = new Float64Array(100_000);
for (let i = 0; i < empty.length; i++) {
  const s = process.hrtime.bigint();
  empty[i] = Number(process.hrtime.bigint() - s);
}
empty.sort();
lat.sort();
const pct = (a: Float64Array, p: number) => a[Math.min(a.length - 1, Math.floor(a.length * p))]! / 1e3;
const p50Us = pct(lat, 0.5);
const p99Us = pct(lat, 0.99);
const p999Us = pct(lat, 0.999);
const maxUs = lat[lat.length - 1]! / 1e3;
log(`pass 2: p50 ${p50Us} µs, p99 ${p99Us} µs, p99.9 ${p999Us} µs, max ${maxUs} µs; timer alone p50 ${pct(empty, 0.5) * 1e3} ns`);

console.log(
  JSON.stringify({
    bench: "matching",
    opsPerSec: Math.round(opsPerSec),
    p99Us,
    p50Us,
    ops: MEASURED,
    p999Us,
    maxUs,
    cpuOpsPerSec: Math.round(cpuOpsPerSec),
    medianBatchOpsPerSec: Math.round(medianBatchOpsPerSec),
    timerOverheadNs: pct(empty, 0.5) * 1e3,
    loadAvg1m: loadavg()[0],
    warmupOps: WARMUP,
    restingAtEnd: engine.openOrderCount,
    node: process.version,
  }),
);
