/**
 * `npm run bench -- orders [orders]`: SubmitOrder published to am.cmd.order.<id> → order actor (journals
 * OrderSubmitted) → venue connection → simulated exchange → ExecutionReport → venue connection → order actor
 * (journals OrderAccepted); the time from the publish to OrderAccepted on am.evt.order.<id>. One order at a time,
 * all actors in this process on a local nats-server, order actors started ahead (activating a sharded order entity on its first
 * command is the cold path, measured by `gateway`). Orders rest (limit buys below the market). Also printed: this
 * machine's NATS request/reply and JetStream append times in the same run, and the process's CPU per order.
 */
import { subjects } from "../../actors/contract/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { INSTRUMENT, LOT, natsBaseline, percentiles, quoteAt, startLoop, TICK } from "./support/trading-loop.ts";
import { loadavg } from "node:os";

const n = Number(process.argv[2] ?? 500);
const warm = Math.min(50, Math.floor(n / 10));
const loop = await startLoop();
try {
  const { nc } = loop;
  const q = encodeMessage(quoteAt(1, 10_000 * TICK, Date.now() * 1000));
  nc.publish(subjects.md("quote", { venue: "SIMX", symbol: "SIM001" }), q.data, { headers: q.headers });
  const ids = Array.from({ length: n + warm }, (_, i) => `bench.${process.pid}.${i}`);
  process.stderr.write(`starting ${ids.length} order actors\n`);
  await loop.prepareOrders(ids);
  let waiting: { id: string; resolve: () => void } | undefined;
  const sub = nc.subscribe("am.evt.order.*.OrderAccepted", {
    callback: (_e, m) => {
      if (waiting && m.subject === subjects.evt("order", waiting.id, "OrderAccepted")) waiting.resolve();
    },
  });
  await nc.flush();
  const us: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage({
      type: "SubmitOrder",
      clientOrderId: id,
      instrument: INSTRUMENT,
      side: "BUY",
      orderType: "LIMIT",
      price: 9_000 * TICK,
      quantity: LOT,
      timeInForce: "GTC",
      postOnly: false,
      reduceOnly: false,
      strategy: "bench",
      book: "bench",
      tsEvent: now,
      tsInit: now,
    });
    const done = new Promise<void>((resolve) => {
      waiting = { id, resolve };
    });
    const t0 = performance.now();
    nc.publish(subjects.cmd("order", id), data, { headers });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`order ${id} not accepted within 5 s`)), 5_000))]);
    if (i >= warm) us.push((performance.now() - t0) * 1000);
    if (i % 100 === 0) process.stderr.write(`order ${i}/${ids.length}\n`);
  }
  sub.unsubscribe();
  const p = percentiles(us);
  const cpu = process.cpuUsage(cpu0);
  // CPU of this process (all actors and the driver) per order: what the path costs apart from waiting for a core
  const cpuUsPerOrder = Math.round((cpu.user + cpu.system) / ids.length);
  const nats = await natsBaseline(nc);
  console.log(
    JSON.stringify({
      bench: "orders",
      submitToAckP50Us: p.p50,
      submitToAckP99Us: p.p99,
      maxUs: p.max,
      orders: us.length,
      journalAppendsPerOrder: 2,
      cpuUsPerOrder,
      nats,
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await loop.stop();
}
