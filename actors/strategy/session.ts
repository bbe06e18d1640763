/**
 * The pure core of a strategy actor: one strategy instance, its ledger, parameters and order ids. The machine
 * decides *whether* data reaches the strategy and whether its intents become orders; this class does the work.
 * Nothing here is caught: an exception from strategy code propagates to the machine, which fails the actor.
 */
import type { Bar, Quantity, Quote, StrategyOrderEvent, Trade } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { ClientOrderIds } from "./client-order-ids.ts";
import { parseStrategyConfig, type StrategyConfig, type StrategyConfigInput, StrategyConfigError } from "./config.ts";
import { StrategyLedger } from "./ledger.ts";
import { cancelAll, type OrderRouting, riskBookSubject, routeIntents } from "./order-intents.ts";
import { mergeParameters, type ParameterResult } from "./parameters.ts";
import type { StrategyInstrument, Intents, OpenOrderView, Strategy, StrategyContext, StrategyDefinition } from "./strategy.ts";

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

export type MarketDataEvent = (Quote & { type: "Quote" }) | (Trade & { type: "Trade" }) | (Bar & { type: "Bar" });

export class StrategySession {
  readonly config: StrategyConfig;
  readonly ledger: StrategyLedger;
  readonly ids: ClientOrderIds;
  readonly specs: ReadonlyMap<string, StrategyInstrument>;
  private readonly routing: OrderRouting;
  private readonly view: LiveContext;
  private strategy: Strategy<unknown> | null = null;
  /** latest runtime time seen; the timer's clock */
  lastNowUs = 0;
  timerDueUs = 0;
  private readonly wantsQuotes: boolean;
  private readonly wantsTrades: boolean;
  private readonly wantsBars: boolean;

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
    this.view = new LiveContext(this.config.strategyId, initial.params, this.config.instruments, this.specs, this.ledger);
    this.wantsQuotes = this.config.channels.includes("quote");
    this.wantsTrades = this.config.channels.includes("trade");
    this.wantsBars = this.config.channels.includes("bar");
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
        if (this.wantsBars && (this.config.barType === undefined || e.barType === this.config.barType)) intents = s.onBar?.(e, this.view);
        break;
    }
    if (intents === undefined || intents.length === 0) return;
    if (trade === true || (trade === "ifReady" && s.isReady())) routeIntents(this.routing, intents, nowUs, out);
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
    if (trade && intents !== undefined && intents.length > 0) routeIntents(this.routing, intents, nowUs, out);
  }

  /** A timer tick at the time it was due (the runtime clock may have moved further). */
  onTimer(out: Emitted[]): void {
    const nowUs = Math.max(this.timerDueUs, this.lastNowUs);
    this.seen(nowUs);
    const s = this.strategy;
    if (s === null || s.onTimer === undefined) return;
    this.view.nowUs = nowUs;
    const intents = s.onTimer(this.view);
    if (intents !== undefined && intents.length > 0) routeIntents(this.routing, intents, nowUs, out);
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
