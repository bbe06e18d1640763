/**
 * The contract user strategies implement. A strategy is plain code: it sees market data and its own order events
 * through a read-only context, and returns intents (target positions or orders). It never touches NATS or the
 * clock, so the same code runs live and in a backtest.
 */
import type { z } from "zod";
import type {
  PortfolioProposal,
  Bar,
  BarFactors,
  ModelForecast,
  OrderType,
  Price,
  Quantity,
  Quote,
  Side,
  StrategyOrderEvent,
  TimeInForce,
  Trade,
} from "../domain/index.ts";
import type { RegimeEstimated } from "../regime/index.ts";

/** Trading grid of an instrument the strategy trades. */
export interface StrategyInstrument {
  /** SYMBOL.VENUE */
  id: string;
  tickSize: Price;
  lotSize: Quantity;
}

export const OrderStatus = {
  /** sent towards the risk book, not yet acknowledged */
  PendingNew: "PENDING_NEW",
  Working: "WORKING",
  /** a cancel was sent and not yet confirmed */
  PendingCancel: "PENDING_CANCEL",
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** An order of this strategy that is not finished yet, as the strategy sees it. */
export interface OpenOrderView {
  readonly clientOrderId: string;
  readonly instrument: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Quantity;
  readonly leavesQty: Quantity;
  readonly price: Price | undefined;
  readonly status: OrderStatus;
  readonly submittedUs: number;
  /** free label the strategy gave the order (e.g. "bid", "ask") */
  readonly tag: string | undefined;
}

/** What strategy code may read. Views are read-only and valid only during the call. */
export interface StrategyContext<P = unknown> {
  readonly strategyId: string;
  /** runtime clock of the event being handled (simulated in backtests) */
  readonly nowUs: number;
  /** the accepted parameters; treat as read-only */
  readonly params: P;
  readonly instruments: readonly StrategyInstrument[];
  instrument(id: string): StrategyInstrument;
  /** signed position: positive long, negative short */
  position(instrument: string): Quantity;
  openOrders(instrument: string): readonly OpenOrderView[];
}

/** Hold this signed position; the framework sends what is missing (see targetToOrders). */
export interface TargetIntent {
  kind: "target";
  instrument: string;
  quantity: Quantity;
  /** a limit price for the orders that move towards the target; market orders when absent */
  price?: Price;
}

export interface SubmitIntent {
  kind: "submit";
  instrument: string;
  side: Side;
  type: OrderType;
  quantity: Quantity;
  price?: Price;
  stopPrice?: Price;
  timeInForce: TimeInForce;
  postOnly?: boolean;
  reduceOnly?: boolean;
  tag?: string;
}

export interface CancelIntent {
  kind: "cancel";
  clientOrderId: string;
}

export interface CancelAllIntent {
  kind: "cancelAll";
  /** all instruments when absent */
  instrument?: string;
}

/**
 * Ask an operator first: the framework publishes the proposal and sends `targets` only once an operator approves
 * it (ApproveProposal) within `expiresInMs`. A newer proposal replaces a pending one.
 */
export interface ProposeIntent {
  kind: "propose";
  proposal: PortfolioProposal;
  targets: readonly TargetIntent[];
  expiresInMs: number;
}

export type Intent = TargetIntent | SubmitIntent | CancelIntent | CancelAllIntent | ProposeIntent;
/** Handlers return intents, or nothing; a shared empty array is the cheap "no action". */
export type Intents = readonly Intent[] | undefined;

export const noIntents: readonly Intent[] = Object.freeze([]);

export interface Strategy<P = unknown> {
  /** true once the strategy has enough data (indicators primed); the machine leaves warm-up on it */
  isReady(): boolean;
  onQuote?(quote: Quote, ctx: StrategyContext<P>): Intents;
  onTrade?(trade: Trade, ctx: StrategyContext<P>): Intents;
  onBar?(bar: Bar, ctx: StrategyContext<P>): Intents;
  /** a bar's factors (channel "features") */
  onFactors?(factors: BarFactors, ctx: StrategyContext<P>): Intents;
  /** a model's forecast (config `signals`), stamped with the time of the bar it forecasts from */
  onForecast?(forecast: ModelForecast, ctx: StrategyContext<P>): Intents;
  /** a regime actor's estimate for one of its instruments (config `regimes`), stamped with its bar's close */
  onRegime?(regime: RegimeEstimated, ctx: StrategyContext<P>): Intents;
  onOrderEvent?(event: StrategyOrderEvent, ctx: StrategyContext<P>): Intents;
  onTimer?(ctx: StrategyContext<P>): Intents;
  /** new parameters were accepted; rebuild what depends on them (ctx.params already holds them) */
  onParameters?(params: P, previous: P, ctx: StrategyContext<P>): void;
}

/** A kind of strategy: its parameter schema (with defaults) and a factory for fresh instances. */
export interface StrategyDefinition<P = unknown> {
  name: string;
  parameters: z.ZodType<P>;
  create(params: P, instruments: readonly StrategyInstrument[]): Strategy<P>;
}
