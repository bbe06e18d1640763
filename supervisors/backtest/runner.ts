import { isAbsolute, join } from "node:path";
import { mkdir } from "node:fs/promises";
import { type ActorKind, parseInstrumentId, parseSubject, SimulatedClock, subjects } from "../../actors/contract/index.ts";
import { type AlgoTca, asPrice, asQuantity, parseMoney, parsePrice, parseQuantity } from "../../actors/domain/index.ts";
import { executionAlgoKind, LIQUIDATION_STATE } from "../../actors/execution-algo/index.ts";
import { exchangeKind, type FillModel } from "../../actors/exchange/index.ts";
import type { ReplayRecord } from "../../actors/feed/replay/index.ts";
import { simulatorFeedKind } from "../../actors/feed/simulator/index.ts";
import { instrumentKind, type InstrumentDefinition } from "../../actors/instrument/index.ts";
import { orderKind } from "../../actors/order/index.ts";
import { defaultAnalyticsSettings, defaultBookConfig, riskBookKind } from "../../actors/risk-book/index.ts";
import { featuresKind } from "../../actors/features/index.ts";
import { regimeKind } from "../../actors/regime/index.ts";
import { BAR_FACTORS } from "../../actors/domain/index.ts";
import { committedModelNames, committedPoliciesDir, type ModelFile, modelKind, readModelFile } from "../../actors/model/index.ts";
import { strategyKind, strategySamples } from "../../actors/strategy/index.ts";
import { venueKind } from "../../actors/venue/index.ts";
import { encodePayload, type Message, type WireForm, wireForm } from "../../infra/nats/codec.ts";
import { questdbReplaySource } from "../../infra/questdb/replay-source.ts";
import { type Plane, planeOf } from "../runtime/planes.ts";
import { TradingAccount } from "./account.ts";
import { EventJournal } from "./event-journal.ts";
import { SettlingInference } from "./model-inference.ts";
import { SubscriptionIndex } from "./in-memory-bus.ts";
import { ContinuousFutures } from "./continuous-futures.ts";
import { corporateAction, PriceAdjustments, readCorporateActions } from "./corporate-actions.ts";
import { adjustedChunks, csvRecordChunks, mergeInTimeOrder } from "./market-data.ts";
import { parquetRecordChunks } from "./parquet-records.ts";
import { type RecordedBookRecord, recordedBookChunks } from "./l2-records.ts";
import { type Performance, performance } from "./performance.ts";
import type { RunConfig } from "./run-config.ts";
import { type ActorWorld, type Answer, SimulatedActor } from "./simulated-actor.ts";
import { SimulatedTimers } from "./simulated-timers.ts";

/** the feed source of replayed files (am.feed.replay.*) and of the simulator actor (am.feed.sim.*) */
const REPLAY_SOURCE = "replay";
const SIM_SOURCE = "sim";
const US_PER_YEAR = 365.25 * 86_400_000_000;

export interface BacktestProgress {
  simulatedUs: number;
  startUs: number;
  endUs: number;
  records: number;
}

export interface BacktestResult {
  name: string;
  startUs: number;
  endUs: number;
  /** market data records read (bars, quotes, trades; simulator: raw feed messages) */
  records: number;
  /** messages and timer events the actors stepped on */
  actorSteps: number;
  wallMs: number;
  cpuMs: number;
  recordsPerSec: number;
  journal: { sha256: string; events: number };
  deadLetters: number;
  orders: number;
  fills: number;
  fees: number;
  initialEquity: number;
  finalEquity: number;
  pnl: number;
  performance: Performance;
  samples: { tsUs: number; equity: number; drawdown: number; exposure: number }[];
  /** actors hosted over the run, by kind */
  actors: Record<string, number>;
  /** the run's parent orders (`algos`), where it has any: fills, children and TCA */
  algos?: AlgoOutcome[];
}

export class BacktestError extends Error {
  override name = "BacktestError";
}

/** A parent order of the run (`algos`) as its algorithm's events left it: fills, children and its TCA. */
export interface AlgoOutcome {
  id: string;
  algo: string;
  instrument: string;
  side: string;
  /** 1e-8 units */
  quantity: number;
  status: "scheduled" | "working" | "paused" | "completed" | "canceled";
  filled: number;
  children: number;
  /** arrival, interval VWAP and close slippage (bps, positive = a cost), once the parent is done */
  tca: AlgoTca | null;
}

export interface RunOptions {
  /** files of the config are relative to this folder */
  baseDir?: string;
  onProgress?: (p: BacktestProgress) => void;
  /** write events.jsonl here (the config's report.journalFile) */
  journalPath?: string;
  /** models taken from the registry (a version trained and registered, not committed), by the name they serve */
  models?: ReadonlyMap<string, ModelFile>;
}

/**
 * One backtest: the platform's actor kinds (instruments, the simulated exchange, the venue connection, orders, the
 * risk book, strategies, and the simulator feed when it is the data) hosted in this process on an in-memory bus
 * and a simulated clock. Market data enters in event-time order; every message is read as the codec reads it; delayed events,
 * ticks and forwards' retries run on simulated time. Nothing reads the wall clock but the run's own timing.
 */
/** The venue connection with a run's order rate for a venue where the run sets one (venue.orderRatePerSecond). */
function venueConnection(kind: ActorKind, rateOf: (venue: string) => number | undefined): ActorKind {
  return {
    ...kind,
    input: (venue: string) => {
      const rate = rateOf(venue);
      const platform = kind.input!(venue) as object;
      return rate === undefined ? platform : { ...platform, rateCapacity: rate, ratePerSecond: rate };
    },
  };
}

export class Backtest implements ActorWorld {
  readonly clock: SimulatedClock;
  readonly timers = new SimulatedTimers();
  readonly account: TradingAccount;
  private readonly bus = new SubscriptionIndex<SimulatedActor>();
  private readonly broadcasts = new SubscriptionIndex<string>();
  private readonly kinds = new Map<string, ActorKind>();
  private readonly actors = new Map<string, SimulatedActor>();
  private readonly entities = new Map<string, Set<SimulatedActor>>();
  /** done entities awaiting passivation */
  private readonly passivating = new Set<SimulatedActor>();
  private readonly passivated = new Set<string>();
  private readonly ticking = new Map<number, SimulatedActor[]>();
  private readonly lastTickUs = new Map<number, number>();
  private readonly readyQueue: SimulatedActor[] = [];
  private readonly replaySubjects = new Map<string, { feed: string; bar: string; book: string }>();
  /** one-way delay (µs) of messages from one kind to another: sender kind → receiver kind → µs; empty: none */
  private readonly links = new Map<string, Map<string, number>>();
  private readyAt = 0;
  private readonly journal: EventJournal;
  private readonly catalogue: Map<string, InstrumentDefinition>;
  private nextSampleUs: number;
  private readonly sampleUs: number;
  /** actors hosted over the run, by kind (passivated entities included) */
  private readonly hosted: Record<string, number> = {};
  /** each parent order's progress, from its algorithm's events (the report's `algos`) */
  private readonly parents = new Map<string, AlgoOutcome>();
  /** the model actors' inference, where the run has models */
  private inference: SettlingInference | undefined;
  records = 0;
  steps = 0;
  deadLetters = 0;
  orders = 0;

  constructor(
    readonly config: RunConfig,
    private readonly options: RunOptions = {},
  ) {
    this.clock = new SimulatedClock(config.start);
    this.catalogue = new Map(config.instruments.map((d) => [d.id, d]));
    this.journal = new EventJournal(options.journalPath);
    this.sampleUs = config.report.sampleEveryMs * 1000;
    this.nextSampleUs = config.start;
    for (const l of config.latency) {
      if (l.us === 0) continue;
      const to = this.links.get(l.from) ?? new Map<string, number>();
      to.set(l.to, l.us);
      this.links.set(l.from, to);
    }
    this.account = new TradingAccount(
      Number(parseMoney(config.book.initialCash, "book.initialCash")) / 1e8,
      new Map(config.instruments.map((d) => [d.id, d.multiplier])),
    );
    this.host();
  }

  private host(): void {
    const c = this.config;
    const startUs = c.start;
    const venues = [...new Set(c.instruments.map((d) => d.venue))];
    // each venue's own terms where the run names them, the run's `venue` otherwise
    const costs = Object.fromEntries(venues.flatMap((v) => ((c.venues[v] ?? c.venue) ? [[v, c.venues[v] ?? c.venue!]] : [])));
    const exchange = exchangeKind(this.catalogue, costs, c.fills ? Object.fromEntries(venues.map((v) => [v, fillModelOf(c.fills!)])) : {});
    const strategies = new Map(
      c.strategies.map((s) => {
        const ids = s.instruments ?? c.instruments.map((d) => d.id);
        const config = {
          strategyId: s.id,
          book: c.book.id,
          instruments: ids.map((id) => {
            const d = this.catalogue.get(id)!;
            return { id, tickSize: d.priceIncrement, lotSize: d.lotSize };
          }),
          channels: s.channels,
          signals: s.signals,
          regimes: s.regimes,
          ...(s.barType ? { barType: s.barType } : {}),
          parameters: s.parameters,
        };
        return [s.id, { definition: strategySamples[s.sample]!, config, autoStart: false }] as const;
      }),
    );
    const book = defaultBookConfig(c.book.id, {
      initialCash: parseMoney(c.book.initialCash, "book.initialCash"),
      markSource: "MID",
      instruments: c.instruments.map((d) => ({
        instrument: d.id,
        multiplier: d.multiplier,
        sector: d.sector ?? "OTHER",
        assetClass: d.assetClass,
      })),
      limits: c.book.limits,
    });
    const instrument = instrumentKind(this.catalogue);
    const kinds: ActorKind[] = [
      instrument,
      // the runtime, not the machine, numbers a venue session: on the simulated clock here, not the wall clock
      { ...exchange, input: (venue: string) => ({ ...(exchange.input!(venue) as object), seqBase: startUs }) },
      venueConnection(venueKind(), (v) => (c.venues[v] ?? c.venue)?.orderRatePerSecond),
      orderKind(),
      riskBookKind({
        books: new Map([[c.book.id, book]]),
        marked: c.instruments.map((d) => d.id),
        analytics: { ...defaultAnalyticsSettings, everyMs: c.book.analyticsEveryMs },
      }),
      strategyKind({ definitionOf: (id) => strategies.get(id), known: () => [...strategies.keys()] }),
    ];
    // the feature actors' models, and the policies of learned parents (RL), each served by its model actor
    const models = new Map([
      ...(c.features?.models ?? []).map((name) => [name, this.committedModel(name)] as const),
      ...c.algos.flatMap((a) => (a.params.algo === "RL" ? [[a.params.model, learnedPolicy(a.id, a.params.model)] as const] : [])),
    ]);
    if (models.size) {
      // answers come back to the model actor on its command subject, as live
      this.inference = new SettlingInference(models, (name, m) => this.publish(subjects.cmd("model", name), m));
      const batching = { maxBatch: 64, maxWaitMs: 0, timeoutMs: 2_000, loadTimeoutMs: 60_000 };
      kinds.push(modelKind({ modelOf: (n) => models.get(n), known: () => [...models.keys()], batching, port: this.inference }));
    }
    if (c.features) kinds.push(featuresKind({ barType: c.features.barType, models: c.features.models }));
    // the smart router weighs the venues by the fees and latency their exchanges charge, as on a node
    if (c.algos.length) kinds.push(executionAlgoKind({ venues: costs }));
    if (c.regime) {
      const { barType, ...over } = c.regime;
      const defined = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined));
      kinds.push(regimeKind({ barType, ...defined }));
    }
    if (c.data.kind === "simulator") {
      const feed = simulatorFeedKind(this.catalogue);
      const data = c.data;
      kinds.push({
        ...feed,
        input: (id: string) => {
          const base = feed.input!(id) as { simulator: object };
          return { ...base, stepMs: data.stepMs, simulator: { ...base.simulator, seed: data.seed, eventsPerSecond: data.eventsPerSecond } };
        },
      });
    }
    for (const k of kinds) this.kinds.set(k.name, k);
    for (const d of c.instruments) this.spawn(instrument, d.id);
    for (const v of venues) this.spawn(this.kinds.get("exchange")!, v);
    for (const v of venues) this.spawn(this.kinds.get("venue")!, v);
    this.spawn(this.kinds.get("risk-book")!, c.book.id);
    if (c.features) for (const d of c.instruments) this.spawn(this.kinds.get("features")!, d.id);
    if (c.regime) for (const d of c.instruments) this.spawn(this.kinds.get("regime")!, d.id);
    for (const s of c.strategies) this.spawn(this.kinds.get("strategy")!, s.id);
    if (c.data.kind === "simulator") this.spawn(this.kinds.get("feed")!, SIM_SOURCE);
    for (const a of c.algos) this.startParentAt(a);
    for (const [name, k] of this.kinds) for (const b of k.sharding?.wake?.broadcast ?? []) this.broadcasts.subscribe(b, name);
    this.drain();
    for (const s of c.strategies)
      this.publish(subjects.cmd("strategy", s.id), { type: "StartStrategy", reason: "backtest start", tsEvent: startUs, tsInit: startUs });
    this.drain();
  }

  /** A parent's algorithm, spawned now and started at its `at` on the simulated clock (as StartAlgo is live). */
  private startParentAt(a: RunConfig["algos"][number]): void {
    const instrument = this.catalogue.get(a.instrument)!;
    this.spawn(this.kinds.get("execution-algo")!, a.id);
    const quantity = parseQuantity(a.quantity, `algos.${a.id}.quantity`);
    this.parents.set(a.id, {
      id: a.id,
      algo: a.params.algo,
      instrument: a.instrument,
      side: a.side,
      quantity,
      status: "scheduled",
      filled: 0,
      children: 0,
      tca: null,
    });
    this.timers.schedule(a.at, () =>
      this.publish(subjects.cmd("execution-algo", a.id), {
        type: "StartAlgo",
        instrument: a.instrument,
        side: a.side,
        quantity,
        lotSize: instrument.lotSize,
        ...(a.limitPrice !== undefined ? { limitPrice: parsePrice(a.limitPrice, `algos.${a.id}.limitPrice`) } : {}),
        params: a.params,
        book: this.config.book.id,
        strategy: `algo-${a.id}`,
        tsEvent: a.at,
        tsInit: a.at,
      }),
    );
  }

  /**
   * A model the run was given from the registry, else a committed one (models/<name>.onnx and its card), that takes
   * the factor set the feature actors compute.
   */
  private committedModel(name: string): ModelFile {
    const known = committedModelNames();
    const given = this.options.models?.get(name);
    if (!given && !known.includes(name))
      throw new BacktestError(
        `features.models: ${name} is not a committed model (models/: ${known.join(", ")}); a registered one is read with --registry <nats-url>`,
      );
    const m = given ?? readModelFile(name);
    const set = m.card.featureSet;
    if (set.name !== BAR_FACTORS.name || set.version !== BAR_FACTORS.version)
      throw new BacktestError(
        `features.models: ${name} takes ${set.name} v${set.version}, the feature actors compute ${BAR_FACTORS.name} v${BAR_FACTORS.version}`,
      );
    return m;
  }

  /** A hosted actor by `<kind>/<id>` (what the report and tests look at). */
  actor(key: string): SimulatedActor | undefined {
    return this.actors.get(key);
  }

  private spawn(kind: ActorKind, id: string): SimulatedActor {
    const a = new SimulatedActor(kind, id, this);
    this.hosted[kind.name] = (this.hosted[kind.name] ?? 0) + 1;
    this.actors.set(a.key, a);
    for (const s of [subjects.cmd(kind.name, id), ...(kind.consumes?.(id) ?? [])]) this.bus.subscribe(s, a);
    if (kind.tickEveryMs) {
      const period = kind.tickEveryMs * 1000;
      const list = this.ticking.get(period) ?? [];
      list.push(a);
      this.ticking.set(period, list);
      if (!this.lastTickUs.has(period)) this.lastTickUs.set(period, Math.floor(this.clock.nowUs() / period) * period);
    }
    if (kind.sharding) {
      const set = this.entities.get(kind.name) ?? new Set();
      set.add(a);
      this.entities.set(kind.name, set);
    }
    a.start();
    this.followInterest(a);
    return a;
  }

  /** The subjects an actor hears only while its state needs them (kind.interest), followed after each drain as live. */
  private followInterest(a: SimulatedActor): void {
    const want = a.kind.interest?.(a.context);
    if (!want?.length && !a.interest.size) return;
    const next = new Set(want);
    for (const s of a.interest) if (!next.has(s)) this.bus.unsubscribe(s, a);
    for (const s of next) if (!a.interest.has(s)) this.bus.subscribe(s, a);
    a.interest = next;
  }

  // ActorWorld

  publish(subject: string, message: Message, correlationId?: string, from?: SimulatedActor): void {
    // receivers in this process read the message's wire form; only the journal needs its bytes
    const wire = wireForm(message);
    const plane = planeOf(subject);
    const to = plane === "cmd" ? this.commandTarget(subject) : this.bus.match(subject);
    if (plane === "evt") {
      if (subject.startsWith("am.dlq.")) this.deadLetters++;
      else this.observe(subject, message);
      const { type: _type, ...body } = message;
      this.journal.record(subject, message, encodePayload(body));
      const kinds = this.broadcasts.match(subject);
      let heard = to.length;
      for (const kind of kinds) heard += this.entities.get(kind)?.size ?? 0;
      for (const kind of kinds)
        for (const e of this.entities.get(kind) ?? []) this.deliver(from, e, subject, plane, wire, correlationId, heard === 1);
      for (const a of to) this.deliver(from, a, subject, plane, wire, correlationId, heard === 1);
      return;
    }
    if (plane === "md") this.observe(subject, message);
    for (const a of to) this.deliver(from, a, subject, plane, wire, correlationId, to.length === 1);
  }

  request(subject: string, message: Message, answer: Answer, from?: SimulatedActor): void {
    const wire = wireForm(message);
    const to = this.commandTarget(subject);
    if (!to.length) {
      answer({ ok: false, error: { code: "no-responders", message: `no actor takes ${subject} in this backtest` } });
      return;
    }
    const target = to[0]!;
    // the reply travels back over the reverse link
    const back = from && this.links.size ? this.linkUs(target, from) : 0;
    const reply: Answer = back ? (body) => this.timers.schedule(this.clock.nowUs() + back, () => answer(body)) : answer;
    this.deliver(from, target, subject, "cmd", wire, undefined, true, reply);
  }

  private linkUs(from: SimulatedActor, to: SimulatedActor): number {
    return this.links.get(from.kind.name)?.get(to.kind.name) ?? 0;
  }

  /**
   * A message reaches its receiver now, or after the link's delay on the simulated clock (links keep their order:
   * timers fire by due time, then in the order armed). A sharded entity passivated meanwhile is gone, as for a
   * command published to it then.
   */
  private deliver(
    from: SimulatedActor | undefined,
    to: SimulatedActor,
    subject: string,
    plane: Plane,
    wire: WireForm,
    correlationId: string | undefined,
    /** the receiver is the wire form's only one: it reads it without a copy */
    handedOver: boolean,
    answer?: Answer,
  ): void {
    // most runs model no latency: no lookup per message then
    const delay = from && this.links.size ? this.linkUs(from, to) : 0;
    if (!delay) {
      to.receive(subject, plane, wire, correlationId, handedOver, answer);
      return;
    }
    this.timers.schedule(this.clock.nowUs() + delay, () => {
      if (this.actors.get(to.key) === to) to.receive(subject, plane, wire, correlationId, handedOver, answer);
      else answer?.({ ok: false, error: { code: "no-responders", message: `${to.key} was passivated before ${subject} arrived` } });
    });
  }

  ready(actor: SimulatedActor): void {
    if (actor.scheduled) return;
    actor.scheduled = true;
    this.readyQueue.push(actor);
  }

  deadLetter(actor: SimulatedActor, subject: string, code: string, reason: string, messageType: string): void {
    this.publish(subjects.dlq(actor.kind.name, actor.id), {
      type: "DeadLetter",
      kind: actor.kind.name,
      id: actor.id,
      subject,
      code,
      reason,
      messageType,
      payload: new Uint8Array(),
      tsInit: this.clock.nowUs(),
    });
  }

  failed(actor: SimulatedActor, error: Error, eventType: string): never {
    throw new BacktestError(
      `${actor.key} failed on ${eventType} at ${new Date(this.clock.nowUs() / 1000).toISOString()}: ${error.message}`,
    );
  }

  /**
   * A sharded entity with nothing left to do (an order filled or canceled) leaves memory doneIdleMs of simulated
   * time later, as live, so a year of orders runs in bounded memory. The backtest keeps no journal to reactivate it
   * from: a later forward to it is refused ("no-responders") and a published command finds no one, where live it
   * would be replayed and answered as the closed order it is.
   */
  private passivateLater(a: SimulatedActor): void {
    this.passivating.add(a);
    this.timers.schedule(this.clock.nowUs() + (a.kind.sharding?.doneIdleMs ?? 2_000) * 1000, () => {
      this.passivating.delete(a);
      if (!a.idle || !a.kind.sharding?.doneWhen?.(a.context)) return;
      this.actors.delete(a.key);
      this.entities.get(a.kind.name)?.delete(a);
      this.bus.unsubscribe(subjects.cmd(a.kind.name, a.id), a);
      for (const s of a.interest) this.bus.unsubscribe(s, a);
      this.passivated.add(a.key);
    });
  }

  /** The actor of a command subject; a sharded kind's entity is activated by its first command, as live. */
  private commandTarget(subject: string): readonly SimulatedActor[] {
    const to = this.bus.exactly(subject);
    if (to) return to;
    const p = parseSubject(subject);
    const kind = this.kinds.get(p.head);
    if (!kind?.sharding || p.id === undefined) return [];
    if (this.passivated.has(`${kind.name}/${p.id}`)) return [];
    if (kind.name === "order") this.orders++;
    return [this.spawn(kind, p.id)];
  }

  /** What the report's account follows: order submissions and fills, and marks from quotes and bars. */
  private observe(subject: string, m: Message): void {
    const x = m as Message & Record<string, number | string>;
    switch (m.type) {
      case "Quote":
        this.account.mark(x.instrument as string, ((x.bid as number) + (x.ask as number)) / 2);
        return;
      case "Bar":
        this.account.mark(x.instrument as string, x.close as number);
        return;
      case "OrderSubmitted":
        if (subject.startsWith("am.evt.order.")) this.account.orderSubmitted(x.clientOrderId as string, x.instrument as string);
        return;
      case "OrderFilled":
        if (subject.startsWith("am.evt.order."))
          this.account.filled(x.clientOrderId as string, x.side as string, x.lastQty as number, x.lastPx as number, Number(x.fee));
        return;
      case "AlgoStarted":
      case "AlgoChildSent":
      case "AlgoChildFilled":
      case "AlgoPaused":
      case "AlgoResumed":
      case "AlgoCompleted":
      case "AlgoCanceled":
        this.parentEvent(x);
        return;
    }
  }

  private parentEvent(x: Message & Record<string, unknown>): void {
    const p = this.parents.get(x.parentId as string);
    if (!p) return;
    if (x.type === "AlgoChildSent") p.children++;
    else if (x.type === "AlgoChildFilled") p.filled += x.lastQty as number;
    else if (x.type === "AlgoCompleted" || x.type === "AlgoCanceled") {
      p.status = x.type === "AlgoCompleted" ? "completed" : "canceled";
      p.tca = (x.tca as AlgoTca | undefined) ?? null;
    } else p.status = x.type === "AlgoPaused" ? "paused" : "working";
  }

  /** Steps every actor with mail until none has any (each drain is one batch, as on the NATS host). */
  drain(): void {
    const q = this.readyQueue;
    while (this.readyAt < q.length) {
      const a = q[this.readyAt++]!;
      a.scheduled = false;
      const before = a.processed;
      a.drain();
      this.steps += a.processed - before;
      this.followInterest(a);
      if (a.kind.sharding?.doneWhen && !this.passivating.has(a) && a.kind.sharding.doneWhen(a.context)) this.passivateLater(a);
      if (a.mailbox.depth) this.ready(a);
      if (this.readyAt > 4096 && this.readyAt * 2 > q.length) {
        q.splice(0, this.readyAt);
        this.readyAt = 0;
      }
    }
    q.length = 0;
    this.readyAt = 0;
  }

  /**
   * Moves simulated time to `t`: delayed events due by then fire at their own times; equity is sampled at each
   * sample boundary passed. Ticks (bars of quiet instruments, calendars) are delivered once per stretch between
   * inputs, at the last tick boundary reached: nothing else happened in between, so the ticks skipped had nothing
   * to act on but the time, which the last one carries.
   */
  advanceTo(t: number): void {
    while (this.fireDue(t));
    this.passTime(t);
  }

  /** advanceTo, waiting for the models' answers first and after each step: each is answered at its step's time */
  private async advanceSettled(t: number): Promise<void> {
    if (!this.inference) return this.advanceTo(t);
    await this.settle();
    while (this.fireDue(t)) await this.settle();
    this.passTime(t);
    await this.settle();
  }

  /** Fires the delayed events due first, if by `t`, at their time, and drains; false when none is due by then. */
  private fireDue(t: number): boolean {
    const due = this.timers.nextDueUs();
    if (due > t) return false;
    this.passTime(due);
    for (let x = this.timers.takeDue(due); x; x = this.timers.takeDue(due)) x.fire();
    this.drain();
    return true;
  }

  /** Until no inference is unanswered: each answer goes to its model actor, and what follows from it is drained. */
  private async settle(): Promise<void> {
    const inference = this.inference;
    if (!inference) return;
    this.drain();
    while (inference.busy) {
      try {
        await inference.nextAnswer();
      } catch (e) {
        throw new BacktestError(`at ${new Date(this.clock.nowUs() / 1000).toISOString()}: ${(e as Error).message}`);
      }
      this.drain();
    }
  }

  private passTime(t: number): void {
    while (this.nextSampleUs <= t) {
      this.account.sample(this.nextSampleUs);
      this.nextSampleUs += this.sampleUs;
    }
    for (const [period, actors] of this.ticking) {
      const boundary = Math.floor(t / period) * period;
      if (boundary <= this.lastTickUs.get(period)! || boundary < this.clock.nowUs()) continue;
      this.lastTickUs.set(period, boundary);
      this.clock.set(boundary);
      for (const a of actors) a.deliver("tick", { type: "Tick" });
      this.drain();
    }
    if (t > this.clock.nowUs()) this.clock.set(t);
  }

  /** Feeds one market data record: raw ticks to the instruments; a bar to its subscribers after its close quote. */
  feed(r: ReplayRecord | RecordedBookRecord): void {
    this.records++;
    const to = this.feedSubjects(r.instrument);
    // the recorded L2 book goes to the exchange's queue model only: the instruments' market is the data's quotes
    if (r.type === "RecordedBookEvent") {
      this.publish(to.book, r);
      return;
    }
    if (r.type !== "Bar") {
      this.publish(to.feed, r);
      return;
    }
    const d = this.catalogue.get(r.instrument);
    if (!d) throw new BacktestError(`bar of ${r.instrument} at ${r.tsEvent}: the instrument is not in the run's instruments`);
    const half = (this.config.data.kind === "simulator" ? 1 : this.config.data.halfSpreadTicks) * d.priceIncrement;
    const depth = asQuantity(d.lotSize * 1000);
    this.publish(to.feed, {
      type: "RawQuote",
      instrument: r.instrument,
      bid: asPrice(Math.max(d.priceIncrement, r.close - half)),
      bidSize: depth,
      ask: asPrice(r.close + half),
      askSize: depth,
      tsEvent: r.tsEvent,
      tsInit: r.tsInit,
    });
    this.publish(to.bar, r);
  }

  /** An instrument's replay subjects, made once: a year of bars names the same few hundred subjects every minute. */
  private feedSubjects(instrument: string): { feed: string; bar: string; book: string } {
    let to = this.replaySubjects.get(instrument);
    if (!to) {
      const id = parseInstrumentId(instrument);
      to = { feed: subjects.feed(REPLAY_SOURCE, id), bar: subjects.md("bar", id), book: subjects.md("book", id) };
      this.replaySubjects.set(instrument, to);
    }
    return to;
  }

  /** Runs the whole configured span; returns the report's figures. The models' worker threads end with it. */
  async run(): Promise<BacktestResult> {
    try {
      return await this.runSpan();
    } finally {
      await this.inference?.close();
    }
  }

  private async runSpan(): Promise<BacktestResult> {
    const c = this.config;
    const wall0 = performance_now();
    const cpu0 = process.cpuUsage();
    const progress = () =>
      this.options.onProgress?.({ simulatedUs: this.clock.nowUs(), startUs: c.start, endUs: c.end, records: this.records });
    const source = this.recordSource();
    if (source) {
      let lastProgress = 0;
      for await (const chunk of source) {
        for (const r of chunk) {
          if (r.tsEvent < c.start) continue;
          if (r.tsEvent >= c.end) break;
          if (r.tsEvent > this.clock.nowUs()) {
            this.drain();
            // a run without models never waits: its loop stays synchronous between chunks
            if (this.inference) await this.advanceSettled(r.tsEvent);
            else this.advanceTo(r.tsEvent);
          } else if (r.tsEvent < this.clock.nowUs())
            throw new BacktestError(
              `${r.type} of ${r.instrument} at ${r.tsEvent} µs comes after time ${this.clock.nowUs()} µs: each data source must be in time order`,
            );
          this.feed(r);
        }
        this.drain();
        if (this.inference) await this.settle();
        if (this.records - lastProgress >= 100_000) {
          lastProgress = this.records;
          progress();
        }
        if (chunk.length && chunk[chunk.length - 1]!.tsEvent >= c.end) break;
      }
    } else {
      // the simulator feed actor's own Step timer drives the market on simulated time
      const day = 86_400_000_000;
      for (let t = c.start + day; ; t += day) {
        await this.advanceSettled(Math.min(t, c.end - 1));
        progress();
        if (t >= c.end - 1) break;
        await new Promise((r) => setImmediate(r));
      }
      this.records = this.feedPublished();
    }
    this.drain();
    await this.settle();
    await this.advanceSettled(c.end - 1);
    this.account.sample(c.end);
    progress();
    const wallMs = performance_now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    return this.result(wallMs, (cpu.user + cpu.system) / 1000);
  }

  /**
   * Recorded market data in event-time order and in batches, futures rolled into their continuous instruments and
   * prices back-adjusted for corporate actions, with the recorded L2 book of the `l2` queue model merged in; none
   * when the simulator actor is the market.
   */
  private recordSource(): AsyncIterable<(ReplayRecord | RecordedBookRecord)[]> | undefined {
    const source = this.adjustedData();
    const l2 = this.config.fills?.l2;
    if (!source || !l2) return source;
    const base = this.options.baseDir ?? ".";
    return mergeInTimeOrder<ReplayRecord | RecordedBookRecord>([
      source,
      recordedBookChunks(l2.files.map((f) => (isAbsolute(f) ? f : join(base, f)))),
    ]);
  }

  private adjustedData(): AsyncIterable<ReplayRecord[]> | undefined {
    const source = this.recordedData();
    const c = this.config;
    if (!source || (!c.rolls.length && !c.corporateActions)) return source;
    const base = this.options.baseDir ?? ".";
    const actions =
      typeof c.corporateActions === "string"
        ? readCorporateActions(isAbsolute(c.corporateActions) ? c.corporateActions : join(base, c.corporateActions))
        : (c.corporateActions ?? []).map((a, i) => corporateAction({ ...a, exDateUs: a.exDate }, `run config corporateActions.${i}`));
    const adjustments = new PriceAdjustments(actions, this.catalogue, c.end);
    const futures = new ContinuousFutures(
      c.rolls.map((r) => ({ ...r, contracts: r.contracts.map((x) => ({ instrument: x.instrument, expiryUs: x.expiry })) })),
    );
    return adjustedChunks(source, (r) => {
      const rolled = futures.roll(r);
      return rolled && adjustments.adjust(rolled);
    });
  }

  private recordedData(): AsyncIterable<ReplayRecord[]> | undefined {
    const c = this.config;
    const data = c.data;
    if (data.kind === "csv") {
      const base = this.options.baseDir ?? ".";
      return mergeInTimeOrder(data.files.map((f) => csvRecordChunks(isAbsolute(f) ? f : join(base, f))));
    }
    if (data.kind === "parquet") {
      const base = this.options.baseDir ?? ".";
      return mergeInTimeOrder(data.files.map((f) => parquetRecordChunks(isAbsolute(f) ? f : join(base, f), data.batchRows)));
    }
    if (data.kind === "questdb") {
      const records = questdbReplaySource(data.url, {
        // a continuous futures instrument is recorded as its contracts
        instruments: [
          ...c.instruments.map((d) => d.id).filter((id) => !c.rolls.some((r) => r.instrument === id)),
          ...c.rolls.flatMap((r) => r.contracts.map((x) => x.instrument)),
        ],
        quotes: data.quotes,
        trades: data.trades,
        ...(data.barType ? { barType: data.barType } : {}),
        fromUs: c.start,
        toUs: c.end,
        pageSize: data.pageSize,
      });
      return inBatches(records, data.pageSize);
    }
    return undefined;
  }

  private feedPublished(): number {
    const feed = this.actors.get(`feed/${SIM_SOURCE}`);
    return (feed?.context as { published?: number } | undefined)?.published ?? 0;
  }

  private async result(wallMs: number, cpuMs: number): Promise<BacktestResult> {
    const c = this.config;
    const s = this.account.samples;
    const equity = s.map((x) => x.equity);
    const perf = performance({
      equity,
      exposure: s.map((x) => x.exposure),
      tradePnls: this.account.tradePnls,
      tradedNotional: this.account.tradedNotional,
      periodsPerYear: US_PER_YEAR / this.sampleUs,
    });
    let peak = Number.NEGATIVE_INFINITY;
    const sha256 = await this.journal.close();
    const initialEquity = equity[0] ?? 0;
    const finalEquity = equity[equity.length - 1] ?? 0;
    return {
      name: c.name,
      startUs: c.start,
      endUs: c.end,
      records: this.records,
      actorSteps: this.steps,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round(cpuMs),
      recordsPerSec: Math.round(this.records / (wallMs / 1000)),
      journal: { sha256, events: this.journal.count },
      deadLetters: this.deadLetters,
      orders: this.orders,
      fills: this.account.fills,
      fees: round2(this.account.fees),
      initialEquity: round2(initialEquity),
      finalEquity: round2(finalEquity),
      pnl: round2(finalEquity - initialEquity),
      performance: perf,
      samples: s.map((x) => {
        peak = Math.max(peak, x.equity);
        return { tsUs: x.tsUs, equity: x.equity, drawdown: peak > 0 ? 1 - x.equity / peak : 0, exposure: x.exposure };
      }),
      actors: { ...this.hosted },
      ...(this.parents.size ? { algos: [...this.parents.values()].map((p) => ({ ...p })) } : {}),
    };
  }
}

/** Records of a one-by-one stream in arrays of up to `size`, so the run loop pays the await once per batch. */
async function* inBatches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const x of items) {
    batch.push(x);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** A learned parent's policy: a committed execution policy (models/rl) whose input is the liquidation state. */
function learnedPolicy(parentId: string, name: string): ModelFile {
  const known = committedModelNames(committedPoliciesDir.pathname);
  if (!known.includes(name))
    throw new BacktestError(`algos.${parentId}.params.model: ${name} is not a committed policy (models/rl: ${known.join(", ")})`);
  const m = readModelFile(name, committedPoliciesDir.pathname);
  const set = m.card.featureSet;
  if (set.name !== LIQUIDATION_STATE.name || set.version !== LIQUIDATION_STATE.version)
    throw new BacktestError(
      `algos.${parentId}.params.model: ${name} takes ${set.name} v${set.version}, a learned parent serves ${LIQUIDATION_STATE.name} v${LIQUIDATION_STATE.version}`,
    );
  return m;
}

/** The run configuration's fill model as the exchange takes it (quantities in fixed-point units). */
function fillModelOf(f: NonNullable<RunConfig["fills"]>): FillModel {
  const s = f.slippage;
  return {
    queue: f.queue,
    slippage:
      s.model === "square-root"
        ? { model: "square-root", coefficientBps: s.coefficientBps, volume: parseQuantity(s.volume, "fills.slippage.volume") }
        : s,
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const performance_now = (): number => globalThis.performance.now();

/** Runs a configured backtest; with `report.outDir`, writes its files there first (see report-files.ts). */
export async function runBacktest(config: RunConfig, options: RunOptions = {}): Promise<BacktestResult> {
  if (options.journalPath) await mkdir(join(options.journalPath, ".."), { recursive: true });
  return new Backtest(config, options).run();
}
