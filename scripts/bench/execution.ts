/**
 * `npm run bench -- execution [children]`: an execution algorithm's decision to its child order on the wire. An
 * iceberg parent (display one lot) hosted in this process on a throwaway nats-server; the driver stands in for the
 * risk book (answers each SubmitOrder at once) and fills each child with an OrderFilled on am.evt.order.<child>.
 * Timed: from that fill's publish to the next child's SubmitOrder reaching the book's subject, which includes the
 * parent's decision, its journal append (AlgoChildFilled, AlgoChildClosed, AlgoChildSent in one group) and the
 * forward. Also printed, from the same run: raw NATS publish→subscribe and JetStream append times, the process's
 * CPU per child and the load average (this machine is shared: compare the ratio, not the absolute figure). Then,
 * in-process and pure, a smart order routing decision over three venues (`sorDecisionP99Us`). Last, FIX 4.4:
 * NewOrderSingle → ExecutionReport(New) over loopback through initiator, acceptor and the exchange actor
 * (`fixAckP99Us`, support/fix-ack.ts), beside a plain TCP echo round trip on loopback from the same run.
 */
import { loadavg } from "node:os";
import { subjects, systemClock } from "../../actors/contract/index.ts";
import { executionAlgoKind, route } from "../../actors/execution-algo/index.ts";
import { startTestInfra } from "../../infra/local/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { connectNats, declareResources, SnapshotStore } from "../../infra/nats/index.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { ActorHost } from "../../supervisors/runtime/actor-host.ts";
import { fixAckRoundTrips, fixEngineRoundTrips, tcpEchoRoundTrips } from "./support/fix-ack.ts";
import { LOT, percentiles, TICK } from "./support/trading-loop.ts";

/** the raw NATS baseline's subject: under am.cmd, where the node user the bench connects as may go */
const ONEWAY = subjects.cmd("bench-baseline", "oneway");

/**
 * `count` routing decisions over three venues with different fees, latency and fill history, each on a book moved
 * by a tick or two (so no decision repeats the previous one), timed one by one in µs.
 */
function routingDecisions(count: number): number[] {
  const terms = {
    SIMX: { takerFeeBps: 1.5, latencyUs: 200 },
    SIMY: { takerFeeBps: 0.5, latencyUs: 900 },
    SIMZ: { takerFeeBps: 3, latencyUs: 50 },
  };
  const fills = { SIMY: { sent: 40 * LOT, filled: 25 * LOT } };
  const out: number[] = [];
  for (let i = 0; i < count + 1_000; i++) {
    const mid = 100_00000000 + (i % 7) * TICK;
    const book = ["SIMX", "SIMY", "SIMZ"].map((venue, v) => ({
      venue,
      instrument: `SIM001.${venue}`,
      bid: mid - (1 + ((i + v) % 2)) * TICK,
      bidSize: (3 + v) * LOT,
      ask: mid + (1 + ((i + v) % 3)) * TICK,
      askSize: (4 + ((i * (v + 1)) % 5)) * LOT,
    }));
    const t0 = performance.now();
    route(book, terms, fills, {
      side: "BUY",
      quantity: 12 * LOT,
      lot: LOT,
      minChild: LOT,
      limitPrice: mid + 5 * TICK,
      latencyBpsPerMs: 0.1,
      missCostBps: 5,
    });
    const t1 = performance.now();
    if (i >= 1_000) out.push((t1 - t0) * 1000);
  }
  return out;
}

const n = Number(process.argv[2] ?? 1_000);
const warm = Math.min(100, Math.floor(n / 10));
const infra = await startTestInfra();
const actorsNc = await connectNats(infra.natsUrl, "bench-actors");
const nc = await connectNats(infra.natsUrl, "bench-driver");
try {
  await declareResources(nc, { replicas: 1 });
  const host = new ActorHost(executionAlgoKind(), `bench-${process.pid}`, {
    nc: actorsNc,
    store: await SnapshotStore.open(actorsNc),
    clock: systemClock,
    log: createLogger({ level: "warn" }),
  });
  await host.incarnate();
  await actorsNc.flush();

  let arrived: ((id: string) => void) | undefined;
  const approved = encodeMessage({ type: "Reply", ok: true });
  const book = nc.subscribe(subjects.cmd("risk-book", "bench"), {
    callback: (_e, m) => {
      const t = performance.now();
      const order = decodeMessage(m.data, m.headers, false).message as unknown as { clientOrderId: string };
      m.respond(approved.data, { headers: approved.headers });
      arrived?.(`${order.clientOrderId} ${t}`);
    },
  });
  const nextChild = () =>
    new Promise<{ id: string; at: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no child order within 5 s")), 5_000);
      arrived = (s) => {
        clearTimeout(timer);
        const [id, at] = s.split(" ");
        resolve({ id: id!, at: Number(at) });
      };
    });
  await nc.flush();

  const now = Date.now() * 1000;
  const first = nextChild();
  const start = encodeMessage({
    type: "StartAlgo",
    instrument: "SIM001.SIMX",
    side: "BUY",
    quantity: (n + warm) * LOT,
    lotSize: LOT,
    limitPrice: 9_000 * TICK,
    params: { algo: "ICEBERG", displayQuantity: LOT, checkEveryMs: 3_600_000 },
    book: "bench",
    strategy: "bench",
    tsEvent: now,
    tsInit: now,
  });
  await nc.request(subjects.cmd("execution-algo", host.id), start.data, { headers: start.headers, timeout: 5_000 });
  let child = await first;
  const us: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n + warm - 1; i++) {
    const t = Date.now() * 1000;
    const fill = encodeMessage({
      type: "OrderFilled",
      clientOrderId: child.id,
      execId: `x${i}`,
      side: "BUY",
      lastQty: LOT,
      lastPx: 9_000 * TICK,
      fee: 0,
      liquidity: "MAKER",
      cumQty: LOT,
      leavesQty: 0,
      avgPx: 9_000 * TICK,
      venueSeq: i,
      tsEvent: t,
      tsInit: t,
    });
    const next = nextChild();
    const t0 = performance.now();
    nc.publish(subjects.evt("order", child.id, "OrderFilled"), fill.data, { headers: fill.headers });
    child = await next;
    if (i >= warm) us.push((child.at - t0) * 1000);
    if (i % 200 === 0) process.stderr.write(`child ${i}/${n + warm}\n`);
  }
  const cpu = process.cpuUsage(cpu0);
  book.unsubscribe();
  await host.stop();

  // raw NATS one way in this process: publish → subscriber callback
  const raw: number[] = [];
  for (let i = 0; i < 500; i++) {
    const got = new Promise<number>((resolve) => {
      const s = nc.subscribe(ONEWAY, {
        max: 1,
        callback: () => resolve(performance.now()),
      });
      void s;
    });
    await nc.flush();
    const t0 = performance.now();
    nc.publish(ONEWAY, new Uint8Array(256));
    raw.push(((await got) - t0) * 1000);
  }
  const p = percentiles(us);
  const r = percentiles(raw);
  const sor = percentiles(routingDecisions(10_000));
  const fixCpu0 = process.cpuUsage();
  const fixWarm = await fixAckRoundTrips(infra.natsUrl, connectNats, Math.min(n, 2_000) + warm);
  const fixCpu = process.cpuUsage(fixCpu0);
  const fix = percentiles(fixWarm.slice(warm));
  const engines = percentiles((await fixEngineRoundTrips(Math.min(n, 2_000) + warm)).slice(warm));
  const echo = percentiles(await tcpEchoRoundTrips(2_000));
  console.log(
    JSON.stringify({
      bench: "execution",
      algoChildP50Us: p.p50,
      algoChildP99Us: p.p99,
      maxUs: p.max,
      children: us.length,
      cpuUsPerChild: Math.round((cpu.user + cpu.system) / (n + warm - 1)),
      // raw NATS publish→subscribe of the same fill on the same server, in the same run
      baseline: { p50Us: r.p50, p99Us: r.p99 },
      ratio: Number((p.p99 / Math.max(1, r.p99)).toFixed(1)),
      // a routing decision over three venues (route(): rank by touch, fee, latency and fill rate, then split)
      sorDecisionP50Us: sor.p50,
      sorDecisionP99Us: sor.p99,
      // FIX NewOrderSingle → ExecutionReport(New) through initiator, loopback TCP, acceptor, NATS and the exchange
      fixAckP50Us: fix.p50,
      fixAckP99Us: fix.p99,
      fixAcks: fixWarm.length - warm,
      fixCpuUsPerAck: Math.round((fixCpu.user + fixCpu.system) / fixWarm.length),
      // a plain TCP echo round trip on loopback, same run: the floor under the FIX figure (which adds a NATS round trip)
      fixBaseline: { tcpEchoP50Us: echo.p50, tcpEchoP99Us: echo.p99, natsOneWayP99Us: r.p99 },
      // where the time goes: the two FIX engines alone (the exchange answered in process, no NATS)
      fixEnginesP50Us: engines.p50,
      fixEnginesP99Us: engines.p99,
      fixRatio: Number((fix.p99 / Math.max(1, echo.p99)).toFixed(1)),
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
    }),
  );
} finally {
  await actorsNc.close();
  await nc.close();
  await infra.stop();
}
