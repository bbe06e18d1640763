/**
 * The chaos drill on a running cluster (cluster.ts): under the demo's own order flow, each fault in turn — kill -9 a
 * nats-server (not the meta leader), kill -9 the node hosting the demo risk book, kill -9 the JetStream meta
 * leader, kill -9 the server leading the event stream AM_EVT (whichever it is) — with the time until a new order is
 * filled again after each, then the reckoning of every acknowledged order and fill across the order journals, the
 * risk book, the exchange and QuestDB.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, Reply, storedSubject, subjects } from "../../../actors/contract/index.ts";
// the message types the drill decodes: order and risk events, the exchange's state snapshot
import { fromNumber } from "../../../actors/domain/index.ts";
import "../../../actors/exchange/index.ts";
import { instrumentCatalogue } from "../../../actors/instrument/index.ts";
import { decodeAs, decodeMessage, decodePayload, Header, encodeMessage, type Message } from "../../nats/codec.ts";
import { connectNats } from "../../nats/connect.ts";
import { readEvents } from "../../nats/event-reader.ts";
import { buckets, streams } from "../../nats/resources.ts";
import { kvKey } from "../../nats/snapshot-store.ts";
import { questdbSql, riskEventsOf } from "../../questdb/index.ts";
import { type RunningCluster, waitForMetaLeader } from "./cluster.ts";

export const faultKinds = ["nats-server", "node", "meta-leader", "event-leader"] as const;
export type FaultKind = (typeof faultKinds)[number];

const VENUE = "SIMX";
const BOOK = "demo";
/** how long the reckoning reads the ledgers again while they disagree (fills still travelling) */
const RECKON_MS = 30_000;
const STRATEGIES = ["trend-1", "meanrev-1", "mm-1"];

export interface FaultReport {
  fault: FaultKind;
  /** the server or node killed */
  target: string;
  /** from the kill to the first fill of an order submitted after it; null: none within the limit */
  resumeMs: number | null;
  /** meta-leader: until another server is the meta leader; node: until another node holds the risk book's lease */
  takeoverMs?: number | null;
  /** a server's kill: the streams and buckets it led, and the time until all had another leader (RAFT elections) */
  ledStreams?: string[];
  electionMs?: number | null;
  /** a server's kill, per stream it led: the time until that stream had another leader */
  elections?: Record<string, number | null>;
  /** a server's kill: until another server was meta leader (0 when it was not the meta leader) */
  metaLeaderMs?: number | null;
  /** a server's kill: until the event stream (every journal append waits on it) had another leader (0: it led elsewhere) */
  eventLeaderMs?: number | null;
  /** streams and buckets of one replica the killed server held: unavailable until it is back */
  unreplicated?: string[];
  /** from the kill to the restarted process being up again */
  restartedAfterMs: number;
  /** approved orders, fills and events in the stream when the fault struck, and at the end of its phase */
  before: Counts;
  after: Counts;
}

interface Counts {
  approved: number;
  fills: number;
  events: number;
}

export interface DrillReport {
  faults: FaultReport[];
  lost: number;
  doubled: number;
  maxResumeMs: number | null;
  fillsAgree: boolean;
  orders: number;
  approved: number;
  /** the drill's own market orders: sent, acknowledged by the risk book (approved), refused or unanswered */
  probe: { sent: number; acknowledged: number; refused: number; unanswered: number; refusals: Record<string, number> };
  /** exchange: the fills it is known to have sent (seen live, or in its execution memory at the end), a lower bound */
  fills: { journal: number; book: number; exchange: number; questdb: number };
  /** what the reckoning found, one line each (empty when all agree) */
  findings: string[];
}

export interface DrillOptions {
  faults: readonly FaultKind[];
  /** the demo market's instruments (the cluster's AM_DEMO_INSTRUMENTS): the probe trades the second */
  instruments: number;
  /** how long the flow runs before the first fault and after each */
  phaseMs: number;
  /** the longest wait for a fill after a fault */
  resumeLimitMs?: number;
  progress?: (line: string) => void;
}

/** Order flow as the drill's own connection sees it: first submission and fills, and approvals, with their times. */
class FlowWatch {
  readonly submittedAt = new Map<string, number>();
  readonly fills: { clientOrderId: string; at: number }[] = [];
  /** fills the exchange sent its venue connection: its execution memory after a move keeps only the last 100 */
  readonly exchangeFills = new Set<string>();
  approved = 0;
  /** reports an order refused for good (the venue connection's VenueReportRefused): why a fill is in no journal */
  readonly refusedReports: string[] = [];

  constructor(nc: NatsConnection) {
    nc.subscribe(subjects.cmd("venue", VENUE), {
      callback: (_e, m) => {
        // the venue connection's other commands come from kinds this process does not register: only reports are ours
        if (m.headers?.get(Header.Type) !== "ExecutionReport") return;
        const r = decodeMessage(m.data, m.headers, true).message as { execId?: string; lastQty?: unknown };
        if (r.execId && Number(r.lastQty) > 0) this.exchangeFills.add(r.execId);
      },
    });
    // stored events, as the platform hears them; wildcards written out: the subject builder escapes "*" as it would an id
    nc.subscribe(storedSubject("am.evt.order.*.OrderSubmitted"), {
      callback: (_e, m) => {
        const id = String(decodeMessage(m.data, m.headers, true).message.clientOrderId);
        if (!this.submittedAt.has(id)) this.submittedAt.set(id, Date.now());
      },
    });
    nc.subscribe(storedSubject("am.evt.order.*.OrderFilled"), {
      callback: (_e, m) =>
        void this.fills.push({ clientOrderId: String(decodeMessage(m.data, m.headers, true).message.clientOrderId), at: Date.now() }),
    });
    nc.subscribe(storedSubject(subjects.evt("risk-book", BOOK, "OrderApproved")), { callback: () => void this.approved++ });
    nc.subscribe(storedSubject(subjects.evt("venue", VENUE, "VenueReportRefused")), {
      callback: (_e, m) => {
        const r = decodeMessage(m.data, m.headers, false).message as { execId?: unknown; clientOrderId?: unknown; code?: unknown };
        this.refusedReports.push(`${r.execId} by ${r.clientOrderId} (${r.code})`);
      },
    });
  }

  /** The time from `since` to the first fill of an order submitted after it. */
  async resumeAfter(since: number, limitMs: number): Promise<number | null> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      const f = this.fills.find((x) => x.at >= since && (this.submittedAt.get(x.clientOrderId) ?? 0) >= since);
      if (f) return f.at - since;
      await sleep(20);
    }
    return null;
  }
}

/**
 * A steady order flow of the drill's own: a market order (1 unit, IOC, BUY and SELL in turn, so the position stays
 * flat) to the demo risk book every PROBE_EVERY_MS, as the gateway sends it. The demo strategies alone fill an
 * order every few seconds, too seldom to time a resume; these fill at once against the exchange's liquidity.
 */
const PROBE_EVERY_MS = 200;
class ProbeFlow {
  /** refusals counted by reason (order ids elided), so a drill's report says why the book or an order refused */
  readonly stats = { sent: 0, acknowledged: 0, refused: 0, unanswered: 0, refusals: {} as Record<string, number> };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly instrument: string,
  ) {}

  start(): void {
    const run = Date.now().toString(36);
    this.timer = setInterval(() => {
      const n = this.stats.sent++;
      const now = Date.now() * 1000;
      const order = {
        type: "SubmitOrder",
        clientOrderId: `drill.${run}.${n}`,
        instrument: this.instrument,
        side: n % 2 === 0 ? "BUY" : "SELL",
        orderType: "MARKET",
        quantity: fromNumber(1),
        timeInForce: "IOC",
        postOnly: false,
        reduceOnly: false,
        strategy: "drill",
        book: BOOK,
        tsEvent: now,
        tsInit: now,
      };
      request(this.nc, "risk-book", BOOK, order, 2_000).then(
        () => void this.stats.acknowledged++,
        (e) => {
          const message = errorMessage(e);
          if (!/refused/.test(message)) return void this.stats.unanswered++;
          this.stats.refused++;
          const reason = message.replace(/drill\.[0-9a-z]+\.\d+/g, "<id>").slice(0, 200);
          this.stats.refusals[reason] = (this.stats.refusals[reason] ?? 0) + 1;
        },
      );
    }, PROBE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function request(nc: NatsConnection, kind: string, id: string, message: Message, timeout = 5_000): Promise<unknown> {
  const { data, headers } = encodeMessage(message);
  const r = await nc.request(subjects.cmd(kind, id), data, { headers, timeout });
  const reply = decodeAs(Reply, r.data, r.headers);
  if (!reply.ok) throw new Error(`${kind}/${id} refused ${message.type}: ${reply.error?.message}`);
  return reply.result;
}

async function pollUntil<T>(probe: () => Promise<T | undefined>, limitMs: number): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(50);
  }
  return undefined;
}

export async function runDrill(cluster: RunningCluster, o: DrillOptions): Promise<DrillReport> {
  const progress = o.progress ?? (() => {});
  const resumeLimitMs = o.resumeLimitMs ?? 60_000;
  const nc = await connectNats(cluster.natsUrl, "drill", { role: "node", credentialsDir: cluster.credentialsDir });
  try {
    const flow = new FlowWatch(nc);
    const probeInstrument = [...instrumentCatalogue(o.instruments).keys()][1];
    if (!probeInstrument) throw new Error(`instruments: ${o.instruments} — the drill's probe needs a demo market of 2 or more`);
    const probe = new ProbeFlow(nc, probeInstrument);
    const jsm = await jetstreamManager(nc);
    const leases = await new Kvm(nc).open(buckets.leases);
    const counts = async (): Promise<Counts> => ({
      approved: flow.approved,
      fills: flow.fills.length,
      events: await jsm.streams
        .info(streams.events)
        .then((i) => i.state.messages)
        .catch(() => Number.NaN),
    });
    const leaders = async (): Promise<Map<string, { leader?: string; replicas: number }>> => {
      const m = new Map<string, { leader?: string; replicas: number }>();
      for await (const i of jsm.streams.list()) m.set(i.config.name, { leader: i.cluster?.leader, replicas: i.config.num_replicas });
      return m;
    };
    const bookHost = async (): Promise<string | undefined> => {
      const e = await leases.get(kvKey("risk-book", BOOK));
      return e?.operation === "PUT" ? (decodePayload(e.value) as { node: string }).node : undefined;
    };

    // the probe starts at once: the demo strategies may have nothing to trade for minutes (a position at the book's
    // limit, a market without a signal), while the probe's market orders fill against the exchange's liquidity
    probe.start();
    const warm = await flow.resumeAfter(Date.now() - 600_000, 120_000);
    if (warm === null)
      throw new Error(
        `no fill within 120 s of the cluster's start: neither the demo strategies nor the probe's ${probe.stats.sent} market orders filled (${probe.stats.acknowledged} acknowledged by the book)`,
      );
    progress(
      `orders flow (${flow.fills.length} fills so far); probe market orders on ${probeInstrument} every ${PROBE_EVERY_MS} ms; ${o.phaseMs / 1000} s before the first fault`,
    );
    await sleep(o.phaseMs);

    const faults: FaultReport[] = [];
    for (const fault of o.faults) {
      const before = await counts();
      let target: string;
      let takeover: Promise<number | null> | undefined;
      let election: Promise<number | null> | undefined;
      let elections: Promise<Record<string, number | null>> | undefined;
      let metaElection: Promise<number | null> | undefined;
      let eventElection: Promise<number | null> | undefined;
      let ledStreams: string[] | undefined;
      let unreplicated: string[] = [];
      let restart: () => Promise<void>;
      const killedAt = Date.now();
      if (fault === "node") {
        const host = await bookHost();
        const node = cluster.nodes.find((n) => n.id === host && n.running) ?? cluster.nodes.find((n) => n.running);
        if (!node) throw new Error("no node process running to kill");
        target = node.id;
        await node.kill();
        takeover = pollUntil(async () => {
          const h = await bookHost();
          return h && h !== target ? Date.now() - killedAt : undefined;
        }, resumeLimitMs).then((v) => v ?? null);
        restart = () => node.start();
      } else {
        const leader = await cluster.metaLeader();
        const led0 = await leaders();
        const pick =
          fault === "meta-leader"
            ? leader
            : fault === "event-leader"
              ? led0.get(streams.events)?.leader
              : cluster.servers.find((s) => s.running && s.name !== leader)?.name;
        const server = cluster.servers.find((s) => s.name === pick && s.running);
        if (!server) throw new Error(`no server to kill for ${fault} (meta leader ${leader ?? "unknown"})`);
        target = server.name;
        const ledBy = [...led0].filter(([, l]) => l.leader === server.name);
        // a stream of one replica has no other server to lead it: it is down until its server is back
        const led = ledBy.filter(([, l]) => l.replicas > 1).map(([name]) => name);
        ledStreams = led;
        unreplicated = ledBy.filter(([, l]) => l.replicas <= 1).map(([name]) => name);
        await server.kill();
        // each stream asked on its own: its leader answers STREAM.INFO, so a meta election does not hide its own
        const elected = (name: string) =>
          pollUntil(async () => {
            const l = (await jsm.streams.info(name)).cluster?.leader;
            return l && l !== target ? Date.now() - killedAt : undefined;
          }, resumeLimitMs).then((v) => v ?? null);
        const perStream = Promise.all(led.map(async (name) => [name, await elected(name)] as const)).then((e) => Object.fromEntries(e));
        elections = perStream;
        election = perStream.then((e) => (Object.values(e).includes(null) ? null : Math.max(0, ...(Object.values(e) as number[]))));
        metaElection =
          leader === target
            ? pollUntil(async () => {
                const l = await cluster.metaLeader();
                return l && l !== target ? Date.now() - killedAt : undefined;
              }, resumeLimitMs).then((v) => v ?? null)
            : Promise.resolve(0);
        eventElection = led.includes(streams.events) ? perStream.then((e) => e[streams.events] ?? null) : Promise.resolve(0);
        if (fault === "meta-leader") takeover = metaElection;
        restart = async () => {
          await server.start();
          await waitForMetaLeader(cluster.servers, 30_000);
        };
      }
      progress(`kill -9 ${fault} ${target} (${before.fills} fills, ${before.approved} approvals so far)`);
      const [resumeMs, takeoverMs, electionMs, perStream, metaLeaderMs, eventLeaderMs] = await Promise.all([
        flow.resumeAfter(killedAt, resumeLimitMs),
        takeover,
        election,
        elections,
        metaElection,
        eventElection,
      ]);
      progress(
        `${fault} ${target}: a new order filled ${resumeMs ?? "never"} ms after the kill${takeoverMs !== undefined ? `; takeover ${takeoverMs ?? "never"} ms` : ""}${ledStreams ? `; new leaders of the ${ledStreams.length} replicated streams it led after ${electionMs ?? "never"} ms (${JSON.stringify(perStream)}); meta leader ${metaLeaderMs ?? "never"} ms, ${streams.events} leader ${eventLeaderMs ?? "never"} ms` : ""}${unreplicated.length ? `; down with it (1 replica): ${unreplicated.join(", ")}` : ""}`,
      );
      await sleep(o.phaseMs / 2);
      await restart();
      const restartedAfterMs = Date.now() - killedAt;
      progress(`${target} up again ${restartedAfterMs} ms after the kill`);
      await sleep(o.phaseMs / 2);
      faults.push({
        fault,
        target,
        resumeMs,
        ...(takeoverMs !== undefined ? { takeoverMs } : {}),
        ...(ledStreams
          ? {
              ledStreams,
              electionMs: electionMs ?? null,
              elections: perStream ?? {},
              metaLeaderMs: metaLeaderMs ?? null,
              eventLeaderMs: eventLeaderMs ?? null,
            }
          : {}),
        ...(unreplicated.length ? { unreplicated } : {}),
        restartedAfterMs,
        before,
        after: await counts(),
      });
    }

    probe.stop();
    progress(`probe: ${JSON.stringify(probe.stats)}`);
    progress("stopping the strategies (open orders canceled), then letting the flow settle");
    for (const id of STRATEGIES) {
      const now = Date.now() * 1000;
      await request(nc, "strategy", id, { type: "StopStrategy", reason: "drill end", tsEvent: now, tsInit: now }).catch((e) =>
        progress(`StopStrategy ${id}: ${errorMessage(e)}`),
      );
    }
    await sleep(5_000);
    const reckoning = await reckon(nc, cluster.questdbUrl, flow.exchangeFills, progress);
    if (flow.refusedReports.length)
      reckoning.findings.push(
        `reports refused by their orders: ${flow.refusedReports.length} (${flow.refusedReports.slice(0, 5).join(", ")})`,
      );
    const resumes = faults.map((f) => f.resumeMs);
    return {
      faults,
      ...reckoning,
      probe: probe.stats,
      maxResumeMs: resumes.includes(null) ? null : Math.max(...(resumes as number[])),
    };
  } finally {
    await nc.close();
  }
}

/**
 * The orders' journals (each order's fills), the book's approvals and the fills it applied. Read again from the
 * start when JetStream answers 503 meanwhile (a stream between leaders just after the last fault), a few times.
 */
async function readJournals(nc: NatsConnection, questdbUrl: string, progress: (line: string) => void) {
  const js = jetstream(nc);
  for (let attempt = 1; ; attempt++) {
    const orders = new Map<string, string[]>();
    // the book's approvals and fills by stream sequence: its journal, then its archive (what compaction purged)
    const book = new Map<number, Record<string, unknown>>();
    try {
      for await (const m of readEvents(js, {
        filter_subjects: [
          "am.evt.order.>",
          subjects.evt("risk-book", BOOK, "OrderApproved"),
          subjects.evt("risk-book", BOOK, "FillApplied"),
        ],
      })) {
        const e = decodeMessage(m.data, m.headers, true).message as Record<string, unknown>;
        if (e.type === "OrderApproved" || e.type === "FillApplied") book.set(m.seq, e);
        else {
          const fills = orders.get(String(e.clientOrderId)) ?? [];
          if (e.type === "OrderFilled") fills.push(String(e.execId));
          orders.set(String(e.clientOrderId), fills);
        }
      }
      for (const a of await riskEventsOf(questdbUrl, BOOK, ["OrderApproved", "FillApplied"]))
        if (!book.has(a.seq)) book.set(a.seq, a.event);
      const events = [...book.values()];
      const approved = new Set(events.filter((e) => e.type === "OrderApproved").map((e) => String(e.clientOrderId)));
      const bookFills = events.filter((e) => e.type === "FillApplied").map((e) => String(e.fillId));
      return { orders, approved, bookFills };
    } catch (e) {
      if (attempt >= 5 || !/503|no responders/i.test(`${(e as { code?: unknown }).code} ${errorMessage(e)}`)) throw e;
      progress(`reading the journals: ${errorMessage(e)}; again in 2 s (attempt ${attempt + 1} of 5)`);
      await sleep(2_000);
    }
  }
}

/**
 * Every order folded from its journal, every fill the book applied, the exchange's executions and QuestDB's fills.
 * The four are read one after another while the last fills of the flow may still travel (exchange → order journal →
 * book → QuestDB), so a fill between two reads shows in one and not yet in the other: all four are read again until
 * they agree, for up to RECKON_MS. A fill lost, doubled or invented stays so, and is reported at the deadline.
 */
async function reckon(
  nc: NatsConnection,
  questdbUrl: string,
  exchangeSent: Set<string>,
  progress: (line: string) => void,
): Promise<Omit<DrillReport, "faults" | "maxResumeMs" | "probe">> {
  const deadline = Date.now() + RECKON_MS;
  for (let round = 1; ; round++) {
    const r = judge(await readLedgers(nc, questdbUrl, exchangeSent, progress));
    if ((r.lost === 0 && r.doubled === 0 && r.fillsAgree) || Date.now() >= deadline) {
      for (const f of r.findings) progress(f);
      return r;
    }
    progress(`reckoning round ${round}: ${r.findings.join("; ") || "fills differ"}; reading all again in 1 s`);
    await sleep(1_000);
  }
}

interface Ledgers {
  orders: Map<string, string[]>;
  approved: Set<string>;
  bookFills: string[];
  exchangeFills: Set<string>;
  questdbFills: Map<string, number>;
}

/** In the order a fill travels: the exchange, then the journals and the book, then QuestDB. */
async function readLedgers(
  nc: NatsConnection,
  questdbUrl: string,
  exchangeSent: Set<string>,
  progress: (line: string) => void,
): Promise<Ledgers> {
  const exchangeFills = new Set([...exchangeSent, ...(await exchangeExecutions(nc))]);
  const { orders, approved, bookFills } = await readJournals(nc, questdbUrl, progress);
  const q = await questdbSql(questdbUrl, "SELECT fill_id, count() n FROM fills GROUP BY fill_id");
  const questdbFills = new Map<string, number>(q.dataset.map((r) => [String(r[0]), Number(r[1])]));
  return { orders, approved, bookFills, exchangeFills, questdbFills };
}

function judge({
  orders,
  approved,
  bookFills,
  exchangeFills,
  questdbFills,
}: Ledgers): Omit<DrillReport, "faults" | "maxResumeMs" | "probe"> {
  const journalFills = [...orders.values()].flat();
  const findings: string[] = [];
  const note = (what: string, ids: string[]) => {
    if (ids.length) findings.push(`${what}: ${ids.length} (${ids.slice(0, 5).join(", ")})`);
  };
  const dupes = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);
  const journalSet = new Set(journalFills);
  const bookSet = new Set(bookFills);
  const lostApprovals = [...approved].filter((id) => !orders.has(id));
  const notInJournal = [...exchangeFills].filter((id) => !journalSet.has(id));
  const notInBook = journalFills.filter((id) => !bookSet.has(id));
  const notInQuestdb = journalFills.filter((id) => !questdbFills.has(id));
  note("approved orders with no order journal", lostApprovals);
  note("exchange fills missing from the order journals", notInJournal);
  note("journal fills the risk book did not apply", notInBook);
  note("journal fills missing from QuestDB", notInQuestdb);
  // no order journal holds these: a fill read after the journals, or one that should not exist
  note(
    "book fills no order journal holds",
    bookFills.filter((id) => !journalSet.has(id)),
  );
  note(
    "QuestDB fills no order journal holds",
    [...questdbFills.keys()].filter((id) => !journalSet.has(id)),
  );
  const doubledJournal = dupes(journalFills);
  const doubledBook = dupes(bookFills);
  const doubledQuestdb = [...questdbFills].filter(([, n]) => n > 1).map(([id]) => id);
  note("fills twice in an order journal", doubledJournal);
  note("fills applied twice by the risk book", doubledBook);
  note("fills twice in QuestDB", doubledQuestdb);
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  // The exchange journals each change before it reports it, but purges that journal at each compaction snapshot, so
  // it keeps no whole ledger to count from (and the drill's live view misses what is sent while its own connection
  // reconnects): what it is known to have sent must be among the fills QuestDB, the book and the journals hold, and
  // those three must be the same set.
  const fillsAgree =
    sameSet(new Set(questdbFills.keys()), bookSet) && sameSet(bookSet, journalSet) && notInJournal.length === 0 && doubledBook.length === 0;
  return {
    lost: lostApprovals.length + notInJournal.length + notInBook.length + notInQuestdb.length,
    doubled: doubledJournal.length + doubledBook.length + doubledQuestdb.length,
    fillsAgree,
    orders: orders.size,
    approved: approved.size,
    fills: { journal: journalFills.length, book: bookFills.length, exchange: exchangeFills.size, questdb: questdbFills.size },
    findings,
  };
}

/** The exchange's fills (executions with a quantity) for our session, asked as a venue connection does after logon. */
async function exchangeExecutions(nc: NatsConnection): Promise<Set<string>> {
  const sub = nc.subscribe(subjects.cmd("venue", VENUE), { max: 50 });
  const { data, headers } = encodeMessage({ type: "AdapterRequestState", venue: VENUE, sinceSeq: 0, nowUs: Date.now() * 1000 });
  nc.publish(subjects.cmd("venue-adapter", VENUE), data, { headers });
  const timer = setTimeout(() => sub.unsubscribe(), 5_000);
  try {
    for await (const m of sub) {
      const msg = decodeMessage(m.data, m.headers, true).message as {
        type: string;
        executions?: { execId: string; lastQty?: unknown }[];
      };
      if (msg.type === "VenueStateSnapshot")
        return new Set((msg.executions ?? []).filter((r) => Number(r.lastQty) > 0).map((r) => r.execId));
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  throw new Error(`exchange ${VENUE} did not answer AdapterRequestState within 5 s`);
}
