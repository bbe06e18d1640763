/**
 * The strategy actor: stopped → warmingUp → running ⇄ paused → stopped, around a StrategySession.
 *
 * Failure: an exception thrown by strategy code (or a malformed intent) is not caught. XState v5 puts the actor in
 * snapshot status "error" (snapshot.error holds the exception), notifies the `error` observer of
 * `actor.subscribe({ error })`, discards everything emitted in that step, and ignores later events. That status is
 * the lifecycle's "failed": the host must subscribe with an error observer (without one XState rethrows the error
 * asynchronously) and hand it to the supervisor, which restarts the actor (`startAtUs` makes it resume trading).
 */
import { emit, enqueueActions, setup } from "xstate";
import {
  type Delivered,
  type Emitted,
  type PauseStrategy,
  type SetStrategyParameters,
  type StartStrategy,
  type StopStrategy,
  type ResumeStrategy,
  type StrategyOrderEvent,
  StrategyState,
} from "../domain/index.ts";
import type { StrategyConfigInput } from "./config.ts";
import { StrategyRejectCode } from "./parameters.ts";
import { type MarketDataEvent, StrategySession } from "./session.ts";
import type { StrategyDefinition } from "./strategy.ts";

export type StrategyCommandEvent =
  | (StartStrategy & { type: "StartStrategy" })
  | (PauseStrategy & { type: "PauseStrategy" })
  | (ResumeStrategy & { type: "ResumeStrategy" })
  | (StopStrategy & { type: "StopStrategy" })
  | (SetStrategyParameters & { type: "SetStrategyParameters" });

/** Command payloads may arrive without defaults applied; stamps are optional for the machine. */
type Loose<E> = E extends unknown
  ? Omit<E, "tsEvent" | "tsInit" | "cancelOpenOrders"> & { tsEvent?: number; tsInit?: number; cancelOpenOrders?: boolean }
  : never;

export type StrategyEvent = ((MarketDataEvent | StrategyOrderEvent | Loose<StrategyCommandEvent>) & Delivered);

export interface StrategyMachineInput {
  definition: StrategyDefinition<unknown>;
  config: StrategyConfigInput;
}

export interface StrategyMachineContext {
  session: StrategySession;
  state: StrategyState;
  /** a supervisor restart with config.startAtUs: start once, on creation */
  autoStart: boolean;
}

const orderEventTypes = ["OrderAccepted", "OrderFilled", "OrderCancelled", "OrderCanceled", "OrderRejected", "OrderExpired"] as const;
const marketDataTypes = ["Quote", "Trade", "Bar"] as const;

const isOrderEvent = (e: StrategyEvent): e is StrategyOrderEvent & Delivered => (orderEventTypes as readonly string[]).includes(e.type);
const isMarketData = (e: StrategyEvent): e is MarketDataEvent & Delivered => (marketDataTypes as readonly string[]).includes(e.type);

const Trading = { Always: 0, Never: 1, WhenPrimed: 2 } as const;
type Trading = (typeof Trading)[keyof typeof Trading];

/** Hands data or an order event to the session; `trading` decides whether intents become orders. */
function feed(session: StrategySession, event: StrategyEvent, trading: Trading): Emitted[] {
  const out: Emitted[] = [];
  if (isMarketData(event)) {
    session.onMarketData(event, event.nowUs, trading === Trading.WhenPrimed ? "ifReady" : trading === Trading.Always, out);
  } else if (isOrderEvent(event)) {
    session.onOrderEvent(event, event.nowUs, trading === Trading.Always, out);
  } else if ((event as { type: string }).type === "OrderDenied") {
    // The risk book refused the order before it existed at a venue: for the strategy that is a rejection.
    const d = event as unknown as { clientOrderId: string; reason?: string; tsEvent: number; tsInit: number; nowUs: number };
    const rejection = { type: "OrderRejected" as const, clientOrderId: d.clientOrderId, ...(d.reason ? { reason: d.reason } : {}), tsEvent: d.tsEvent, tsInit: d.tsInit };
    session.onOrderEvent(rejection, d.nowUs, trading === Trading.Always, out);
  }
  return out;
}

const ok: Emitted = { type: "reply", ok: true };
const rejected = (code: string, message: string): Emitted => ({ type: "reply", ok: false, error: { code, message } });

function stateChanged(context: StrategyMachineContext, state: StrategyState): Emitted {
  const now = context.session.lastNowUs;
  return {
    type: "domain",
    event: { type: "StrategyStateChanged", strategy: context.session.config.strategyId, state, previous: context.state, tsEvent: now, tsInit: now },
  };
}

export const strategyMachine = setup({
  types: {
    context: {} as StrategyMachineContext,
    events: {} as StrategyEvent,
    input: {} as StrategyMachineInput,
    emitted: {} as Emitted,
  },
  guards: {
    ready: ({ context }) => context.session.isReady(),
    autoStart: ({ context }) => context.autoStart,
    hasTimer: ({ context }) => context.session.config.timerIntervalMs !== undefined,
  },
  delays: {
    timerInterval: ({ context }) => context.session.config.timerIntervalMs ?? 0,
  },
  actions: {
    feedAndTrade: enqueueActions(({ context, event, enqueue }) => {
      for (const e of feed(context.session, event, Trading.Always)) enqueue.emit(e);
    }),
    feedOnly: enqueueActions(({ context, event, enqueue }) => {
      for (const e of feed(context.session, event, Trading.Never)) enqueue.emit(e);
    }),
    feedWarmingUp: enqueueActions(({ context, event, enqueue }) => {
      for (const e of feed(context.session, event, Trading.WhenPrimed)) enqueue.emit(e);
    }),
    start: enqueueActions(({ context, event, enqueue }) => {
      const at = event.type === "StartStrategy" ? event.nowUs : (context.session.config.startAtUs ?? 0);
      context.session.start(at);
      if (context.autoStart) enqueue.assign({ autoStart: false });
    }),
    replyOk: emit(ok),
    replyNotStarted: emit(({ context, event }) =>
      rejected(StrategyRejectCode.InvalidState, `${event.type}: strategy ${context.session.config.strategyId} is ${context.state}; send StartStrategy first`),
    ),
    stop: enqueueActions(({ context, event, enqueue }) => {
      const out: Emitted[] = [];
      const cancelOpen = event.type === "StopStrategy" ? event.cancelOpenOrders !== false : true;
      context.session.stop(event.nowUs, cancelOpen, out);
      for (const e of out) enqueue.emit(e);
      enqueue.emit(ok);
    }),
    pause: enqueueActions(({ context, event, enqueue }) => {
      const out: Emitted[] = [];
      if (event.type === "PauseStrategy" && event.cancelOpenOrders === true) context.session.cancelOpenOrders(event.nowUs, out);
      else context.session.seen(event.nowUs);
      for (const e of out) enqueue.emit(e);
      enqueue.emit(ok);
    }),
    setParameters: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "SetStrategyParameters") return;
      const r = context.session.setParameters(event.parameters, event.nowUs);
      if (!r.ok) {
        enqueue.emit({ type: "reply", ok: false, error: r.error });
        return;
      }
      const now = event.nowUs;
      const parameters = r.params as Record<string, unknown>;
      enqueue.emit({
        type: "domain",
        event: { type: "StrategyParametersChanged", strategy: context.session.config.strategyId, parameters, tsEvent: now, tsInit: now },
      });
      enqueue.emit({ type: "reply", ok: true, result: { parameters } });
    }),
    armTimer: ({ context }) => context.session.armTimer(),
    fireTimer: enqueueActions(({ context, enqueue }) => {
      const out: Emitted[] = [];
      context.session.onTimer(out);
      for (const e of out) enqueue.emit(e);
    }),
    enter: enqueueActions(({ context, enqueue }, params: { state: StrategyState }) => {
      if (context.state === params.state) return;
      enqueue.emit(stateChanged(context, params.state));
      enqueue.assign({ state: params.state });
    }),
  },
}).createMachine({
  id: "strategy",
  context: ({ input }) => {
    const session = new StrategySession(input.definition, input.config);
    return { session, state: StrategyState.Stopped, autoStart: session.config.startAtUs !== undefined };
  },
  initial: "stopped",
  on: {
    SetStrategyParameters: { actions: "setParameters" },
    OrderAccepted: { actions: "feedOnly" },
    OrderFilled: { actions: "feedOnly" },
    OrderCancelled: { actions: "feedOnly" },
    OrderCanceled: { actions: "feedOnly" },
    OrderRejected: { actions: "feedOnly" },
    OrderDenied: { actions: "feedOnly" },
    OrderExpired: { actions: "feedOnly" },
    StartStrategy: { actions: "replyOk" },
    PauseStrategy: { target: ".paused", actions: "pause" },
    ResumeStrategy: { actions: "replyOk" },
    StopStrategy: { target: ".stopped", actions: "stop" },
  },
  states: {
    stopped: {
      entry: { type: "enter", params: { state: StrategyState.Stopped } },
      always: { guard: "autoStart", target: "warmingUp", actions: "start" },
      on: {
        StartStrategy: { target: "warmingUp", actions: ["start", "replyOk"] },
        PauseStrategy: { actions: "replyNotStarted" },
        ResumeStrategy: { actions: "replyNotStarted" },
        StopStrategy: { actions: "replyOk" },
      },
    },
    warmingUp: {
      entry: { type: "enter", params: { state: StrategyState.WarmingUp } },
      always: { guard: "ready", target: "running" },
      on: {
        Quote: { actions: "feedWarmingUp" },
        Trade: { actions: "feedWarmingUp" },
        Bar: { actions: "feedWarmingUp" },
      },
    },
    running: {
      entry: { type: "enter", params: { state: StrategyState.Running } },
      initial: "clock",
      on: {
        Quote: { actions: "feedAndTrade" },
        Trade: { actions: "feedAndTrade" },
        Bar: { actions: "feedAndTrade" },
        OrderAccepted: { actions: "feedAndTrade" },
        OrderFilled: { actions: "feedAndTrade" },
        OrderCancelled: { actions: "feedAndTrade" },
        OrderCanceled: { actions: "feedAndTrade" },
        OrderRejected: { actions: "feedAndTrade" },
        OrderDenied: { actions: "feedAndTrade" },
        OrderExpired: { actions: "feedAndTrade" },
      },
      states: {
        clock: { always: [{ guard: "hasTimer", target: "timed" }, { target: "untimed" }] },
        timed: {
          entry: "armTimer",
          after: { timerInterval: { target: "#strategy.running.timed", reenter: true, actions: "fireTimer" } },
        },
        untimed: {},
      },
    },
    paused: {
      entry: { type: "enter", params: { state: StrategyState.Paused } },
      on: {
        Quote: { actions: "feedOnly" },
        Trade: { actions: "feedOnly" },
        Bar: { actions: "feedOnly" },
        PauseStrategy: { actions: "pause" },
        ResumeStrategy: [
          { guard: "ready", target: "running", actions: "replyOk" },
          { target: "warmingUp", actions: "replyOk" },
        ],
      },
    },
  },
});
