import { assign, enqueueActions, setup } from "xstate";
import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../../domain/index.ts";
import { type Emitted, subjects } from "../../contract/index.ts";
import type { AdapterEvent } from "./adapter.ts";
import { type LocalOrder, reconcile } from "./reconcile.ts";
import { VenueReason } from "./reasons.ts";
import { backoffMs, type BreakerState, breakerFailure, closedBreaker, fullBucket, nextRandom, takeToken, type TokenBucket } from "./resilience.ts";

export interface VenueConnectionConfig {
  venue: string;
  /** seed of the jitter stream: the same seed gives the same reconnect schedule */
  seed: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;
  reconcileTimeoutMs: number;
  /** consecutive connect failures within breakerWindowUs that open the circuit */
  breakerThreshold: number;
  breakerWindowUs: number;
  /** how long the circuit stays open before one probe */
  breakerCooldownMs: number;
  /** token bucket on new orders and replaces: burst size and refill per second */
  rateCapacity: number;
  ratePerSecond: number;
}

export const defaultVenueConnectionConfig: Omit<VenueConnectionConfig, "venue"> = {
  seed: 1,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  connectTimeoutMs: 10_000,
  reconcileTimeoutMs: 15_000,
  breakerThreshold: 5,
  breakerWindowUs: 60_000_000,
  breakerCooldownMs: 60_000,
  rateCapacity: 20,
  ratePerSecond: 10,
};

type Delivered<T> = T & { nowUs: number };
export type VenueConnectionInput =
  | { type: "Start"; nowUs: number }
  | AdapterEvent
  | Delivered<ExecutionReport & { type: "ExecutionReport" }>
  | Delivered<VenueNewOrder & { type: "VenueNewOrder" }>
  | Delivered<VenueCancelOrder & { type: "VenueCancelOrder" }>
  | Delivered<VenueReplaceOrder & { type: "VenueReplaceOrder" }>
  | { type: "ActivateKillSwitch"; reason: string; nowUs: number }
  | { type: "ReleaseKillSwitch"; nowUs: number };

export interface VenueConnectionContext {
  config: VenueConnectionConfig;
  nowUs: number;
  rng: number;
  attempt: number;
  nextDelayMs: number;
  breaker: BreakerState;
  bucket: TokenBucket;
  killSwitch: { active: boolean; reason?: string };
  orders: Record<string, LocalOrder>;
  lastVenueSeq: number;
  /** orders whose re-sent cancel must be answered before the connection is ready */
  awaiting: string[];
}

const adapterSubject = (c: VenueConnectionContext) => subjects.cmd("venue-adapter", c.config.venue);
const orderSubject = (clientOrderId: string) => subjects.cmd("order", clientOrderId);
const stamp = (nowUs: number) => ({ tsEvent: nowUs, tsInit: nowUs });

function forward(r: ExecutionReport): Emitted {
  return { type: "publish", subject: orderSubject(r.clientOrderId), message: { type: "ExecutionReport", ...r } };
}

/** Updates the connection's view of one order from an execution report; closed orders leave the view. */
export function trackReport(orders: Record<string, LocalOrder>, r: ExecutionReport): Record<string, LocalOrder> {
  const o = orders[r.clientOrderId];
  if (!o) return orders;
  const venueId = r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {};
  let next: LocalOrder | undefined = o;
  switch (r.execType) {
    case ExecType.Fill:
    case ExecType.PartialFill:
      next = r.leavesQty === 0 ? undefined : { ...o, ...venueId, state: o.state === "IN_FLIGHT" ? "OPEN" : o.state, execIds: [...o.execIds, r.execId] };
      break;
    case ExecType.Canceled:
    case ExecType.Expired:
    case ExecType.Rejected:
      next = undefined;
      break;
    case ExecType.New:
    case ExecType.CancelRejected:
      next = { ...o, ...venueId, state: "OPEN" };
      break;
    case ExecType.Replaced:
      next = { ...o, ...venueId, state: "OPEN", ...(r.quantity !== undefined ? { quantity: r.quantity } : {}) };
      break;
    default:
      break;
  }
  const { [r.clientOrderId]: _old, ...rest } = orders;
  return next ? { ...rest, [r.clientOrderId]: next } : rest;
}

function refusedNew(c: VenueConnectionContext, cmd: VenueNewOrder, code: VenueReason, nowUs: number): ExecutionReport {
  return {
    clientOrderId: cmd.clientOrderId,
    execId: `refused:${c.config.venue}:${cmd.clientOrderId}:${cmd.version}:${nowUs}`,
    execType: ExecType.Rejected,
    instrument: cmd.instrument,
    side: cmd.side,
    lastQty: 0,
    lastPx: 0,
    cumQty: 0,
    leavesQty: 0,
    avgPx: 0,
    fee: 0,
    venueSeq: c.lastVenueSeq,
    text: `${code}: venue ${c.config.venue} refused the order`,
    ...stamp(nowUs),
  };
}

function refusedAmend(c: VenueConnectionContext, cmd: VenueCancelOrder | VenueReplaceOrder, code: VenueReason, nowUs: number): ExecutionReport {
  return { ...refusedNew(c, { ...cmd, version: 0 } as unknown as VenueNewOrder, code, nowUs), execType: ExecType.CancelRejected, execId: `refused:${c.config.venue}:${cmd.clientOrderId}:amend:${nowUs}` };
}

const reply = (ok: boolean, code: VenueReason | undefined, message: string): Emitted =>
  ok ? { type: "reply", ok: true, result: { message } } : { type: "reply", ok: false, error: { code: code ?? "", message } };

function cancelCommand(o: LocalOrder, nowUs: number): { type: "VenueCancelOrder" } & VenueCancelOrder {
  return {
    type: "VenueCancelOrder",
    clientOrderId: o.clientOrderId,
    ...(o.venueOrderId !== undefined ? { venueOrderId: o.venueOrderId } : {}),
    instrument: o.instrument,
    side: o.side,
    cause: CancelCause.KillSwitch,
    ...stamp(nowUs),
  };
}

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
  },
  delays: {
    backoff: ({ context }) => context.nextDelayMs,
    cooldown: ({ context }) => context.config.breakerCooldownMs,
    connectTimeout: ({ context }) => context.config.connectTimeoutMs,
    reconcileTimeout: ({ context }) => context.config.reconcileTimeoutMs,
  },
  actions: {
    clock: assign({ nowUs: ({ context, event }) => ("nowUs" in event && typeof event.nowUs === "number" ? Math.max(context.nowUs, event.nowUs) : context.nowUs) }),
    connect: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: "publish", subject: adapterSubject(context), message: { type: "AdapterConnect", venue: context.config.venue } });
    }),
    disconnect: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: "publish", subject: adapterSubject(context), message: { type: "AdapterDisconnect", venue: context.config.venue, reason: "timeout" } });
    }),
    loggedOn: assign({ attempt: 0, breaker: closedBreaker }),
    requestState: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: "publish", subject: adapterSubject(context), message: { type: "AdapterRequestState", venue: context.config.venue, sinceSeq: context.lastVenueSeq } });
    }),
    failure: enqueueActions(({ context, enqueue }) => {
      const cfg = context.config;
      const breaker = breakerFailure(context.breaker, context.nowUs, cfg.breakerThreshold, cfg.breakerWindowUs);
      const attempt = context.attempt + 1;
      const [r, rng] = nextRandom(context.rng);
      enqueue.assign({ breaker, attempt, rng, nextDelayMs: backoffMs(attempt, cfg.backoffBaseMs, cfg.backoffMaxMs, r) });
      if (breaker.mode === "OPEN") {
        enqueue.emit({ type: "domain", event: { type: "VenueCircuitOpened", venue: cfg.venue, failures: breaker.failuresUs.length, ...stamp(context.nowUs) } });
      }
    }),
    /** timers move the connection's clock by their delay, so the breaker window sees time pass without input */
    elapseBackoff: assign({ nowUs: ({ context }) => context.nowUs + context.nextDelayMs * 1000 }),
    elapseCooldown: assign({ nowUs: ({ context }) => context.nowUs + context.config.breakerCooldownMs * 1000 }),
    elapseConnect: assign({ nowUs: ({ context }) => context.nowUs + context.config.connectTimeoutMs * 1000 }),
    elapseReconcile: assign({ nowUs: ({ context }) => context.nowUs + context.config.reconcileTimeoutMs * 1000 }),
    halfOpen: assign({ breaker: ({ context }) => ({ ...context.breaker, mode: "HALF_OPEN" as const }) }),
    runReconcile: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "VenueStateSnapshot") return;
      const now = context.nowUs;
      const rec = reconcile({ lastVenueSeq: context.lastVenueSeq, orders: Object.values(context.orders) }, event, now);
      let orders = context.orders;
      const awaiting: string[] = [];
      const counts = { appliedExecutions: 0, resolvedInFlight: 0, unknownOrders: 0, resentCancels: 0, closedAtVenue: 0 };
      for (const a of rec.actions) {
        switch (a.kind) {
          case "APPLY_EXECUTION":
            counts.appliedExecutions += 1;
            orders = trackReport(orders, a.report);
            enqueue.emit(forward(a.report));
            break;
          case "RESOLVE_IN_FLIGHT":
            counts.resolvedInFlight += 1;
            if (a.report) {
              orders = trackReport(orders, a.report);
              enqueue.emit(forward(a.report));
            }
            break;
          case "CLOSED_AT_VENUE":
            counts.closedAtVenue += 1;
            orders = trackReport(orders, a.report);
            enqueue.emit(forward(a.report));
            break;
          case "UNKNOWN_VENUE_ORDER":
            counts.unknownOrders += 1;
            enqueue.emit({
              type: "domain",
              event: {
                type: "UnknownVenueOrderFound",
                venue: context.config.venue,
                clientOrderId: a.order.clientOrderId,
                venueOrderId: a.order.venueOrderId,
                instrument: a.order.instrument,
                side: a.order.side,
                leavesQty: a.order.leavesQty,
                ...stamp(now),
              },
            });
            break;
          case "RESEND_CANCEL": {
            const o = orders[a.clientOrderId];
            if (!o) break;
            counts.resentCancels += 1;
            awaiting.push(a.clientOrderId);
            enqueue.emit({ type: "publish", subject: adapterSubject(context), message: { ...cancelCommand(o, now), cause: context.killSwitch.active ? CancelCause.KillSwitch : CancelCause.User } });
            break;
          }
        }
      }
      enqueue.assign({ orders, awaiting, lastVenueSeq: rec.lastVenueSeq });
      enqueue.emit({ type: "domain", event: { type: "VenueReconciled", venue: context.config.venue, ...counts, lastVenueSeq: rec.lastVenueSeq, ...stamp(now) } });
    }),
    onReport: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "ExecutionReport") return;
      const { type: _t, nowUs: _n, ...report } = event;
      const done = report.execType !== ExecType.PendingCancel && report.execType !== ExecType.New && !(report.leavesQty > 0 && (report.execType === ExecType.PartialFill || report.execType === ExecType.Fill));
      enqueue.assign({
        orders: trackReport(context.orders, report),
        lastVenueSeq: Math.max(context.lastVenueSeq, report.venueSeq),
        awaiting: done ? context.awaiting.filter((id) => id !== report.clientOrderId) : context.awaiting,
      });
      enqueue.emit(forward(report));
    }),
    /** Outside `ready`: new orders and replaces are refused, cancels remembered for reconciliation. */
    holdCommand: enqueueActions(({ context, event, enqueue }) => {
      const now = context.nowUs;
      if (event.type === "VenueNewOrder") {
        const code = context.killSwitch.active ? VenueReason.KillSwitchActive : VenueReason.NotReady;
        enqueue.emit(forward(refusedNew(context, event, code, now)));
        enqueue.emit(reply(false, code, `venue ${context.config.venue} is not ready for new orders`));
      } else if (event.type === "VenueReplaceOrder") {
        enqueue.emit(forward(refusedAmend(context, event, VenueReason.NotReady, now)));
        enqueue.emit(reply(false, VenueReason.NotReady, `venue ${context.config.venue} is not ready for replaces`));
      } else if (event.type === "VenueCancelOrder") {
        const o = context.orders[event.clientOrderId];
        if (!o) {
          enqueue.emit(forward(refusedAmend(context, event, VenueReason.UnknownOrder, now)));
          enqueue.emit(reply(false, VenueReason.UnknownOrder, `order ${event.clientOrderId} is not open at venue ${context.config.venue}`));
          return;
        }
        enqueue.assign({ orders: { ...context.orders, [o.clientOrderId]: { ...o, state: "PENDING_CANCEL" } } });
        enqueue.emit(reply(true, undefined, "cancel held until the venue is reconciled"));
      }
    }),
    /** In `ready`: kill switch, then the rate limit, then out to the adapter. Cancels are never rate limited. */
    routeCommand: enqueueActions(({ context, event, enqueue }) => {
      const now = context.nowUs;
      const cfg = context.config;
      if (event.type === "VenueCancelOrder") {
        const o = context.orders[event.clientOrderId];
        if (!o) {
          enqueue.emit(forward(refusedAmend(context, event, VenueReason.UnknownOrder, now)));
          enqueue.emit(reply(false, VenueReason.UnknownOrder, `order ${event.clientOrderId} is not open at venue ${cfg.venue}`));
          return;
        }
        const { nowUs: _n, ...cmd } = event;
        enqueue.assign({ orders: { ...context.orders, [o.clientOrderId]: { ...o, state: "PENDING_CANCEL" } } });
        enqueue.emit({ type: "publish", subject: adapterSubject(context), message: cmd });
        enqueue.emit(reply(true, undefined, "sent"));
        return;
      }
      if (event.type !== "VenueNewOrder" && event.type !== "VenueReplaceOrder") return;
      const isNew = event.type === "VenueNewOrder";
      const refuse = (code: VenueReason, message: string) => {
        enqueue.emit(forward(isNew ? refusedNew(context, event, code, now) : refusedAmend(context, event, code, now)));
        enqueue.emit(reply(false, code, message));
      };
      if (context.killSwitch.active) return refuse(VenueReason.KillSwitchActive, `venue ${cfg.venue} kill switch: ${context.killSwitch.reason ?? ""}`);
      if (!isNew && !context.orders[event.clientOrderId]) return refuse(VenueReason.UnknownOrder, `order ${event.clientOrderId} is not open at venue ${cfg.venue}`);
      const t = takeToken(context.bucket, now, cfg.rateCapacity, cfg.ratePerSecond);
      if (!t.ok) {
        enqueue.assign({ bucket: t.bucket });
        return refuse(VenueReason.RateLimited, `venue ${cfg.venue} allows ${cfg.ratePerSecond} orders/s (burst ${cfg.rateCapacity})`);
      }
      const { nowUs: _n, ...cmd } = event;
      const local: LocalOrder = isNew
        ? { clientOrderId: event.clientOrderId, instrument: event.instrument, side: event.side, quantity: event.quantity, state: "IN_FLIGHT", execIds: [] }
        : { ...context.orders[event.clientOrderId]!, state: "PENDING_REPLACE" };
      enqueue.assign({ bucket: t.bucket, orders: { ...context.orders, [event.clientOrderId]: local } });
      enqueue.emit({ type: "publish", subject: adapterSubject(context), message: cmd });
      enqueue.emit(reply(true, undefined, "sent"));
    }),
    killSwitch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "ActivateKillSwitch") return;
      const open = Object.values(context.orders);
      enqueue.assign({
        killSwitch: { active: true, reason: event.reason },
        orders: Object.fromEntries(open.map((o) => [o.clientOrderId, { ...o, state: "PENDING_CANCEL" as const }])),
      });
      enqueue.emit({ type: "domain", event: { type: "VenueKillSwitchActivated", venue: context.config.venue, reason: event.reason, cancelled: open.length, ...stamp(context.nowUs) } });
      enqueue.emit(reply(true, undefined, `cancelling ${open.length} open orders`));
    }),
    /** In `ready` the kill switch's cancels go out at once; elsewhere reconciliation sends them. */
    sendKillCancels: enqueueActions(({ context, enqueue }) => {
      if (!context.killSwitch.active) return;
      for (const o of Object.values(context.orders)) {
        enqueue.emit({ type: "publish", subject: adapterSubject(context), message: cancelCommand(o, context.nowUs) });
      }
    }),
    releaseKillSwitch: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ killSwitch: { active: false } });
      enqueue.emit({ type: "domain", event: { type: "VenueKillSwitchReleased", venue: context.config.venue, ...stamp(context.nowUs) } });
      enqueue.emit(reply(true, undefined, "released"));
    }),
  },
}).createMachine({
  id: "venueConnection",
  context: ({ input }) => {
    const config: VenueConnectionConfig = { ...defaultVenueConnectionConfig, ...input };
    return {
      config,
      nowUs: 0,
      rng: config.seed,
      attempt: 0,
      nextDelayMs: 0,
      breaker: closedBreaker,
      bucket: fullBucket(config.rateCapacity, 0),
      killSwitch: { active: false },
      orders: {},
      lastVenueSeq: 0,
      awaiting: [],
    };
  },
  initial: "disconnected",
  on: {
    "*": { actions: "clock" },
    ExecutionReport: { actions: ["clock", "onReport"] },
    VenueNewOrder: { actions: ["clock", "holdCommand"] },
    VenueReplaceOrder: { actions: ["clock", "holdCommand"] },
    VenueCancelOrder: { actions: ["clock", "holdCommand"] },
    ActivateKillSwitch: { actions: ["clock", "killSwitch"] },
    ReleaseKillSwitch: { actions: ["clock", "releaseKillSwitch"] },
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
      entry: "sendKillCancels",
      on: {
        VenueNewOrder: { actions: ["clock", "routeCommand"] },
        VenueReplaceOrder: { actions: ["clock", "routeCommand"] },
        VenueCancelOrder: { actions: ["clock", "routeCommand"] },
        ActivateKillSwitch: { actions: ["clock", "killSwitch", "sendKillCancels"] },
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

export type VenueConnectionMachine = typeof venueConnectionMachine;
