/**
 * Matching engine throughput and per-op latency: `npm run bench -- matching [ops]`.
 *
 * A seeded flow (70 % limit adds around a drifting mid, 20 % cancels of orders added earlier, 10 % marketable
 * orders: half MARKET, half IOC limits through the touch) is generated before timing. One engine takes a warm-up
 * of 200 000 ops and then the measured ops (default 1 000 000). Pass 1 times batches of 1 000 ops for ops/s;
 * pass 2 repeats the same flow on a fresh engine timing every op with process.hrtime.bigint (its own cost is
 * measured and reported, not subtracted) for p50/p99/p99.9.
 */
import { fromNumber } from "../../actors/domain/fixed.ts";
import { OrderType, Side, TimeInForce } from "../../actors/domain/trading.ts";
import { MatchingEngine, type OrderRequest, SeededRandom } from "../../actors/venue/matching/index.ts";

const MEASURED = Number(process.argv[2] ?? 1_000_000);
const WARMUP = 200_000;
const TOTAL = WARMUP + MEASURED;
const TICK = fromNumber(0.01);
const LOT = fromNumber(1);
const OP_SUBMIT = 0;
const OP_CANCEL = 1;

const log = (msg: string) => process.stderr.write(`[matching] ${msg}\n`);

interface Flow {
  kind: Uint8Array;
  orders: (OrderRequest | undefined)[];
  cancelId: Float64Array;
}

/** Order ids are predictable: the engine numbers every submission from 1, rejected ones included. */
function generate(n: number, seed: number): Flow {
  const rng = new SeededRandom(seed);
  const kind = new Uint8Array(n);
  const orders: (OrderRequest | undefined)[] = new Array(n).fill(undefined);
  const cancelId = new Float64Array(n);
  const owners = ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"];
  const live: number[] = [];
  let nextId = 1;
  let mid = 10_000; // in ticks: 100.00
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.01) mid += rng.next() < 0.5 ? -1 : 1;
    const r = rng.next();
    const buy = rng.next() < 0.5;
    const owner = owners[rng.int(owners.length)]!;
    if (r < 0.7) {
      // passive adds, denser near the touch
      const away = 1 + Math.floor(rng.next() * rng.next() * 20);
      orders[i] = {
        side: buy ? Side.Buy : Side.Sell,
        type: OrderType.Limit,
        price: (buy ? mid - away : mid + away) * TICK,
        quantity: (1 + rng.int(10)) * LOT,
        timeInForce: TimeInForce.Gtc,
        owner,
      };
      live.push(nextId++);
    } else if (r < 0.9 && live.length > 0) {
      kind[i] = OP_CANCEL;
      const k = rng.int(live.length);
      cancelId[i] = live[k]!;
      live[k] = live[live.length - 1]!;
      live.pop();
    } else {
      const qty = (1 + rng.int(50)) * LOT;
      orders[i] =
        rng.next() < 0.5
          ? { side: buy ? Side.Buy : Side.Sell, type: OrderType.Market, quantity: qty, timeInForce: TimeInForce.Ioc, owner }
          : {
              side: buy ? Side.Buy : Side.Sell,
              type: OrderType.Limit,
              price: (buy ? mid + 5 : mid - 5) * TICK,
              quantity: qty,
              timeInForce: TimeInForce.Ioc,
              owner,
            };
      nextId++;
    }
  }
  return { kind, orders, cancelId };
}

const newEngine = () =>
  new MatchingEngine({ instrument: "BENCH.SIM", tickSize: TICK, lotSize: LOT, makerFeeBps: -0.2, takerFeeBps: 2.5, priceBandBps: 1000, referencePrice: fromNumber(100) });

function runRange(e: MatchingEngine, f: Flow, from: number, to: number): void {
  const { kind, orders, cancelId } = f;
  for (let i = from; i < to; i++) {
    if (kind[i] === OP_SUBMIT) e.submit(orders[i]!, i);
    else e.cancel(cancelId[i]!, i);
  }
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
for (let i = WARMUP; i < TOTAL; i += BATCH) {
  const s = process.hrtime.bigint();
  runRange(engine, flow, i, Math.min(i + BATCH, TOTAL));
  batchNs[b++] = Number(process.hrtime.bigint() - s);
  if (b % 200 === 0) log(`pass 1: ${i + BATCH - WARMUP} ops`);
}
let totalNs = 0;
for (let i = 0; i < b; i++) totalNs += batchNs[i]!;
const opsPerSec = MEASURED / (totalNs / 1e9);
const sortedBatches = batchNs.slice(0, b).sort();
const events = engine.lastSeq - seqBefore;
log(
  `pass 1: ${Math.round(opsPerSec)} ops/s, batch of ${BATCH} p50 ${(sortedBatches[b >> 1]! / 1e3).toFixed(1)} µs, ` +
    `${events} events, ${engine.tradeCount} trades, ${engine.openOrderCount} resting, L1 ${JSON.stringify(engine.top())}`,
);

// pass 2: the same flow on a fresh engine, every measured op timed on its own
engine = newEngine();
runRange(engine, flow, 0, WARMUP);
const lat = new Float64Array(MEASURED);
const { kind, orders, cancelId } = flow;
for (let i = WARMUP; i < TOTAL; i++) {
  const s = process.hrtime.bigint();
  if (kind[i] === OP_SUBMIT) engine.submit(orders[i]!, i);
  else engine.cancel(cancelId[i]!, i);
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
    timerOverheadNs: pct(empty, 0.5) * 1e3,
    warmupOps: WARMUP,
    restingAtEnd: engine.openOrderCount,
    node: process.version,
  }),
);
