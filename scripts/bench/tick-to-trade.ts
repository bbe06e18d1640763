/**
 * `npm run bench -- tick-to-trade [ticks]`: a Quote published on am.md.quote.SIMX.SIM001 → strategy actor (a bench
 * strategy that makes one order per quote) → SubmitOrder to the risk book (pre-trade check, journals
 * OrderApproved) → order actor (journals OrderSubmitted) → venue connection, which sends it to the simulated
 * exchange. p50Us/p99Us: quote published → the venue connection's VenueNewOrder on am.cmd.venue-adapter.SIMX;
 * ackP50Us/ackP99Us: → OrderAccepted (the exchange's acknowledgement journaled by the order actor). One tick at
 * a time, all actors in this process on a local nats-server; order actors started ahead for the ids the strategy
 * will use (the strategy's ids are deterministic: <strategy>.<session>.<n>).
 */
import { loadavg } from "node:os";
import { subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { natsBaseline, percentiles, quoteAt, startLoop, TICK } from "./support/trading-loop.ts";

const n = Number(process.argv[2] ?? 500);
const warm = Math.min(50, Math.floor(n / 10));
const loop = await startLoop({ strategy: true });
const quoteSubject = subjects.md("quote", { venue: "SIMX", symbol: "SIM001" });
try {
  const { nc } = loop;
  const sentAt = new Map<string, number>();
  let nextId: ((id: string) => void) | undefined;
  const firstOrder = new Promise<string>((resolve) => {
    nextId = resolve;
  });
  const toVenue = new Map<string, number>();
  const accepted = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  nc.subscribe(subjects.cmdAll("order"), {
    callback: (_e, m) => {
      const id = String(decodeMessage(m.data, m.headers, false).message.clientOrderId);
      nextId?.(id);
      nextId = undefined;
    },
  });
  nc.subscribe(subjects.cmd("venue-adapter", "SIMX"), {
    callback: (_e, m) => {
      const msg = decodeMessage(m.data, m.headers, false).message;
      if (msg.type === "VenueNewOrder") toVenue.set(String(msg.clientOrderId), performance.now());
    },
  });
  nc.subscribe("am.evt.order.*.OrderAccepted", {
    callback: (_e, m) => {
      const id = String(decodeMessage(m.data, m.headers, false).message.clientOrderId);
      accepted.set(id, performance.now());
      waiters.get(id)?.();
    },
  });
  const startNow = Date.now() * 1000;
  const { data: sd, headers: sh } = encodeMessage({ type: "StartStrategy", reason: "bench", tsEvent: startNow, tsInit: startNow });
  await nc.request(subjects.cmd("strategy", "echo"), sd, { headers: sh, timeout: 5_000 });
  let seq = 1;
  const publishQuote = () => {
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage(quoteAt(seq++, (10_000 + (seq % 7)) * TICK, now));
    nc.publish(quoteSubject, data, { headers });
  };
  publishQuote();
  const first = await firstOrder;
  const session = first.split(".").slice(0, -1).join(".");
  const ids = Array.from({ length: n + warm }, (_, i) => `${session}.${i + 2}`);
  process.stderr.write(`strategy session ${session}: starting ${ids.length} order actors\n`);
  await loop.prepareOrders(ids);
  await nc.flush();
  const venueUs: number[] = [];
  const ackUs: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const done = new Promise<void>((resolve, reject) => {
      waiters.set(id, resolve);
      setTimeout(() => reject(new Error(`order ${id} not accepted within 5 s`)), 5_000).unref();
    });
    const t0 = performance.now();
    sentAt.set(id, t0);
    publishQuote();
    await done;
    if (i >= warm) {
      venueUs.push(((toVenue.get(id) ?? Number.NaN) - t0) * 1000);
      ackUs.push(((accepted.get(id) ?? Number.NaN) - t0) * 1000);
    }
    if (i % 100 === 0) process.stderr.write(`tick ${i}/${ids.length}\n`);
  }
  const v = percentiles(venueUs);
  const a = percentiles(ackUs);
  const cpu = process.cpuUsage(cpu0);
  // CPU of this process (all actors and the driver) per order: what the path costs apart from waiting for a core
  const cpuUsPerOrder = Math.round((cpu.user + cpu.system) / ids.length);
  const nats = await natsBaseline(nc);
  console.log(
    JSON.stringify({
      bench: "tick-to-trade",
      p50Us: v.p50,
      p99Us: v.p99,
      ackP50Us: a.p50,
      ackP99Us: a.p99,
      ticks: venueUs.length,
      journalAppendsToVenue: 2,
      cpuUsPerOrder,
      nats,
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await loop.stop();
}
