import { assign, enqueueActions, setup } from "xstate";
import type { Emitted } from "../../contract/index.ts";
import {
  connect,
  decideFailure,
  decideHeld,
  decideKillSwitch,
  decideReconcile,
  decideRelease,
  decideReport,
  decideReportRefused,
  decideRouted,
  disconnect,
  killCancels,
  type VenueCommandInput,
} from "./decide.ts";
import { askGapAgain, decideGapFill, requestState } from "./gap-fill.ts";
import { answerHeldStatus, decideOrderStatus, decideStatus, holdStatus } from "./order-status.ts";
import { closedBreaker } from "./resilience.ts";
import {
  initialContext,
  type Outcome,
  type VenueConnectionConfig,
  type VenueConnectionContext,
  type VenueConnectionInput,
} from "./state.ts";

/** The part of XState's enqueue an outcome needs: a patch is assigned only when it changes a field. */
interface Enqueue {
  assign(patch: Partial<VenueConnectionContext>): void;
  emit(e: Emitted): void;
}
function enact(enqueue: Enqueue, o: Outcome): void {
  if (Object.keys(o.patch).length > 0) enqueue.assign(o.patch);
  for (const e of o.emitted) enqueue.emit(e);
}

const isOrderCommand = (e: VenueConnectionInput): e is VenueCommandInput =>
  e.type === "VenueNewOrder" || e.type === "VenueCancelOrder" || e.type === "VenueReplaceOrder";

/**
 * One venue connection: disconnected → connecting → loggedOn → reconciling → ready, with backoff and jitter on
 * failures, a circuit breaker (degraded while open), a token bucket on new orders and replaces (over the limit:
 * refused with RATE_LIMITED, never queued, so a strategy never trades on a stale decision), and a kill switch.
 * New orders outside `ready` are refused with VENUE_NOT_READY; cancels outside `ready` are remembered and sent
 * by reconciliation if the order is still open at the venue.
 */
export const venueConnectionMachine = setup({
  types: {
    context: {} as VenueConnectionContext,
    events: {} as VenueConnectionInput,
    emitted: {} as Emitted,
    input: {} as Partial<VenueConnectionConfig> & { venue: string },
  },
  guards: {
    breakerOpen: ({ context }) => context.breaker.mode === "OPEN",
    reconciled: ({ context }) => context.awaiting.length === 0,
    gapOpen: ({ context }) => (context.missingSeqs?.length ?? 0) > 0,
  },
  delays: {
    backoff: ({ context }) => context.nextDelayMs,
    cooldown: ({ context }) => context.config.breakerCooldownMs,
    connectTimeout: ({ context }) => context.config.connectTimeoutMs,
    reconcileTimeout: ({ context }) => context.config.reconcileTimeoutMs,
  },
  actions: {
    clock: assign({
      nowUs: ({ context, event }) =>
        "nowUs" in event && typeof event.nowUs === "number" ? Math.max(context.nowUs, event.nowUs) : context.nowUs,
    }),
    connect: enqueueActions(({ context, enqueue }) => enact(enqueue, connect(context))),
    disconnect: enqueueActions(({ context, enqueue }) => enact(enqueue, disconnect(context))),
    loggedOn: assign({ attempt: 0, breaker: closedBreaker }),
    /** a new process starts a new session: the old session's failures say nothing about this one */
    freshSession: assign({ attempt: 0, nextDelayMs: 0, breaker: closedBreaker }),
    requestState: enqueueActions(({ context, enqueue }) => enact(enqueue, requestState(context))),
    failure: enqueueActions(({ context, enqueue }) => enact(enqueue, decideFailure(context))),
    /** timers move the connection's clock by their delay, so the breaker window sees time pass without input */
    elapseBackoff: assign({ nowUs: ({ context }) => context.nowUs + context.nextDelayMs * 1000 }),
    elapseCooldown: assign({ nowUs: ({ context }) => context.nowUs + context.config.breakerCooldownMs * 1000 }),
    elapseConnect: assign({ nowUs: ({ context }) => context.nowUs + context.config.connectTimeoutMs * 1000 }),
    elapseReconcile: assign({ nowUs: ({ context }) => context.nowUs + context.config.reconcileTimeoutMs * 1000 }),
    halfOpen: assign({ breaker: ({ context }) => ({ ...context.breaker, mode: "HALF_OPEN" as const }) }),
    runReconcile: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "VenueStateSnapshot") enact(enqueue, decideReconcile(context, event));
    }),
    askGapAgain: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "Tick") enact(enqueue, askGapAgain(context, event.nowUs));
    }),
    fillGaps: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "VenueStateSnapshot") enact(enqueue, decideGapFill(context, event, decideReport));
    }),
    onReport: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "ExecutionReport") enact(enqueue, decideReport(context, event));
    }),
    reportRefused: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "ForwardRefused") enact(enqueue, decideReportRefused(context, event));
    }),
    holdCommand: enqueueActions(({ context, event, enqueue }) => {
      if (isOrderCommand(event)) enact(enqueue, decideHeld(context, event));
    }),
    routeCommand: enqueueActions(({ context, event, enqueue }) => {
      if (isOrderCommand(event)) enact(enqueue, decideRouted(context, event));
    }),
    killSwitch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "ActivateVenueKillSwitch") enact(enqueue, decideKillSwitch(context, event));
    }),
    holdStatus: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "VenueOrderStatusRequest") enact(enqueue, holdStatus(context, event));
    }),
    answerStatus: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "VenueOrderStatusRequest") enact(enqueue, decideStatus(context, event));
    }),
    venueOrderStatus: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "VenueOrderStatus") enact(enqueue, decideOrderStatus(context, event));
    }),
    answerHeldStatus: enqueueActions(({ context, enqueue }) => enact(enqueue, answerHeldStatus(context))),
    sendKillCancels: enqueueActions(({ context, enqueue }) => enact(enqueue, killCancels(context))),
    releaseKillSwitch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "ReleaseVenueKillSwitch") enact(enqueue, decideRelease(context, event));
    }),
  },
}).createMachine({
  id: "venueConnection",
  context: ({ input }) => initialContext(input),
  initial: "disconnected",
  on: {
    "*": { actions: "clock" },
    ExecutionReport: { actions: ["clock", "onReport"] },
    ForwardRefused: { actions: ["clock", "reportRefused"] },
    VenueNewOrder: { actions: ["clock", "holdCommand"] },
    VenueReplaceOrder: { actions: ["clock", "holdCommand"] },
    VenueCancelOrder: { actions: ["clock", "holdCommand"] },
    VenueOrderStatusRequest: { actions: ["clock", "holdStatus"] },
    ActivateVenueKillSwitch: { actions: ["clock", "killSwitch"] },
    ReleaseVenueKillSwitch: { actions: ["clock", "releaseKillSwitch"] },
    // Whatever state the snapshot held (ready, backoff, degraded, ...), the session it describes is gone: log on
    // again now and reconcile. Waiting out a backoff or a circuit cool-down of the dead process kept a restarted
    // platform refusing orders with VENUE_NOT_READY.
    ResumeVenueSession: { target: ".connecting", reenter: true, actions: ["clock", "freshSession"] },
    // a tick changes nothing (the clock included, so an idle connection has nothing new to save) unless ready with a gap open
    Tick: {},
  },
  states: {
    disconnected: {
      on: { Start: { target: "connecting", actions: "clock" } },
    },
    connecting: {
      entry: "connect",
      on: {
        AdapterLoggedOn: { target: "loggedOn", actions: ["clock", "loggedOn"] },
        AdapterConnectFailed: { target: "failed", actions: ["clock", "failure"] },
        AdapterDisconnected: { target: "failed", actions: ["clock", "failure"] },
      },
      after: { connectTimeout: { target: "failed", actions: ["elapseConnect", "disconnect", "failure"] } },
    },
    loggedOn: {
      entry: "requestState",
      on: {
        VenueStateSnapshot: { target: "reconciling", actions: ["clock", "runReconcile"] },
        AdapterDisconnected: { target: "failed", actions: ["clock", "failure"] },
      },
      after: { reconcileTimeout: { target: "failed", actions: ["elapseReconcile", "disconnect", "failure"] } },
    },
    reconciling: {
      always: { guard: "reconciled", target: "ready" },
      on: { AdapterDisconnected: { target: "failed", actions: ["clock", "failure"] } },
      after: { reconcileTimeout: { target: "failed", actions: ["elapseReconcile", "disconnect", "failure"] } },
    },
    ready: {
      entry: ["sendKillCancels", "answerHeldStatus"],
      on: {
        VenueOrderStatusRequest: { actions: ["clock", "answerStatus"] },
        VenueOrderStatus: { actions: ["clock", "venueOrderStatus"] },
        VenueStateSnapshot: { actions: ["clock", "fillGaps"] },
        Tick: { guard: "gapOpen", actions: ["clock", "askGapAgain"] },
        VenueNewOrder: { actions: ["clock", "routeCommand"] },
        VenueReplaceOrder: { actions: ["clock", "routeCommand"] },
        VenueCancelOrder: { actions: ["clock", "routeCommand"] },
        ActivateVenueKillSwitch: { actions: ["clock", "killSwitch", "sendKillCancels"] },
        AdapterDisconnected: { target: "failed", actions: ["clock", "failure"] },
      },
    },
    /** A failure was recorded: back off, or degrade when the circuit opened. */
    failed: {
      always: [{ guard: "breakerOpen", target: "degraded" }, { target: "backoff" }],
    },
    backoff: {
      after: { backoff: { target: "connecting", actions: "elapseBackoff" } },
    },
    /** Circuit open: no reconnects until the cool-down, then one probe (half-open). */
    degraded: {
      after: { cooldown: { target: "connecting", actions: ["elapseCooldown", "halfOpen"] } },
    },
  },
});

export type { VenueConnectionConfig, VenueConnectionContext, VenueConnectionInput };
export type VenueConnectionMachine = typeof venueConnectionMachine;
