/**
 * `npm run bench -- tick-to-trade [ticks]`: a Quote published on am.md.quote.SIMX.SIM001 → strategy actor (a bench
 * strategy that makes one order per quote) → SubmitOrder to the risk book (pre-trade check with limits on,
 * journals OrderApproved, forwards it) → order entity, activated on that first command by its shard region
 * (journals OrderSubmitted) → venue connection, which sends it to the simulated exchange. p50Us/p99Us: quote
 * published → the venue connection's VenueNewOrder on am.cmd.venue-adapter.SIMX; ackP50Us/ackP99Us: →
 * OrderAccepted (the exchange's acknowledgement journaled by the order entity). One tick at a time, all actors in
 * this process on a local nats-server (support/trading-loop.ts).
 *
 * Baseline, interleaved with the ticks so both see the same load: a raw NATS request-reply of the same encoded
 * quote to a plain responder on the same server. ratio = p99Us / raw p99. CPU per order: this process (all
 * actors and the driver) and nats-server, counted over the tick phases only.
 */
import { loadavg } from "node:os";
import { storedSubject, subjects } from "../../actors/contract/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { cpuMsOf } from "./support/process-cpu.ts";
import { percentiles, quoteAt, startLoop, TICK, VENUE } from "./support/trading-loop.ts";

/** the raw NATS baseline's subject: under am.cmd, where the node user the bench connects as may go */
const ECHO = subjects.cmd("bench-baseline", "echo");

const n = Number(process.argv[2] ?? 500);
if (!Number.isInteger(n) || n < 1) throw new Error(`tick-to-trade: ${process.argv[2]} is not a positive whole number of ticks`);
const warm = Math.min(50, Math.floor(n / 10));
const loop = await startLoop({ strategy: true, orders: n + warm + 1 });
const quoteSubject = subjects.md("quote", { venue: VENUE, symbol: "SIM001" });
try {
  const { nc } = loop;
  const natsPid = loop.infra.pids[0]!;
  // one order in flight at a time: the next VenueNewOrder and OrderAccepted are that order's
  let toVenue: ((t: number) => void) | undefined;
  let accepted: ((t: number) => void) | undefined;
  nc.subscribe(subjects.cmd("venue-adapter", VENUE), {
    callback: (_e, m) => {
      if (decodeMessage(m.data, m.headers, false).message.type !== "VenueNewOrder") return;
      toVenue?.(performance.now());
      toVenue = undefined;
    },
  });
  nc.subscribe(storedSubject("am.evt.order.*.OrderAccepted"), {
    callback: () => {
      accepted?.(performance.now());
      accepted = undefined;
    },
  });
  nc.subscribe(ECHO, { callback: (_e, m) => void m.respond(m.data, m.headers ? { headers: m.headers } : undefined) });
  const startNow = Date.now() * 1000;
  const { data: sd, headers: sh } = encodeMessage({ type: "StartStrategy", reason: "bench", tsEvent: startNow, tsInit: startNow });
  await nc.request(subjects.cmd("strategy", "echo"), sd, { headers: sh, timeout: 5_000 });
  await nc.flush();
  let seq = 1;
  const venueUs: number[] = [];
  const ackUs: number[] = [];
  const raw: number[] = [];
  let cpuUs = 0;
  let natsCpuMs = 0;
  const total = n + warm;
  for (let i = 0; i < total; i++) {
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage(quoteAt(seq++, (10_000 + (seq % 7)) * TICK, now));

    let t0 = performance.now();
    await nc.request(ECHO, data, { headers, timeout: 5_000 });
    if (i >= warm) raw.push((performance.now() - t0) * 1000);

    const nats0 = cpuMsOf(natsPid);
    const cpu0 = process.cpuUsage();
    const within5s = (what: string, take: (resolve: (t: number) => void) => void) =>
      new Promise<number>((resolve, reject) => {
        const late = setTimeout(() => reject(new Error(`tick ${i}: no ${what} within 5 s`)), 5_000);
        take((t) => {
          clearTimeout(late);
          resolve(t);
        });
      });
    const venueAt = within5s("VenueNewOrder", (r) => {
      toVenue = r;
    });
    const ackAt = within5s("OrderAccepted", (r) => {
      accepted = r;
    });
    t0 = performance.now();
    nc.publish(quoteSubject, data, { headers });
    const [v, a] = await Promise.all([venueAt, ackAt]);
    const cpu = process.cpuUsage(cpu0);
    if (i >= warm) {
      venueUs.push((v - t0) * 1000);
      ackUs.push((a - t0) * 1000);
      cpuUs += cpu.user + cpu.system;
      natsCpuMs += cpuMsOf(natsPid) - nats0;
    }
    if (i % 100 === 0) process.stderr.write(`tick ${i}/${total}\n`);
  }
  const v = percentiles(venueUs);
  const a = percentiles(ackUs);
  const b = percentiles(raw);
  console.log(
    JSON.stringify({
      bench: "tick-to-trade",
      p50Us: v.p50,
      p99Us: v.p99,
      ackP50Us: a.p50,
      ackP99Us: a.p99,
      ticks: venueUs.length,
      activatedOnDemand: loop.orders.stats.activated,
      journalAppendsToVenue: 2,
      cpuUsPerOrder: Math.round(cpuUs / venueUs.length),
      natsServerCpuUsPerOrder: Math.round((natsCpuMs * 1000) / venueUs.length),
      baseline: { what: "NATS request-reply, same quote payload, same server", p50Us: b.p50, p99Us: b.p99 },
      ratio: Number((v.p99 / b.p99).toFixed(2)),
      settings: loop.settings,
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await loop.stop();
}
