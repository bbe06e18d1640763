/**
 * The pure core of a strategy actor: one strategy instance, its ledger, parameters and order ids. The machine
 * decides *whether* data reaches the strategy and whether its intents become orders; this class does the work.
 * Nothing here is caught: an exception from strategy code propagates to the machine, which fails the actor.
 */
import {
  asQuantity,
  type Bar,
  type BarFactors,
  type ModelForecast,
  type Quantity,
  type Quote,
  type StrategyBookView,
  type StrategyOrderEvent,
  type StrategyPositionReconciled,
  type Trade,
} from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import type { RegimeEstimated } from "../regime/index.ts";
import { ClientOrderIds } from "./client-order-ids.ts";
import { parseStrategyConfig, type StrategyConfig, type StrategyConfigInput, StrategyConfigError } from "./config.ts";
import { type LedgerRecord, StrategyLedger } from "./ledger.ts";
import { cancelAll, type OrderRouting, riskBookSubject, routeIntents } from "./order-intents.ts";
import { mergeParameters, type ParameterResult } from "./parameters.ts";
import { OperatorApprovals, type ProposalRecord } from "./proposals.ts";
import type { Intent, Intents, OpenOrderView, Strategy, StrategyContext, StrategyDefinition, StrategyInstrument } from "./strategy.ts";

/** The one context object strategy code sees; reused for every call to keep the hot path allocation-free. */
class LiveContext implements StrategyContext<unknown> {
  nowUs = 0;
  constructor(
    readonly strategyId: string,
    public params: unknown,
    readonly instruments: readonly StrategyInstrument[],
    private readonly specs: ReadonlyMap<string, StrategyInstrument>,
    private readonly ledger: StrategyLedger,
  ) {}
  instrument(id: string): StrategyInstrument {
    const s = this.specs.get(id);
    if (!s) throw new StrategyConfigError(`instrument ${id} is not traded by strategy ${this.strategyId}`);
    return s;
  }
  position(instrument: string): Quantity {
    return this.ledger.position(instrument);
  }
  openOrders(instrument: string): readonly OpenOrderView[] {
    return this.ledger.openOrders(instrument);
  }
}

export type MarketDataEvent =
  | (Quote & { type: "Quote" })
  | (Trade & { type: "Trade" })
  | (Bar & { type: "Bar" })
  | (BarFactors & { type: "BarFactors" })
  | (ModelForecast & { type: "ModelForecast" })
  | (RegimeEstimated & { type: "RegimeEstimated" });

/**
 * A session as plain data, the strategy actor's snapshot. Positions and open orders are kept as they are; the
 * strategy's own objects (indicators) are not serialisable in general, so the latest market data it was fed is
 * kept instead and fed to a fresh instance again, without trading, when the session is restored.
 */
export interface SessionRecord {
  strategyId: string;
  params: unknown;
  ledger: LedgerRecord;
  started: boolean;
  lastNowUs: number;
  timerDueUs: number;
  /** oldest first */
  recent: { event: MarketDataEvent; nowUs: number }[];
  /** when the session last asked its book what the book holds of it (0: never) */
  viewAskedUs: number;
  /** the proposal waiting for an operator, if any (absent in snapshots taken before approval mode existed) */
  proposals?: ProposalRecord;
}

type Reconciled = StrategyPositionReconciled & { type: "StrategyPositionReconciled" };

export class StrategySession {
  readonly config: StrategyConfig;
  readonly ledger: StrategyLedger;
  readonly ids: ClientOrderIds;
  readonly specs: ReadonlyMap<string, StrategyInstrument>;
  private readonly routing: OrderRouting;
  /** proposals of a strategy in operator approval mode */
  readonly approvals: OperatorApprovals;
  private readonly view: LiveContext;
  private strategy: Strategy<unknown> | null = null;
  /** latest runtime time seen; the timer's clock */
  lastNowUs = 0;
  timerDueUs = 0;
  /** the latest market data the strategy was fed, a ring of config.rebuildEvents; `head` is the oldest */
  private readonly recent: { event: MarketDataEvent; nowUs: number }[] = [];
  private head = 0;
  viewAskedUs = 0;
  /** restored: the first event handled starts a new order-id session */
  private renewIds = false;
  private readonly wantsQuotes: boolean;
  private readonly wantsTrades: boolean;
  private readonly wantsBars: boolean;
  private readonly wantsFactors: boolean;

  constructor(
    readonly definition: StrategyDefinition<unknown>,
    configInput: StrategyConfigInput,
  ) {
    this.config = parseStrategyConfig(configInput);
    const initial = mergeParameters(definition.parameters, undefined, this.config.parameters, definition.name);
    if (!initial.ok) throw new StrategyConfigError(`strategy ${this.config.strategyId}: ${initial.error.message}`);
    this.specs = new Map(this.config.instruments.map((i) => [i.id, i]));
    this.ledger = new StrategyLedger(this.config.initialPositions);
    this.ids = new ClientOrderIds(this.config.strategyId);
    this.routing = {
      strategyId: this.config.strategyId,
      book: this.config.book,
      riskSubject: riskBookSubject(this.config.book),
      specs: this.specs,
      ids: this.ids,
      ledger: this.ledger,
    };
    this.approvals = new OperatorApprovals(this.routing);
    this.view = new LiveContext(this.config.strategyId, initial.params, this.config.instruments, this.specs, this.ledger);
    this.wantsQuotes = this.config.channels.includes("quote");
    this.wantsTrades = this.config.channels.includes("trade");
    this.wantsBars = this.config.channels.includes("bar");
    this.wantsFactors = this.config.channels.includes("features");
  }

  get params(): unknown {
    return this.view.params;
  }

  get started(): boolean {
    return this.strategy !== null;
  }

  /** A fresh strategy instance (indicators start empty) and a new order-id session. */
  start(nowUs: number): void {
    this.seen(nowUs);
    this.ids.startSession(nowUs);
    this.strategy = this.definition.create(this.view.params, this.config.instruments);
  }

  stop(nowUs: number, cancelOpenOrders: boolean, out: Emitted[]): void {
    this.seen(nowUs);
    if (cancelOpenOrders) cancelAll(this.routing, undefined, nowUs, out);
    this.strategy = null;
  }

  cancelOpenOrders(nowUs: number, out: Emitted[]): void {
    this.seen(nowUs);
    cancelAll(this.routing, undefined, nowUs, out);
  }

  isReady(): boolean {
    return this.strategy?.isReady() ?? false;
  }

  seen(nowUs: number): void {
    if (nowUs > this.lastNowUs) this.lastNowUs = nowUs;
    if (this.renewIds) {
      // the last incarnation may have sent orders after its snapshot: ids from a new session cannot collide
      this.renewIds = false;
      this.ids.startSession(this.lastNowUs + 1);
    }
  }

  /**
   * Hands market data to the strategy. With `trade` false (paused) its intents are dropped; the strategy still
   * sees the data so its indicators stay current. "ifReady" (warming up) trades only once the data primed it, so
   * the priming event's signal, the first valid one, is not lost.
   */
  onMarketData(e: MarketDataEvent, nowUs: number, trade: boolean | "ifReady", out: Emitted[]): void {
    this.seen(nowUs);
    const s = this.strategy;
    if (s === null || !this.specs.has(e.instrument)) return;
    this.view.nowUs = nowUs;
    let intents: Intents;
    switch (e.type) {
      case "Quote":
        if (this.wantsQuotes) intents = s.onQuote?.(e, this.view);
        break;
      case "Trade":
        if (this.wantsTrades) intents = s.onTrade?.(e, this.view);
        break;
      case "Bar":
        if (this.wantsBars && this.barTypeTaken(e.barType)) intents = s.onBar?.(e, this.view);
        break;
      case "BarFactors":
        if (this.wantsFactors && this.barTypeTaken(e.barType)) intents = s.onFactors?.(e, this.view);
        break;
      case "ModelForecast":
        if (this.barTypeTaken(e.barType)) intents = s.onForecast?.(e, this.view);
        break;
      case "RegimeEstimated":
        if (this.config.regimes && this.barTypeTaken(e.barType)) intents = s.onRegime?.(e, this.view);
        break;
    }
    this.remember(e, nowUs);
    if (intents === undefined || intents.length === 0) return;
    if (trade === true || (trade === "ifReady" && s.isReady())) this.act(intents, nowUs, out);
  }

  /** Intents become orders, except proposals, which wait for an operator (proposals.ts). */
  private act(intents: readonly Intent[], nowUs: number, out: Emitted[]): void {
    let direct: Intent[] | undefined;
    for (const i of intents) {
      if (i.kind !== "propose") continue;
      this.approvals.propose(i, nowUs, out);
      direct ??= intents.filter((x) => x.kind !== "propose");
    }
    routeIntents(this.routing, direct ?? intents, nowUs, out);
  }

  private barTypeTaken(barType: string): boolean {
    return this.config.barType === undefined || barType === this.config.barType;
  }

  private remember(event: MarketDataEvent, nowUs: number): void {
    const cap = this.config.rebuildEvents;
    if (cap === 0) return;
    if (this.recent.length < cap) this.recent.push({ event, nowUs });
    else {
      this.recent[this.head] = { event, nowUs };
      this.head = (this.head + 1) % cap;
    }
  }

  /** The session as plain data (see SessionRecord). */
  toPlain(): SessionRecord {
    return {
      strategyId: this.config.strategyId,
      params: this.view.params,
      ledger: this.ledger.toPlain(),
      started: this.strategy !== null,
      lastNowUs: this.lastNowUs,
      timerDueUs: this.timerDueUs,
      recent: [...this.recent.slice(this.head), ...this.recent.slice(0, this.head)],
      viewAskedUs: this.viewAskedUs,
      proposals: this.approvals.toPlain(),
    };
  }

  /**
   * Becomes the session a snapshot describes: parameters, ledger and order ids as they were; a started strategy is
   * created afresh and fed the kept market data again with trading off, which rebuilds its indicators.
   */
  restore(r: SessionRecord): void {
    const params = mergeParameters(this.definition.parameters, undefined, r.params as Record<string, unknown>, this.definition.name);
    if (!params.ok) throw new StrategyConfigError(`strategy ${this.config.strategyId} snapshot: ${params.error.message}`);
    this.view.params = params.params;
    this.ledger.restore(r.ledger);
    this.timerDueUs = r.timerDueUs;
    this.viewAskedUs = r.viewAskedUs;
    this.approvals.restore(r.proposals);
    this.recent.length = 0;
    this.head = 0;
    this.strategy = r.started ? this.definition.create(this.view.params, this.config.instruments) : null;
    const dropped: Emitted[] = [];
    for (const { event, nowUs } of r.recent) this.onMarketData(event, nowUs, false, dropped);
    this.lastNowUs = r.lastNowUs;
    this.renewIds = true;
  }

  /** Notes that the book is asked for its view now: orders sent from here on are not in its answer yet. */
  askedBook(nowUs: number): void {
    this.seen(nowUs);
    this.viewAskedUs = this.lastNowUs;
  }

  /**
   * Reconciles with what the book holds: open orders the book no longer has are dropped (those sent before the
   * book was asked), open orders it has that the strategy forgot are taken in, and the book's positions win;
   * each position that differed is returned as StrategyPositionReconciled.
   */
  reconcile(view: StrategyBookView, nowUs: number): Reconciled[] {
    this.seen(nowUs);
    const held = new Map(view.orders.map((o) => [o.clientOrderId, o]));
    const stale: string[] = [];
    for (const o of this.ledger.allOpenOrders())
      if (!held.has(o.clientOrderId) && o.submittedUs <= this.viewAskedUs) stale.push(o.clientOrderId);
    for (const id of stale) this.ledger.forget(id);
    for (const o of view.orders) {
      if (this.ledger.order(o.clientOrderId) || !this.specs.has(o.instrument)) continue;
      this.ledger.adopt({
        clientOrderId: o.clientOrderId,
        instrument: o.instrument,
        side: o.side,
        type: o.orderType ?? "LIMIT",
        quantity: o.quantity,
        leavesQty: o.remaining,
        price: o.price,
        submittedUs: this.viewAskedUs,
        tag: undefined,
      });
    }
    const changed: Reconciled[] = [];
    if (view.positions === undefined) return changed;
    for (const { id } of this.config.instruments) {
      const book = asQuantity(view.positions[id] ?? 0);
      const believed = this.ledger.position(id);
      if (book === believed) continue;
      this.ledger.setPosition(id, book);
      changed.push({
        type: "StrategyPositionReconciled",
        strategy: this.config.strategyId,
        book: view.book,
        instrument: id,
        believed,
        held: book,
        tsEvent: this.lastNowUs,
        tsInit: this.lastNowUs,
      });
    }
    return changed;
  }

  /** Whether an order event belongs to this strategy (its client order ids carry the strategy id). */
  owns(e: StrategyOrderEvent): boolean {
    return this.ids.owns(e.clientOrderId);
  }

  /** Updates the ledger in every state; the strategy hears of it only while started. */
  onOrderEvent(e: StrategyOrderEvent, nowUs: number, trade: boolean, out: Emitted[]): void {
    this.seen(nowUs);
    if (!this.ids.owns(e.clientOrderId)) return;
    this.ledger.apply(e);
    const s = this.strategy;
    if (s === null || s.onOrderEvent === undefined) return;
    this.view.nowUs = nowUs;
    const intents = s.onOrderEvent(e, this.view);
    if (trade && intents !== undefined && intents.length > 0) this.act(intents, nowUs, out);
  }

  /** A timer tick at the time it was due (the runtime clock may have moved further). */
  onTimer(out: Emitted[]): void {
    const nowUs = Math.max(this.timerDueUs, this.lastNowUs);
    this.seen(nowUs);
    const s = this.strategy;
    if (s === null || s.onTimer === undefined) return;
    this.view.nowUs = nowUs;
    const intents = s.onTimer(this.view);
    if (intents !== undefined && intents.length > 0) this.act(intents, nowUs, out);
  }

  armTimer(): void {
    this.timerDueUs = this.lastNowUs + (this.config.timerIntervalMs ?? 0) * 1000;
  }

  /** Validates and applies a parameter patch; on error nothing changes. */
  setParameters(patch: Readonly<Record<string, unknown>>, nowUs: number): ParameterResult<unknown> {
    this.seen(nowUs);
    const r = mergeParameters(this.definition.parameters, this.view.params, patch, this.definition.name);
    if (!r.ok) return r;
    const previous = this.view.params;
    this.view.params = r.params;
    this.view.nowUs = nowUs;
    this.strategy?.onParameters?.(r.params, previous, this.view);
    return r;
  }
}
