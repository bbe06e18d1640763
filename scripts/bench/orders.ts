/**
 * `npm run bench -- orders [orders]`: SubmitOrder requested on am.cmd.risk-book.bench, as the gateway sends it
 * (through its reply inbox) → risk book (pre-trade check with limits on, journals OrderApproved, forwards the order)
 * → order entity, activated on that first command by its shard region (journals OrderSubmitted; a new order reads
 * no journal, see kind.sharding.createdBy) → venue connection → simulated exchange
 * (journals the order it accepted, write-ahead) → ExecutionReport → venue connection → order entity (journals
 * OrderAccepted); the time from the request to OrderAccepted as the event stream stored it (am.stored.order.<id>).
 * One order at a time, every id new, all actors in this process on a local nats-server (support/trading-loop.ts).
 * Orders rest (limit buys below the market), so the book's open orders grow.
 *
 * Baseline, interleaved with the orders so both see the same load: a raw JetStream publish→ack of the same
 * encoded SubmitOrder (payload and headers) into the same server's event stream. ratio = ours p99 / raw p99.
 * CPU per order: this process (all actors and the driver) and nats-server, counted over the order phases only.
 * ORDERS_BENCH_HOPS=1: each hop's share as well (support/order-hops.ts), in `hops`, with the listener named in settings.
 */
import { loadavg } from "node:os";
import { jetstream } from "@nats-io/jetstream";
import { appendedSubject, storedSubject, subjects } from "../../actors/contract/index.ts";
import { encodeMessage } from "../../infra/nats/codec.ts";
import { connectNats } from "../../infra/nats/index.ts";
import { ReplyInbox } from "../../infra/nats/reply-inbox.ts";
import { OrderHops } from "./support/order-hops.ts";
import { cpuMsOf } from "./support/process-cpu.ts";
import { BOOK, percentiles, quoteAt, startLoop, submitOrder, TICK, VENUE } from "./support/trading-loop.ts";

const n = Number(process.argv[2] ?? 500);
if (!Number.isInteger(n) || n < 1) throw new Error(`orders: ${process.argv[2]} is not a positive whole number of orders`);
const warm = Math.min(50, Math.floor(n / 10));
const loop = await startLoop({ orders: n + warm });
// ORDERS_BENCH_HOPS=1: where each order's time goes, hop by hop (support/order-hops.ts), on stderr and in the JSON
const hopsNc = process.env.ORDERS_BENCH_HOPS ? await connectNats(loop.infra.natsUrl, "bench-hops") : undefined;
try {
  const { nc } = loop;
  const hops = hopsNc ? new OrderHops(hopsNc, BOOK, VENUE) : undefined;
  await hops?.ready();
  const js = jetstream(nc);
  // requested as the gateway requests (gateway/commands.ts): one reply subscription, no Error objects per call
  const inbox = new ReplyInbox(nc);
  const natsPid = loop.infra.pids[0]!;
  const q = encodeMessage(quoteAt(1, 10_000 * TICK, Date.now() * 1000));
  nc.publish(subjects.md("quote", { venue: VENUE, symbol: "SIM001" }), q.data, { headers: q.headers });
  // by the OrderAccepted subject (the id is escaped in it)
  const waiting = new Map<string, () => void>();
  // as the platform's listeners hear it: once the event stream holds it
  const sub = nc.subscribe(storedSubject("am.evt.order.*.OrderAccepted"), {
    callback: (_e, m) => waiting.get(appendedSubject(m.subject))?.(),
  });
  await nc.flush();
  const rawSubject = subjects.evt("bench", `raw${process.pid}`, "Appended");
  const ours: number[] = [];
  const replyUs: number[] = [];
  const raw: number[] = [];
  let cpuUs = 0;
  let natsCpuMs = 0;
  const total = n + warm;
  for (let i = 0; i < total; i++) {
    const id = `bench.${process.pid}.${i}`;
    const { data, headers } = encodeMessage(submitOrder(id, Date.now() * 1000));

    let t0 = performance.now();
    await js.publish(rawSubject, data, { headers });
    if (i >= warm) raw.push((performance.now() - t0) * 1000);

    const nats0 = cpuMsOf(natsPid);
    const cpu0 = process.cpuUsage();
    const accepted = new Promise<void>((resolve, reject) => {
      const late = setTimeout(() => reject(new Error(`order ${id} not accepted within 5 s`)), 5_000);
      waiting.set(subjects.evt("order", id, "OrderAccepted"), () => {
        clearTimeout(late);
        resolve();
      });
    });
    t0 = performance.now();
    const reply = inbox.request(subjects.cmd("risk-book", BOOK), data, headers, 5_000).then(() => performance.now());
    await accepted;
    const t1 = performance.now();
    const repliedAt = await reply;
    const cpu = process.cpuUsage(cpu0);
    waiting.delete(subjects.evt("order", id, "OrderAccepted"));
    if (i >= warm) {
      hops?.span(t0, t1, id);
      ours.push((t1 - t0) * 1000);
      replyUs.push((repliedAt - t0) * 1000);
      cpuUs += cpu.user + cpu.system;
      natsCpuMs += cpuMsOf(natsPid) - nats0;
    }
    if (i % 100 === 0) process.stderr.write(`order ${i}/${total}\n`);
  }
  sub.unsubscribe();
  inbox.close();
  const p = percentiles(ours);
  const r = percentiles(replyUs);
  const b = percentiles(raw);
  const hopReport = hops?.report();
  if (hopReport) process.stderr.write(`hops (µs, from the milestone before): ${JSON.stringify(hopReport)}\n`);
  console.log(
    JSON.stringify({
      bench: "orders",
      submitToAckP50Us: p.p50,
      submitToAckP99Us: p.p99,
      maxUs: p.max,
      // the risk book's reply: sent once the order entity has taken the approved order
      replyP50Us: r.p50,
      replyP99Us: r.p99,
      orders: ours.length,
      activatedOnDemand: loop.orders.stats.activated,
      journalAppendsPerOrder: 4,
      cpuUsPerOrder: Math.round(cpuUs / ours.length),
      natsServerCpuUsPerOrder: Math.round((natsCpuMs * 1000) / ours.length),
      baseline: { what: "JetStream publish→ack, same payload, same server", p50Us: b.p50, p99Us: b.p99 },
      ratio: Number((p.p99 / b.p99).toFixed(2)),
      settings: hopReport ? { ...loop.settings, hopListener: "a listener of am.> in this process (ORDERS_BENCH_HOPS)" } : loop.settings,
      ...(hopReport ? { hops: hopReport } : {}),
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await hopsNc?.close();
  await loop.stop();
}
