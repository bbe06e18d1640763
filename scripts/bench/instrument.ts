/**
 * `npm run bench -- instrument [events] [batchSize]`: simulator events for one instrument through one
 * instrumentMachine actor (XState createActor, in-process), delivered as RawBatch events; every emitted message
 * is taken by a listener, as the runtime's would be. Prints ticks per second and the 99th percentile of the time
 * to process one batch (p99BatchUs) and that divided by the batch size (p99Us, per tick within a slow batch), and
 * the CPU time of this process per tick (cpuUsPerTick, user + system): the step's cost whatever the machine's load.
 */
import { createActor } from "xstate";
import { MarketSimulator, type SimulatedEvent } from "../../actors/feed/simulator/index.ts";
import { demoUniverse, instrumentMachine } from "../../actors/instrument/index.ts";

const total = Number(process.argv[2] ?? 400_000);
const batchSize = Number(process.argv[3] ?? 100);
const [def] = demoUniverse(1);
const startUs = 1_700_000_000_000_000;
const sim = new MarketSimulator({ seed: 42, startUs, instruments: [def!], eventsPerSecond: 2_000 });
const events: SimulatedEvent[] = [];
while (events.length < total) events.push(sim.next());
process.stderr.write(`generated ${events.length} simulator events\n`);

const actor = createActor(instrumentMachine, { input: { definition: def!, feedSource: "sim", barTypes: ["1s", "1m", "100t", "1000v"] } });
let emitted = 0;
actor.on("*", () => {
  emitted++;
});
actor.start();

const batches: SimulatedEvent[][] = [];
for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));
const warm = Math.min(200, Math.floor(batches.length / 10));
const times = new Float64Array(batches.length - warm);
const t0 = performance.now();
let measuredTicks = 0;
let tStart = t0;
let cpuStart = process.cpuUsage();
for (let i = 0; i < batches.length; i++) {
  if (i === warm) {
    tStart = performance.now();
    cpuStart = process.cpuUsage();
  }
  const b = batches[i]!;
  const s = performance.now();
  actor.send({ type: "RawBatch", items: b, nowUs: b[b.length - 1]!.tsEvent });
  if (i >= warm) {
    times[i - warm] = (performance.now() - s) * 1000;
    measuredTicks += b.length;
  }
  if (i % 1000 === 0) process.stderr.write(`batch ${i}/${batches.length}\n`);
}
const elapsed = (performance.now() - tStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
const sorted = Array.from(times).sort((a, b) => a - b);
const p99Batch = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
const c = actor.getSnapshot().context.handler.counters;
const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
process.stderr.write(`accepted ${c.accepted}, rejected ${rejected}, bars ${c.bars}, emitted ${emitted}\n`);
console.log(
  JSON.stringify({
    bench: "instrument",
    ticksPerSec: Math.round(measuredTicks / elapsed),
    cpuUsPerTick: Number(((cpu.user + cpu.system) / measuredTicks).toFixed(2)),
    p99Us: Number((p99Batch / batchSize).toFixed(3)),
    p99BatchUs: Number(p99Batch.toFixed(1)),
    batchSize,
    ticks: measuredTicks,
    emitted,
  }),
);
