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
import { StrategyState } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import {
  decideApproveProposal,
  decideAskBook,
  decideGetProposals,
  decideParameters,
  decidePause,
  decideReconcile,
  decideRejectProposal,
  decideStop,
  feed,
  ok,
  rejected,
  Trading,
} from "./decide.ts";
import { evolve, stateChange } from "./evolve.ts";
import { StrategyRejectCode } from "./parameters.ts";
import { StrategySession } from "./session.ts";
import type { StrategyEvent, StrategyMachineContext, StrategyMachineInput } from "./state.ts";

type Enqueue = {
  emit: (e: Emitted) => void;
  raise: (e: StrategyEvent, options: { id: string; delay: number }) => void;
};

/**
 * Emits what a step produced; a proposal made in it gets its deadline as a delayed event on the actor's clock (one
 * timer: a newer proposal's replaces it), so it lapses on time without waiting for the next input.
 */
function emitArmingDeadlines(enqueue: Enqueue, out: readonly Emitted[]): void {
  for (const e of out) {
    enqueue.emit(e);
    if (e.type !== "domain" || e.event.type !== "ProposalMade") continue;
    const { proposalId, expiresUs, tsEvent } = e.event;
    if (typeof proposalId !== "string" || typeof expiresUs !== "number") continue;
    enqueue.raise(
      { type: "ProposalDeadline", proposalId, nowUs: expiresUs },
      { id: "ProposalDeadline", delay: Math.max(0, (expiresUs - tsEvent) / 1000) },
    );
  }
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
      emitArmingDeadlines(enqueue, feed(context.session, event, Trading.Always));
    }),
    feedOnly: enqueueActions(({ context, event, enqueue }) => {
      for (const e of feed(context.session, event, Trading.Never)) enqueue.emit(e);
    }),
    feedWarmingUp: enqueueActions(({ context, event, enqueue }) => {
      emitArmingDeadlines(enqueue, feed(context.session, event, Trading.WhenPrimed));
    }),
    start: enqueueActions(({ context, event, enqueue }) => {
      const at = event.type === "StartStrategy" ? event.nowUs : (context.session.config.startAtUs ?? 0);
      context.session.start(at);
      if (context.autoStart) enqueue.assign({ autoStart: false });
    }),
    replyOk: emit(ok),
    replyNotStarted: emit(({ context, event }) =>
      rejected(
        StrategyRejectCode.InvalidState,
        `${event.type}: strategy ${context.session.config.strategyId} is ${context.state}; send StartStrategy first`,
      ),
    ),
    stop: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideStop(context.session, event)) enqueue.emit(e);
    }),
    pause: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decidePause(context.session, event)) enqueue.emit(e);
    }),
    setParameters: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "SetStrategyParameters") return;
      for (const e of decideParameters(context.session, event)) enqueue.emit(e);
    }),
    askBook: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideAskBook(context.session, event.nowUs)) enqueue.emit(e);
    }),
    reconcile: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideReconcile(context.session, event)) enqueue.emit(e);
    }),
    approveProposal: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideApproveProposal(context.session, event)) enqueue.emit(e);
    }),
    rejectProposal: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideRejectProposal(context.session, event)) enqueue.emit(e);
    }),
    getProposals: enqueueActions(({ context, event, enqueue }) => {
      for (const e of decideGetProposals(context.session, event)) enqueue.emit(e);
    }),
    // approving sends orders: only a running strategy does
    replyNotRunning: emit(({ context, event }) =>
      rejected(
        StrategyRejectCode.InvalidState,
        `${event.type}: strategy ${context.session.config.strategyId} is ${context.state}; approvals are taken while it runs`,
      ),
    ),
    armTimer: ({ context }) => context.session.armTimer(),
    fireTimer: enqueueActions(({ context, enqueue }) => {
      const out: Emitted[] = [];
      context.session.onTimer(out);
      emitArmingDeadlines(enqueue, out);
    }),
    proposalDeadline: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "ProposalDeadline") return;
      const out: Emitted[] = [];
      context.session.approvals.deadline(event.proposalId, event.nowUs, out);
      for (const e of out) enqueue.emit(e);
    }),
    enter: enqueueActions(({ context, enqueue }, params: { state: StrategyState }) => {
      const change = stateChange(context, params.state);
      if (change === null) return;
      enqueue.emit({ type: "domain", event: change });
      enqueue.assign({ state: evolve(change) });
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
    ReconcileWithBook: { actions: "askBook" },
    StrategyBookView: { actions: "reconcile" },
    SetStrategyParameters: { actions: "setParameters" },
    OrderAccepted: { actions: "feedOnly" },
    OrderFilled: { actions: "feedOnly" },
    OrderCanceled: { actions: "feedOnly" },
    OrderRejected: { actions: "feedOnly" },
    OrderDenied: { actions: "feedOnly" },
    OrderExpired: { actions: "feedOnly" },
    StartStrategy: { actions: "replyOk" },
    PauseStrategy: { target: ".paused", actions: "pause" },
    ResumeStrategy: { actions: "replyOk" },
    StopStrategy: { target: ".stopped", actions: "stop" },
    ApproveProposal: { actions: "replyNotRunning" },
    RejectProposal: { actions: "rejectProposal" },
    GetProposals: { actions: "getProposals" },
    ProposalDeadline: { actions: "proposalDeadline" },
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
        BarFactors: { actions: "feedWarmingUp" },
        ModelForecast: { actions: "feedWarmingUp" },
        RegimeEstimated: { actions: "feedWarmingUp" },
      },
    },
    running: {
      entry: { type: "enter", params: { state: StrategyState.Running } },
      initial: "clock",
      on: {
        Quote: { actions: "feedAndTrade" },
        Trade: { actions: "feedAndTrade" },
        Bar: { actions: "feedAndTrade" },
        BarFactors: { actions: "feedAndTrade" },
        ModelForecast: { actions: "feedAndTrade" },
        RegimeEstimated: { actions: "feedAndTrade" },
        OrderAccepted: { actions: "feedAndTrade" },
        OrderFilled: { actions: "feedAndTrade" },
        OrderCanceled: { actions: "feedAndTrade" },
        OrderRejected: { actions: "feedAndTrade" },
        OrderDenied: { actions: "feedAndTrade" },
        OrderExpired: { actions: "feedAndTrade" },
        ApproveProposal: { actions: "approveProposal" },
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
        BarFactors: { actions: "feedOnly" },
        ModelForecast: { actions: "feedOnly" },
        RegimeEstimated: { actions: "feedOnly" },
        PauseStrategy: { actions: "pause" },
        ResumeStrategy: [
          { guard: "ready", target: "running", actions: "replyOk" },
          { target: "warmingUp", actions: "replyOk" },
        ],
      },
    },
  },
});
