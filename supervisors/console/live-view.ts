// Over 400 lines on purpose: one projection of the platform's subjects into the console's frames (tree, health, quotes, orders, books, models), sharing one push and dirty-tracking path.
import { jetstreamManager } from "@nats-io/jetstream";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { formatFixed } from "../../actors/domain/index.ts";
import { appendedSubject, errorMessage, parseSubject, storedSubject, subjects } from "../../actors/contract/index.ts";
import { BucketKeys } from "../../infra/nats/bucket-keys.ts";
import { decodeMessage, type Message } from "../../infra/nats/codec.ts";
import { buckets, streams } from "../../infra/nats/resources.ts";
import { parseKvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { gatherTree, riskReport } from "./admin-relay.ts";
import { AnalyticsView } from "./analytics-view.ts";
import { probeHealth } from "./health.ts";
import { ModelServingReported } from "../../actors/model/index.ts";
import { ModelRegistry } from "../../infra/models/index.ts";
import { modelRows, servingView, trainingJobRows } from "./model-view.ts";
import { TrainingJobs } from "../research/index.ts";
import type { Health, LifecycleRow, ModelServingView, ModelsFrame, NodeTree, QuoteRow } from "./protocol.ts";
import { venueEventRow } from "./venue-events.ts";

/** What the console pushes to browsers; `droppable` frames may be skipped for a browser that lags behind. */
export type Push = (frame: Record<string, unknown>, droppable: boolean) => void;

export interface LiveViewOptions {
  nc: NatsConnection;
  natsMonitorUrl?: string;
  questdbUrl?: string;
  /** risk books whose report is fetched even before one of their events is seen */
  books?: string[];
  treeIntervalMs: number;
  healthIntervalMs: number;
  /** quotes go out at most once per interval per instrument (250 ms: ≤ 4 a second) */
  quoteIntervalMs: number;
  riskIntervalMs: number;
  /** who watches the declared actors (the node serving the console): names the watch's consumer */
  owner: string;
  log: Logger;
}

interface BookView {
  book: string;
  positions: Map<string, Record<string, unknown>>;
  alerts: Record<string, unknown>[];
  events: Record<string, unknown>[];
  killSwitch: { engaged: boolean; scope?: string; by?: string; reason?: string; tsEvent?: number } | null;
  report?: unknown;
  reportError?: string;
}

/** Fixed-point fields (1e-8 units) shown as decimals. Money arrives as bigint and is always formatted. */
const unitKeys = new Set([
  "quantity",
  "price",
  "stopPrice",
  "lastQty",
  "lastPx",
  "cumQty",
  "leavesQty",
  "avgPx",
  "avgPrice",
  "fee",
  "mark",
  "bid",
  "ask",
  "bidSize",
  "askSize",
  "triggerPx",
  "last",
]);

/**
 * A risk report's fixed-point fields besides those (actors/risk-book/report.ts): its money, and the quantity an open
 * order still reserves. A reply's result has no schema to restore bigints from, and msgpack carries a safe one as a
 * plain integer, so money within ±2^53 units (±90 million) arrives as a number and is known by its name.
 */
const reportUnitKeys = new Set([
  ...unitKeys,
  "cash",
  "equity",
  "realised",
  "unrealised",
  "fees",
  "net",
  "daily",
  "highWaterMark",
  "drawdown",
  "marketValue",
  "cost",
  "unrealisedPnl",
  "realisedPnl",
  "gross",
  "value",
  "warn",
  "hard",
  "remaining",
]);

/** Formats fixed-point values for display, recursively: bigints always, integers under one of `keys`. */
export function displayUnits(v: unknown, key = "", keys: ReadonlySet<string> = unitKeys): unknown {
  if (typeof v === "bigint") return formatFixed(v);
  if (typeof v === "number" && keys.has(key) && Number.isInteger(v)) return formatFixed(v);
  if (Array.isArray(v)) return v.map((x) => displayUnits(x, "", keys));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, displayUnits(x, k, keys)]));
  return v;
}

function pushRing<T>(ring: T[], item: T, max: number): void {
  ring.push(item);
  if (ring.length > max) ring.splice(0, ring.length - max);
}

const HISTORY = 600;
/** An order event after which the order takes no more instructions. */
const closesOrder = (m: Message): boolean =>
  m.type === "OrderCanceled" || m.type === "OrderRejected" || m.type === "OrderExpired" || (m.type === "OrderFilled" && m.leavesQty === 0);
const nowUs = () => Date.now() * 1000;

/**
 * The console's picture of the running system, fed by NATS (am.sys, am.md.quote, am.evt.order, am.evt.risk-book,
 * am.evt.venue) and by polling the admin tree, risk reports and health. Quotes are conflated per instrument so a
 * fast market cannot flood a browser.
 */
export class LiveView {
  private subs: Subscription[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private clients = 0;

  private tree: NodeTree[] = [];
  private treeAt = 0;
  private health: Health | undefined;
  private readonly lifecycle: LifecycleRow[] = [];
  private readonly byActor = new Map<string, LifecycleRow[]>();
  /**
   * By subject. A quote is kept as it came and decoded only at the next flush: a fast market sends many quotes per
   * instrument between two flushes, and only the last is shown.
   */
  private readonly quotes = new Map<
    string,
    { latest: Msg | undefined; updates: number; row: QuoteRow | undefined; history: [number, number][] }
  >();
  private readonly orders: Record<string, unknown>[] = [];
  private pendingOrders: Record<string, unknown>[] = [];
  /** OrderFilled and later events carry no instrument: remembered from OrderSubmitted until the order closes */
  private readonly orderInfo = new Map<string, { instrument: string; side: string; strategy: string; book: string }>();
  private readonly books = new Map<string, BookView>();
  private readonly dirtyBooks = new Set<string>();
  /** each model actor's latest report (am.sys.model-stats.<model>) */
  private readonly modelReports = new Map<string, ModelServingView>();
  private models: ModelsFrame | undefined;
  private registry: Promise<ModelRegistry> | undefined;
  private trainingJobs: Promise<TrainingJobs> | undefined;
  /** the actors declared to run (config `actors.>`), by one watch: health compares them with the tree */
  private readonly declared: BucketKeys;
  private declaredKnown = false;
  /** each book's risk analytics and the proposals waiting for an operator */
  private readonly analytics: AnalyticsView;

  constructor(
    private readonly o: LiveViewOptions,
    private readonly push: Push,
  ) {
    for (const b of o.books ?? []) this.bookView(b);
    this.analytics = new AnalyticsView(o.nc, push, o.log);
    this.declared = new BucketKeys(o.nc, { bucket: buckets.config, filter: "actors.>", owner: o.owner, log: o.log });
  }

  start(): void {
    const sub = (subject: string, on: (m: Message, subject: string) => void) =>
      this.subs.push(
        this.o.nc.subscribe(storedSubject(subject), {
          callback: (_e, msg) => {
            const m = this.decoded(msg.data, msg.headers, msg.subject);
            if (m) on(m, appendedSubject(msg.subject));
          },
        }),
      );
    sub(subjects.sysAll(), (m) => (m.type === ModelServingReported.type ? this.onModelReport(m) : this.onLifecycle(m)));
    this.subs.push(this.o.nc.subscribe(subjects.mdAll("quote"), { callback: (_e, msg) => this.onQuote(msg) }));
    sub(subjects.evtAll("order"), (m, s) => this.onOrderEvent(m, s));
    sub(subjects.evtAll("risk-book"), (m, s) => this.onRiskEvent(m, s));
    sub(subjects.evtAll("venue"), (m, s) => this.onVenueEvent(m, s));
    this.readVenueHistory().catch((e) => {
      if (!this.stopped)
        this.o.log.warn("console cannot read the venues' journalled events: it shows those that follow", {
          stream: streams.events,
          error: errorMessage(e),
        });
    });
    this.analytics.start();
    this.every(this.o.quoteIntervalMs, () => this.flush());
    this.loop(this.o.treeIntervalMs, () => this.pollTree());
    this.loop(this.o.healthIntervalMs, () => this.pollHealth());
    this.loop(this.o.riskIntervalMs, () => this.pollRisk());
    this.loop(this.o.healthIntervalMs, () => this.pollModels());
    this.declared.start().then(
      () => {
        this.declaredKnown = true;
      },
      (e) =>
        this.o.log.warn("console cannot read the declared actors: health checks nodes and the tree only", {
          bucket: buckets.config,
          error: errorMessage(e),
        }),
    );
  }

  /** Polling costs the cluster work; it runs only while a browser watches. */
  watchers(delta: 1 | -1): void {
    this.clients += delta;
  }

  snapshot(): Record<string, unknown> {
    return {
      type: "snapshot",
      tree: this.tree,
      treeAt: this.treeAt,
      lifecycle: this.lifecycle.slice(-200),
      quotes: [...this.quotes.values()].flatMap((q) => (q.row ? [{ ...q.row, history: q.history }] : [])),
      orders: this.orders.slice(-200),
      books: [...this.books.values()].map((b) => this.bookFrame(b)),
      health: this.health ?? null,
      models: this.models ?? null,
      ...this.analytics.snapshot(),
    };
  }

  actorEvents(kind: string, id: string): LifecycleRow[] {
    return this.byActor.get(`${kind}/${id}`) ?? [];
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  /** Runs `fn` every `ms` without overlap: the next round starts only after the previous one ended. */
  private loop(ms: number, fn: () => Promise<void>): void {
    const slot = this.timers.length;
    const round = async () => {
      if (this.stopped) return;
      if (this.clients > 0) await fn().catch((e) => this.o.log.warn("console poll failed", { error: errorMessage(e) }));
      if (!this.stopped) this.timers[slot] = setTimeout(round, ms);
    };
    this.timers[slot] = setTimeout(round, 0);
  }

  /** Runs a tree poll now (a browser that just connected, or after an operator action). */
  async refreshTree(): Promise<void> {
    await this.pollTree();
  }

  private async pollTree(): Promise<void> {
    this.tree = await gatherTree(this.o.nc);
    // Contexts carry fixed-point prices and sizes (e.g. an instrument's top of book): shown as decimals.
    for (const n of this.tree)
      for (const c of n.cells ?? [])
        for (const k of c.kinds ?? []) for (const a of k.actors ?? []) if (a.context !== undefined) a.context = displayUnits(a.context);
    this.treeAt = Date.now();
    this.push({ type: "tree", nodes: this.tree, at: this.treeAt }, true);
    const strategies = this.tree.flatMap((n) =>
      (n.cells ?? []).flatMap((c) => (c.kinds ?? []).flatMap((k) => (k.kind === "strategy" ? (k.actors ?? []).map((a) => a.id) : []))),
    );
    await this.analytics.askStrategies(strategies, this.treeAt);
  }

  private async pollHealth(): Promise<void> {
    // The first health must not call a cluster empty only because the tree was not asked yet.
    if (!this.treeAt) await this.pollTree();
    const declared = this.declaredKnown
      ? this.declared.keys().map((k) => {
          const r = parseKvKey(k.slice("actors.".length));
          return `${r.kind}/${r.id}`;
        })
      : undefined;
    this.health = await probeHealth({
      nc: this.o.nc,
      natsMonitorUrl: this.o.natsMonitorUrl,
      questdbUrl: this.o.questdbUrl,
      cluster: { tree: this.tree, declared },
    });
    this.push({ type: "health", health: this.health }, true);
  }

  private async pollRisk(): Promise<void> {
    await Promise.all(
      [...this.books.values()].map(async (b) => {
        const r = await riskReport(this.o.nc, b.book, nowUs());
        if (r.ok) {
          b.report = displayUnits(r.result, "", reportUnitKeys);
          b.reportError = undefined;
        } else b.reportError = r.error?.message ?? "no report";
        this.dirtyBooks.add(b.book);
      }),
    );
    await this.analytics.askBooks([...this.books.keys()], Date.now());
  }

  /** The registry's versions and challenges joined with the actors' latest reports; a registry that cannot be read says why. */
  async pollModels(): Promise<void> {
    let registryError: string | null = null;
    let cards: Awaited<ReturnType<ModelRegistry["list"]>> = [];
    let challenges: Awaited<ReturnType<ModelRegistry["challenges"]>> = [];
    try {
      this.registry ??= ModelRegistry.open(this.o.nc);
      const registry = await this.registry;
      [cards, challenges] = await Promise.all([registry.list(), registry.challenges()]);
    } catch (e) {
      this.registry = undefined;
      registryError = `model registry: ${errorMessage(e)}`;
    }
    let jobs: ModelsFrame["jobs"] = [];
    try {
      // read only: the console never runs a job (no adoption), it lists what the nodes journal
      this.trainingJobs ??= this.registry?.then((r) => TrainingJobs.open(this.o.nc, r));
      const all = await this.trainingJobs;
      if (all) jobs = trainingJobRows(await all.list(20));
    } catch (e) {
      this.trainingJobs = undefined;
      registryError ??= `training jobs: ${errorMessage(e)}`;
    }
    this.models = { models: modelRows(cards, this.modelReports, challenges), jobs, registryError, at: Date.now() };
    this.push({ type: "models", ...this.models }, true);
  }

  private onModelReport(m: Message): void {
    const r = ModelServingReported.schema.safeParse(m);
    if (r.success) this.modelReports.set(r.data.model, servingView(r.data, Date.now()));
  }

  private onLifecycle(m: Message): void {
    if (m.type !== "ActorLifecycle") return;
    const row: LifecycleRow = {
      event: String(m.event),
      node: String(m.node),
      kind: String(m.kind),
      id: String(m.id),
      restarts: Number(m.restarts ?? 0),
      ...(m.reason ? { reason: String(m.reason) } : {}),
      tsEvent: Number(m.tsEvent ?? nowUs()),
    };
    this.record(row);
  }

  /** A venue connection's event, in the same log as the lifecycle and in the venue's own history (its detail). */
  private onVenueEvent(m: Message, subject: string): void {
    const row = this.venueRow(m, subject);
    if (row) this.record(row);
  }

  private venueRow(m: Message, subject: string): LifecycleRow | undefined {
    const venue = parseSubject(subject).id;
    return venue ? venueEventRow(m, venue) : undefined;
  }

  /**
   * The latest of each kind of event of every venue connection, as the journal holds them: a console started after
   * a refused report or a kill switch still shows it (in the log and in the venue's history); the subscription
   * hears what follows, and an event it heard first is not shown twice.
   */
  private async readVenueHistory(): Promise<void> {
    const jsm = await jetstreamManager(this.o.nc);
    const info = await jsm.streams.info(streams.events, { subjects_filter: subjects.evtAll("venue") });
    const rows: LifecycleRow[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      if (this.stopped) return;
      const m = await jsm.direct.getMessage(streams.events, { last_by_subj: subject });
      const message = m ? this.decoded(m.data, m.header, subject) : undefined;
      const row = message ? this.venueRow(message, subject) : undefined;
      if (row) rows.push(row);
    }
    rows.sort((a, b) => a.tsEvent - b.tsEvent);
    for (const row of rows) {
      const heard = this.byActor.get(`venue/${row.id}`)?.some((r) => r.event === row.event && r.tsEvent === row.tsEvent);
      if (!heard && !this.stopped) this.record(row);
    }
  }

  private record(row: LifecycleRow): void {
    pushRing(this.lifecycle, row, 1000);
    const key = `${row.kind}/${row.id}`;
    let mine = this.byActor.get(key);
    if (!mine) {
      if (this.byActor.size >= 20_000) this.byActor.delete(this.byActor.keys().next().value as string);
      mine = [];
      this.byActor.set(key, mine);
    }
    pushRing(mine, row, 50);
    this.push({ type: "lifecycle", event: row }, false);
  }

  private onQuote(msg: Msg): void {
    const q = this.quotes.get(msg.subject);
    if (q) {
      q.latest = msg;
      q.updates++;
    } else this.quotes.set(msg.subject, { latest: msg, updates: 1, row: undefined, history: [] });
  }

  /** The message, unvalidated (the console shows, it does not act); undefined, and a debug line, when it does not decode. */
  private decoded(data: Uint8Array, headers: MsgHdrs | undefined, subject: string): Message | undefined {
    try {
      return decodeMessage(data, headers, false).message;
    } catch (e) {
      this.o.log.debug("console skipped a message it cannot decode", { subject, error: errorMessage(e) });
      return undefined;
    }
  }

  /** The row of an instrument's latest quote, or undefined when it cannot be shown (undecodable, no prices). */
  private quoteRow(msg: Msg, updates: number): QuoteRow | undefined {
    const m = this.decoded(msg.data, msg.headers, msg.subject);
    if (!m) return undefined;
    const bid = Number(m.bid);
    const ask = Number(m.ask);
    if (!Number.isFinite(bid) || !Number.isFinite(ask)) return undefined;
    const instrument = typeof m.instrument === "string" ? m.instrument : (parseSubject(msg.subject).id ?? msg.subject);
    const midUnits = Math.round((bid + ask) / 2);
    return {
      instrument,
      bid: formatFixed(bid),
      ask: formatFixed(ask),
      bidSize: formatFixed(Number(m.bidSize ?? 0)),
      askSize: formatFixed(Number(m.askSize ?? 0)),
      mid: formatFixed(midUnits),
      spreadBps: midUnits > 0 ? Math.round(((ask - bid) / midUnits) * 1e6) / 100 : 0,
      crossed: Boolean(m.crossed) || bid >= ask,
      seq: Number(m.seq ?? 0),
      tsEvent: Number(m.tsEvent ?? 0),
      updates,
    };
  }

  private onOrderEvent(m: Message, subject: string): void {
    const p = parseSubject(subject);
    const clientOrderId = String(m.clientOrderId ?? p.id ?? "");
    if (m.type === "OrderSubmitted") {
      if (this.orderInfo.size >= 10_000) this.orderInfo.delete(this.orderInfo.keys().next().value as string);
      this.orderInfo.set(clientOrderId, {
        instrument: String(m.instrument),
        side: String(m.side),
        strategy: String(m.strategy),
        book: String(m.book),
      });
    }
    const info = this.orderInfo.get(clientOrderId);
    if (closesOrder(m)) this.orderInfo.delete(clientOrderId);
    const { type, ...fields } = m;
    const row = { event: p.event ?? type, ...(info ?? {}), ...(displayUnits(fields) as Record<string, unknown>), clientOrderId };
    pushRing(this.orders, row, 500);
    this.pendingOrders.push(row);
    if (this.pendingOrders.length > 200) this.pendingOrders.splice(0, this.pendingOrders.length - 200);
  }

  private bookView(book: string): BookView {
    let b = this.books.get(book);
    if (!b) {
      b = { book, positions: new Map(), alerts: [], events: [], killSwitch: null };
      this.books.set(book, b);
    }
    return b;
  }

  private onRiskEvent(m: Message, subject: string): void {
    const p = parseSubject(subject);
    if (!p.id) return;
    const b = this.bookView(p.id);
    const { type, ...fields } = m;
    const row: Record<string, unknown> = { event: p.event ?? type, ...(displayUnits(fields) as Record<string, unknown>) };
    // A limit alert measures money: its value and threshold are fixed-point whatever integer type carried them.
    if (typeof row.limit === "string" && row.event !== "OrderDenied")
      for (const k of ["value", "threshold"] as const) if (typeof row[k] === "number") row[k] = formatFixed(row[k]);
    // A denial's limit and value are in the unit of its reason (quantity, money, bps, a count): its message says them.
    if (row.event === "OrderDenied") {
      delete row.limit;
      delete row.value;
    }
    pushRing(b.events, row, 100);
    switch (row.event) {
      case "PositionChanged":
        b.positions.set(`${row.instrument}/${row.leg}`, row);
        break;
      case "LimitWarning":
      case "LimitBreached":
      case "LimitCleared":
      case "OrderDenied":
        pushRing(b.alerts, row, 100);
        break;
      case "KillSwitchEngaged":
        b.killSwitch = { engaged: true, scope: String(m.scope), by: String(m.by), reason: String(m.reason), tsEvent: Number(m.tsEvent) };
        pushRing(b.alerts, row, 100);
        break;
      case "KillSwitchReleased":
        b.killSwitch = { engaged: false, scope: String(m.scope), by: String(m.by), tsEvent: Number(m.tsEvent) };
        pushRing(b.alerts, row, 100);
        break;
    }
    this.dirtyBooks.add(b.book);
  }

  private bookFrame(b: BookView): Record<string, unknown> {
    return {
      book: b.book,
      positions: [...b.positions.values()],
      alerts: b.alerts.slice(-50),
      events: b.events.slice(-50),
      killSwitch: b.killSwitch,
      report: b.report ?? null,
      reportError: b.reportError ?? null,
    };
  }

  /** One tick of the outbound pump: conflated quotes, batched order events, changed books. */
  private flush(): void {
    const quotes: QuoteRow[] = [];
    const t = Date.now();
    for (const q of this.quotes.values()) {
      if (!q.latest) continue;
      const row = this.quoteRow(q.latest, q.updates);
      q.latest = undefined;
      if (!row) continue;
      q.row = row;
      quotes.push(row);
      const mid = Number(row.mid);
      q.history.push([t, mid]);
      if (q.history.length > HISTORY) q.history.splice(0, q.history.length - HISTORY);
    }
    if (quotes.length) this.push({ type: "quotes", quotes, at: t }, true);
    if (this.pendingOrders.length) {
      this.push({ type: "orders", orders: this.pendingOrders }, false);
      this.pendingOrders = [];
    }
    for (const book of this.dirtyBooks) {
      const b = this.books.get(book);
      if (b) this.push({ type: "book", ...this.bookFrame(b) }, true);
    }
    this.dirtyBooks.clear();
  }

  stop(): void {
    this.stopped = true;
    void this.declared.stop();
    this.analytics.stop();
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
